// transactions.sync and TransactionSyncer against the emulator (served on loopback), its clock
// moved by the tests: the back-fill in the 5-minute window, the trailing re-read and the
// sweep, removals, webhooks as triggers, 429s, and a seeded model check.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Authentication,
  Monzo,
  MonzoArgumentError,
  MonzoStorageError,
  type Transaction,
} from "../mod.ts";
import {
  MemorySyncStore,
  type SyncResult,
  type SyncStore,
  TransactionSyncer,
} from "../src/sync/mod.ts";
import type { EmulatorOptions } from "../src/testing/mod.ts";
import { type ServedEmulator, startEmulator } from "./_emulator.ts";

const DAY = 86_400_000;

interface World extends ServedEmulator {
  monzo: Monzo;
  account: string;
  now: () => number;
}

/** A served emulator and a client whose login was approved in this process (approvedAt set). */
async function withWorld(
  options: EmulatorOptions,
  run: (world: World) => Promise<void>,
): Promise<void> {
  const served = await startEmulator({ webhookRetryDelayMs: 0, ...options });
  try {
    const monzo = await approvedLogin(served);
    const now = () => served.emulator.now();
    await run({ ...served, monzo, account: served.emulator.accounts.current, now });
  } finally {
    await served.close();
  }
}

/** The OAuth flow: code, exchange, in-app approval, `waitForApproval`. */
async function approvedLogin(served: ServedEmulator): Promise<Monzo> {
  const { emulator } = served;
  const auth = new Authentication(served.options({ now: () => emulator.now() }));
  const code = emulator.authorize({ approveLater: true });
  await auth.authenticate(code, { state: "s", expectedState: "s" });
  emulator.approve();
  await auth.waitForApproval({ intervalMs: 1 });
  assert.ok(auth.approvedAt !== undefined);
  return new Monzo(auth);
}

/** Every step until `hasMore` is false, each applied to `store`. */
async function syncAll(
  world: World,
  store: MemorySyncStore,
  extra: Parameters<Monzo["transactions"]["sync"]>[1] = {},
  account = world.account,
): Promise<SyncResult[]> {
  const results: SyncResult[] = [];
  let cursor = await store.cursor(account);
  for (;;) {
    const result = await world.monzo.transactions.sync(account, {
      now: world.now,
      ...extra,
      cursor,
    });
    await store.apply(result);
    results.push(result);
    if (!result.hasMore) return results;
    cursor = result.cursor;
  }
}

/** Every transaction the emulator lists for `account` from `sinceMs`, through a fresh login. */
async function truth(world: World, sinceMs: number, account = world.account) {
  const tokens = world.emulator.login();
  const monzo = new Monzo(
    new Authentication(world.options({
      accessToken: tokens.accessToken,
      accessTokenExpiry: tokens.expiry,
      now: world.now,
    })),
  );
  const all: Transaction[] = [];
  const since = new Date(sinceMs);
  for await (const tx of monzo.transactions.iterate(account, { since })) all.push(tx);
  return all;
}

const ids = (list: { id: string }[]) => list.map((t) => t.id).sort();
const addedIds = (results: SyncResult[]) => results.flatMap((r) => r.added.map((t) => t.id));

async function stored(store: MemorySyncStore, account: string, sinceMs?: number) {
  const since = sinceMs === undefined ? undefined : new Date(sinceMs).toISOString();
  return await store.transactions(account, { since });
}

test("back-fill of four years: oldest first, no request over 365 days, store equals the emulator", async () => {
  await withWorld({ historyDays: 4 * 365, transactionsPerDay: 3 }, async (world) => {
    const { emulator, account } = world;
    const store = new MemorySyncStore();
    const start = emulator.transactionRequests().length;
    const results = await syncAll(world, store, { maxChanges: 1000 });
    const sent = emulator.transactionRequests().slice(start);

    assert.ok(results.length > 1, "a step stops at maxChanges and says hasMore");
    const last = results[results.length - 1];
    assert.equal(last.coverage.complete, true);
    const created = (await world.monzo.accounts.list()).find((a) => a.id === account)!.created;
    assert.equal(Date.parse(last.coverage.from!), Date.parse(created));

    // No duplicates across steps, and the store holds the emulator's whole history.
    const added = addedIds(results);
    assert.equal(new Set(added).size, added.length);
    const all = await truth(world, Date.parse(created));
    assert.ok(all.length > 3000, `${all.length} transactions`);
    assert.deepEqual(ids(await stored(store, account)), ids(all));

    // Every request within 365 days and answered; the part older than 89 days read first.
    const byId = new Map(all.map((tx) => [tx.id, Date.parse(tx.created)]));
    const boundary = world.now() - 89 * DAY;
    let readRecent = false;
    for (const request of sent) {
      assert.equal(request.status, 200, JSON.stringify(request));
      const from = byId.get(request.since!) ?? Date.parse(request.since!);
      const to = request.before ? Date.parse(request.before) : request.at;
      assert.ok(to - from <= 365 * DAY, `${request.since}..${request.before}`);
      if (from >= boundary - DAY) readRecent = true;
      else assert.ok(!readRecent, "history read after the recent part");
    }
  });
});

test("a login approved by another process (approvedAt unknown): the back-fill goes on across steps", async () => {
  await withWorld({ historyDays: 3 * 365, transactionsPerDay: 3 }, async (world) => {
    const { emulator, account } = world;
    const tokens = emulator.login();
    const monzo = new Monzo(
      new Authentication(world.options({
        accessToken: tokens.accessToken,
        accessTokenExpiry: tokens.expiry,
        now: world.now,
      })),
    );
    assert.equal(monzo.auth.approvedAt, undefined);
    const store = new MemorySyncStore();
    const results = await syncAll({ ...world, monzo }, store, { maxChanges: 1000 });
    assert.ok(results.length > 2);
    assert.equal(results.at(-1)!.coverage.complete, true);
    const created = (await monzo.accounts.list()).find((a) => a.id === account)!.created;
    assert.deepEqual(
      ids(await stored(store, account)),
      ids(await truth(world, Date.parse(created))),
    );
  });
});

test("the window closes mid-run: partial coverage; a refresh does not reopen it, a new login resumes without duplicates", async () => {
  await withWorld({ historyDays: 3 * 365, transactionsPerDay: 3 }, async (world) => {
    const { emulator, account } = world;
    const store = new MemorySyncStore();
    let pages = 0;
    // The user's 5 minutes run out after three history pages.
    const first = await world.monzo.transactions.sync(account, {
      now: world.now,
      concurrency: 1,
      onProgress: (p) => {
        if (p.phase === "history" && ++pages === 3) emulator.advanceTime(301);
      },
    });
    await store.apply(first);
    assert.equal(first.hasMore, false);
    assert.equal(first.coverage.complete, false);
    assert.ok(["history_window", "deadline"].includes(first.coverage.limitedBy!));
    assert.ok(first.added.length > 0);

    // A refresh does not reopen the window: the next step reads no history.
    await world.monzo.auth.refreshAccessToken();
    const start = emulator.transactionRequests().length;
    const again = await world.monzo.transactions.sync(account, {
      now: world.now,
      cursor: first.cursor,
    });
    await store.apply(again);
    const boundary = world.now() - 90 * DAY;
    assert.ok(
      emulator.transactionRequests().slice(start).every((r) =>
        r.since!.startsWith("tx_") || Date.parse(r.since!) > boundary
      ),
    );
    assert.equal(again.coverage.complete, false);

    // A new, approved login resumes the history where it stopped.
    const monzo = await approvedLogin(world);
    const resumed: SyncResult[] = [];
    let cursor = again.cursor;
    for (;;) {
      const result = await monzo.transactions.sync(account, { now: world.now, cursor });
      await store.apply(result);
      resumed.push(result);
      cursor = result.cursor;
      if (!result.hasMore) break;
    }
    assert.equal(resumed[resumed.length - 1].coverage.complete, true);
    const added = [...addedIds([first, again]), ...addedIds(resumed)];
    assert.equal(new Set(added).size, added.length, "a transaction was added twice");
    const created = (await monzo.accounts.list()).find((a) => a.id === account)!.created;
    assert.deepEqual(
      ids(await stored(store, account)),
      ids(await truth(world, Date.parse(created))),
    );
  });
});

test("a first sync more than 5 minutes after the approval gives 89 days and says so", async () => {
  await withWorld({}, async (world) => {
    const { emulator, account } = world;
    emulator.advanceTime(6 * 60);
    const store = new MemorySyncStore();
    const start = emulator.transactionRequests().length;
    const [result] = await syncAll(world, store);
    assert.equal(result.coverage.complete, false);
    assert.equal(result.coverage.limitedBy, "history_window");
    const from = Date.parse(result.coverage.from!);
    assert.ok(Math.abs(from - (world.now() - 89 * DAY)) < DAY);
    const sent = emulator.transactionRequests().slice(start);
    assert.ok(sent.every((r) => r.status === 200), "a request reached past 89 days");
    assert.deepEqual(ids(await stored(store, account)), ids(await truth(world, from)));
  });
});

test("250 transactions created at the same instant, across page boundaries, arrive once", async () => {
  await withWorld({}, async (world) => {
    const { emulator, account } = world;
    const store = new MemorySyncStore();
    await syncAll(world, store);
    const at = new Date(world.now() - 2 * DAY).toISOString();
    const made = Array.from(
      { length: 250 },
      (_, i) => emulator.addTransaction(account, { created: at, amount: -(i + 1) }).id,
    );
    emulator.advanceTime(3600);
    const results = await syncAll(world, store);
    const added = addedIds(results);
    assert.deepEqual(added.filter((id) => made.includes(id)).sort(), [...made].sort());
    assert.equal(new Set(added).size, added.length);
    // And once more: nothing new.
    const [next] = await syncAll(world, store);
    assert.equal(next.added.length + next.modified.length, 0);
  });
});

test("a pre-auth settling on day 9 with a new amount is modified, never added; a notes edit on day 40 is caught by the sweep", async () => {
  await withWorld({}, async (world) => {
    const { emulator, account } = world;
    const store = new MemorySyncStore();
    await syncAll(world, store);
    const hotel = emulator.addTransaction(account, {
      amount: -10000,
      description: "HOTEL PREAUTH",
      amountIsPending: true,
    });
    const old = (await stored(store, account, world.now() - 60 * DAY)).at(-1)!;
    emulator.advanceTime(3600);
    const [day0] = await syncAll(world, store);
    assert.deepEqual(day0.added.map((t) => t.id), [hotel.id]);
    assert.equal((await stored(store, account)).find((t) => t.id === hotel.id)!.status, "pending");

    emulator.advanceTime(9 * 86400);
    emulator.settleTransaction(hotel.id, { amount: -23456 });
    const day9 = await syncAll(world, store);
    assert.ok(day9.every((r) => !r.added.some((t) => t.id === hotel.id)));
    const change = day9.flatMap((r) => r.modified).find((m) => m.transaction.id === hotel.id);
    assert.ok(change, "the settlement was not seen");
    assert.ok(change.changed.includes("amount") && change.changed.includes("settled"));
    const row = (await stored(store, account)).find((t) => t.id === hotel.id)!;
    assert.equal(row.amount, -23456);
    assert.equal(row.status, "settled");

    // A transaction created ~60 days ago gets a note: outside the 14-day re-read, found by the
    // weekly sweep of the readable 89 days.
    emulator.updateTransaction(old.id, { notes: "split with Sam" });
    let seen: string[] = [];
    for (let day = 0; day < 8 && seen.length === 0; day++) {
      emulator.advanceTime(86400);
      const results = await syncAll(world, store);
      seen = results.flatMap((r) => r.modified).filter((m) => m.transaction.id === old.id)
        .flatMap((m) => m.changed);
    }
    assert.deepEqual(seen, ["notes"]);
    assert.equal(
      (await stored(store, account)).find((t) => t.id === old.id)!.raw.notes,
      "split with Sam",
    );
  });
});

test("a backdated insert (its id sorts after newer ones) is added; declines and £0 checks get their status", async () => {
  await withWorld({}, async (world) => {
    const { emulator, account } = world;
    const store = new MemorySyncStore();
    await syncAll(world, store);
    emulator.addTransaction(account, { amount: -120 }); // moves the tail on
    emulator.advanceTime(3600);
    await syncAll(world, store);
    const offline = emulator.addTransaction(account, {
      amount: -2350,
      description: "OFFLINE - East Midlands Trains",
      created: new Date(world.now() - 3 * DAY).toISOString(),
    });
    const declined = emulator.addTransaction(account, {
      amount: -9900,
      decline_reason: "INSUFFICIENT_FUNDS",
    });
    const check = emulator.addTransaction(account, {
      amount: 0,
      description: "PIN change or balance check",
      metadata: { hide_transaction: "true" },
    });
    emulator.advanceTime(60);
    const results = await syncAll(world, store);
    assert.deepEqual(
      addedIds(results).sort(),
      [offline.id, declined.id, check.id].sort(),
    );
    const rows = new Map((await stored(store, account)).map((t) => [t.id, t]));
    assert.equal(rows.get(offline.id)!.status, "pending");
    assert.equal(rows.get(declined.id)!.status, "declined");
    assert.equal(rows.get(check.id)!.status, "pending");
    assert.equal(rows.get(check.id)!.amount, 0);
  });
});

test("a removal is reported only after a confirming 404", async () => {
  await withWorld({}, async (world) => {
    const { emulator, account } = world;
    const store = new MemorySyncStore();
    await syncAll(world, store);
    const gone = (await stored(store, account, world.now() - 5 * DAY))[2];
    // A transient 500 on the confirmation: not removed, asked again next time.
    emulator.removeTransaction(gone.id);
    emulator.injectFault({ path: `/transactions/${gone.id}`, status: 500, count: 3 });
    emulator.advanceTime(3600);
    await assert.rejects(world.monzo.transactions.sync(account, {
      now: world.now,
      cursor: await store.cursor(account),
    }));
    assert.ok((await stored(store, account)).some((t) => t.id === gone.id));
    emulator.clearFaults();
    const results = await syncAll(world, store);
    assert.deepEqual(results.flatMap((r) => r.removed), [{ id: gone.id, accountId: account }]);
    assert.ok(!(await stored(store, account)).some((t) => t.id === gone.id));
    const [next] = await syncAll(world, store);
    assert.deepEqual(next.removed, []);
  });
});

test("after a gap longer than the re-read window, reading resumes from the tail even when Monzo removed it", async () => {
  await withWorld({}, async (world) => {
    const { emulator, account } = world;
    const store = new MemorySyncStore();
    const noSweep = { sweepEveryDays: 1000 };
    await syncAll(world, store, noSweep);
    const [tail] = await stored(store, account); // newest first
    emulator.removeTransaction(tail.id);
    emulator.advanceTime(20 * 86400);
    const later = emulator.addTransaction(account, { amount: -99 });
    const start = emulator.transactionRequests().length;
    const results = await syncAll(world, store, noSweep);
    // Read from the tail's time (20 days back), not only the last 14 days.
    const first = emulator.transactionRequests()[start];
    assert.equal(Date.parse(first.since!), Date.parse(tail.created));
    assert.deepEqual(addedIds(results), [later.id]);
    assert.deepEqual(results.flatMap((r) => r.removed).map((r) => r.id), [tail.id]);
  });
});

test("a second instance: a step computed from an older cursor is refused, the newer rows stay, and a syncer goes on from the stored cursor", async () => {
  await withWorld({}, async (world) => {
    const { emulator, account } = world;
    const store = new MemorySyncStore();
    await syncAll(world, store);
    const base = await store.cursor(account);
    const hold = emulator.addTransaction(account, { amount: -5000, amountIsPending: true });
    emulator.advanceTime(60);
    // Instance A reads the hold as pending, then pauses before committing...
    const slow = await world.monzo.transactions.sync(account, { now: world.now, cursor: base });
    assert.ok(slow.added.some((t) => t.id === hold.id));
    // ...while instance B commits the hold, then its settlement for more.
    await syncAll(world, store);
    emulator.settleTransaction(hold.id, { amount: -6500 });
    emulator.advanceTime(60);
    await syncAll(world, store);
    const newest = await store.cursor(account);
    await assert.rejects(
      store.apply(slow),
      (error: unknown) => error instanceof MonzoStorageError && error.code === "sync.stale_step",
    );
    assert.equal((await stored(store, account)).find((t) => t.id === hold.id)!.amount, -6500);
    assert.equal(await store.cursor(account), newest);

    // A syncer whose step loses the race goes on from the winner's cursor.
    const late = emulator.addTransaction(account, { amount: -42 });
    emulator.advanceTime(60);
    let raced = false;
    const racing: SyncStore = {
      cursor: (id) => store.cursor(id),
      coverage: (id) => store.coverage(id),
      transactions: (id, query) => store.transactions(id, query),
      apply: async (result) => {
        if (!raced) {
          raced = true;
          await syncAll(world, store); // the other instance commits first
        }
        return await store.apply(result);
      },
    };
    const syncer = new TransactionSyncer(world.monzo, racing, { now: world.now });
    await syncer.sync(account);
    await syncer.close();
    assert.ok(raced);
    assert.ok((await stored(store, account)).some((t) => t.id === late.id));
    const since = world.now() - 14 * DAY;
    assert.deepEqual(ids(await stored(store, account, since)), ids(await truth(world, since)));
  });
});

test("applying a step twice changes nothing; the same cursor gives the same changes", async () => {
  await withWorld({}, async (world) => {
    const { emulator, account } = world;
    const store = new MemorySyncStore({ now: () => 0 });
    await syncAll(world, store);
    const cursor = await store.cursor(account);
    emulator.addTransaction(account, { amount: -42 });
    emulator.advanceTime(60);
    const one = await world.monzo.transactions.sync(account, { now: world.now, cursor });
    const two = await world.monzo.transactions.sync(account, { now: world.now, cursor });
    assert.deepEqual(ids(two.added), ids(one.added));
    assert.deepEqual(await store.apply(one), { added: 1, modified: 0, removed: 0 });
    const before = JSON.stringify(await stored(store, account));
    assert.deepEqual(await store.apply(one), { added: 0, modified: 0, removed: 0 });
    assert.deepEqual(await store.apply(two), { added: 0, modified: 0, removed: 0 });
    assert.equal(JSON.stringify(await stored(store, account)), before);
  });
});

test("five duplicate or out-of-order webhooks give one row and one sync", async () => {
  await withWorld({}, async (world) => {
    const { emulator, account } = world;
    const store = new MemorySyncStore();
    const syncer = new TransactionSyncer(world.monzo, store, { now: world.now, debounceMs: 20 });
    try {
      await syncer.syncAll();
      const tx = emulator.addTransaction(account, { amount: -777, description: "Webhook" });
      const earlier = emulator.addTransaction(account, { amount: -1 });
      const event = (data: Transaction) => ({ type: "transaction.created" as const, data });
      const start = emulator.transactionRequests().length;
      for (const data of [tx, tx, earlier, tx, tx]) {
        assert.equal(syncer.notify(event(data as unknown as Transaction)), true);
      }
      assert.equal(syncer.notify({ type: "unknown.event", data: {} }), false);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await syncer.close();
      const rows = (await stored(store, account)).filter((t) => t.id === tx.id);
      assert.equal(rows.length, 1);
      assert.ok((await stored(store, account)).some((t) => t.id === earlier.id));
      // One sync for the five events: one page of the 14-day window.
      assert.equal(emulator.transactionRequests().length - start, 1);
    } finally {
      await syncer.close();
    }
  });
});

test("webhooks for accounts the syncer never synced schedule nothing (a flood of made-up ids)", async () => {
  await withWorld({}, async (world) => {
    const { emulator, account } = world;
    const syncer = new TransactionSyncer(world.monzo, new MemorySyncStore(), {
      now: world.now,
      debounceMs: 10,
    });
    try {
      const event = (accountId: string) => ({
        type: "transaction.created" as const,
        data: { id: "tx_1", account_id: accountId } as unknown as Transaction,
      });
      const start = emulator.counters.requests;
      assert.equal(syncer.notify(event(account)), false, "not synced yet");
      for (let i = 0; i < 1000; i++) assert.equal(syncer.notify(event(`acc_${i}`)), false);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(emulator.counters.requests, start);
      await syncer.sync(account);
      assert.equal(syncer.notify(event(account)), true);
    } finally {
      await syncer.close();
    }
  });
});

test("429 with Retry-After during the back-fill halves the concurrency and is honoured before the deadline", async () => {
  await withWorld({ historyDays: 3 * 365 }, async (world) => {
    const { emulator } = world;
    emulator.injectFault({ path: "/transactions", status: 429, retryAfter: 1, count: 2 });
    const store = new MemorySyncStore();
    const started = Date.now();
    const results = await syncAll(world, store, { concurrency: 4 });
    assert.ok(Date.now() - started >= 1000, "Retry-After was not honoured");
    assert.equal(results.at(-1)!.coverage.complete, true);
    const added = addedIds(results);
    assert.equal(new Set(added).size, added.length);

    // With the deadline too close for the wait, the run stops with partial coverage instead.
    const late = new MemorySyncStore();
    emulator.injectFault({ path: "/transactions", status: 429, retryAfter: 60, count: 1 });
    const [partial] = await syncAll(world, late, {
      deadline: world.now() + 2_000,
      concurrency: 1,
    });
    emulator.clearFaults();
    assert.equal(partial.coverage.complete, false);
    assert.equal(partial.coverage.limitedBy, "deadline");
    assert.ok(partial.cursor.length > 0);
  });
});

test("bad options and cursors are refused before any request", async () => {
  await withWorld({}, async (world) => {
    const { emulator, account, monzo } = world;
    const [good] = await syncAll(world, new MemorySyncStore());
    const before = emulator.counters.requests;
    const cases: [unknown, string][] = [
      [{ cursor: "nope" }, "options.cursor"],
      [{ cursor: good.cursor.slice(0, -8) + "AAAAAAAA" }, "options.cursor"],
      [{ cursor: 42 }, "options.cursor"],
      [{ windowDays: 0 }, "options.windowDays"],
      [{ windowDays: 120 }, "options.windowDays"],
      [{ concurrency: 1.5 }, "options.concurrency"],
      [{ maxChanges: 10 }, "options.maxChanges"],
      [{ now: "today" }, "options.now"],
      ["fast", "options"],
    ];
    for (const [options, argument] of cases) {
      await assert.rejects(
        monzo.transactions.sync(account, options as never),
        (error: unknown) => error instanceof MonzoArgumentError && error.argument === argument,
        JSON.stringify(options),
      );
    }
    await assert.rejects(
      monzo.transactions.sync(emulator.accounts.joint, { cursor: good.cursor }),
      (error: unknown) =>
        error instanceof MonzoArgumentError && /another account/.test(error.message),
    );
    await assert.rejects(monzo.transactions.sync("acc/../x"), MonzoArgumentError);
    assert.equal(emulator.counters.requests, before);
  });
});

test("a pot's own account: 90 days only, said as account_type", async () => {
  await withWorld({}, async (world) => {
    const pots = await world.monzo.pots.list(world.account);
    const potAccount = (pots[1] as { pot_account_id?: string }).pot_account_id!;
    assert.ok(potAccount?.startsWith("acc_"));
    const store = new MemorySyncStore();
    const [result] = await syncAll(world, store, {}, potAccount);
    assert.equal(result.coverage.limitedBy, "account_type");
    const from = Date.parse(result.coverage.from!);
    assert.deepEqual(
      ids(await stored(store, potAccount)),
      ids(await truth(world, from, potAccount)),
    );
  });
});

/** A seeded pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const seed of [1, 2, 3]) {
  test(`model check, seed ${seed}: random creates, settles, edits, declines and removals; the store ends equal to the emulator over 89 days`, async () => {
    await withWorld({ seed }, async (world) => {
      const { emulator, account } = world;
      const rng = random(seed);
      const store = new MemorySyncStore();
      await syncAll(world, store);
      const live: string[] = (await stored(store, account, world.now() - 60 * DAY)).map((t) =>
        t.id
      );
      const pick = () => live[Math.floor(rng() * live.length)];
      for (let day = 0; day < 30; day++) {
        for (let n = Math.floor(rng() * 6); n > 0; n--) {
          const roll = rng();
          if (roll < 0.35) {
            const backdated = rng() < 0.2;
            live.push(
              emulator.addTransaction(account, {
                amount: -Math.floor(rng() * 5000),
                created: backdated
                  ? new Date(world.now() - Math.floor(rng() * 10 * DAY)).toISOString()
                  : undefined,
                amountIsPending: rng() < 0.2,
              }).id,
            );
          } else if (roll < 0.55) {
            emulator.settleTransaction(pick(), {
              amount: rng() < 0.5 ? -Math.floor(rng() * 9000) : undefined,
            });
          } else if (roll < 0.75) {
            emulator.updateTransaction(pick(), {
              notes: `note ${Math.floor(rng() * 100)}`,
              category: rng() < 0.5 ? "groceries" : undefined,
            });
          } else if (roll < 0.85) {
            emulator.addTransaction(account, {
              amount: -Math.floor(rng() * 5000),
              decline_reason: "INSUFFICIENT_FUNDS",
            });
          } else if (live.length > 10) {
            const id = live.splice(Math.floor(rng() * live.length), 1)[0];
            emulator.removeTransaction(id);
          }
        }
        emulator.advanceTime(Math.floor(rng() * 2 * 86400));
        if (rng() < 0.6) await syncAll(world, store);
      }
      // Eight days on, one more run includes a sweep of the whole readable 89 days.
      emulator.advanceTime(8 * 86400);
      await syncAll(world, store);
      const from = world.now() - 89 * DAY + 60_000;
      const want = await truth(world, from);
      const have = await stored(store, account, from);
      assert.deepEqual(ids(have), ids(want));
      const byId = new Map(want.map((t) => [t.id, t]));
      for (const row of have) {
        const tx = byId.get(row.id)!;
        assert.equal(row.amount, tx.amount, row.id);
        assert.equal(row.raw.settled, tx.settled, row.id);
        assert.equal(row.raw.notes, tx.notes, row.id);
        assert.equal(row.raw.category, tx.category, row.id);
      }
    });
  });
}
