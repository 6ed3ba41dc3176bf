// The emulator's transaction rules that a sync depends on: the 365-day range, the 90-day
// window's 403, long histories, change hooks, realistic data, pot accounts, the request log.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type EmulatorOptions,
  MonzoEmulator,
  type ServedEmulator,
  serveEmulator,
} from "../src/testing/mod.ts";

// deno-lint-ignore no-explicit-any
type Json = any;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 8, 15, 12, 0, 0);
const TOO_LARGE = "The time range you have requested is too large. Please request a time range " +
  "of 365 days or less. See https://community.monzo.com/t/158676";

const iso = (ms: number) => new Date(ms).toISOString();

/** A served emulator on a frozen clock, and helpers to call it. */
async function setup(options: EmulatorOptions = {}) {
  const emulator = new MonzoEmulator({ seed: 9, now: () => NOW, ...options });
  const server: ServedEmulator = await serveEmulator(emulator);
  let token = emulator.login().accessToken;
  const api = async (path: string, init: RequestInit & { token?: string } = {}) => {
    const response = await fetch(`${server.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${init.token ?? token}`, ...init.headers },
    });
    return {
      status: response.status,
      headers: response.headers,
      body: await response.json() as Json,
    };
  };
  const current = emulator.accounts.current;
  const list = (query: string, account = current, as?: string) =>
    api(`/transactions?account_id=${account}&${query}`, { token: as });
  /** Days back from the emulator's now, as RFC 3339. */
  const ago = (days: number) => iso(emulator.now() - days * DAY);
  const balance = async () => (await api(`/balance?account_id=${current}`)).body.balance;
  return {
    emulator,
    server,
    api,
    list,
    ago,
    balance,
    current,
    relogin: () => token = emulator.login().accessToken,
  };
}

describe("emulator 365-day range rule", () => {
  let t: Awaited<ReturnType<typeof setup>>;
  before(async () => t = await setup({ historyDays: 500 }));
  after(() => t.server.close());

  it("accepts 365 days exactly and refuses one millisecond more, with Monzo's body", async () => {
    assert.equal((await t.list(`limit=1&since=${t.ago(365)}`)).status, 200);
    const since = iso(NOW - 365 * DAY - 1);
    const refused = await t.list(`limit=1&since=${since}`);
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body, {
      code: "bad_request.invalid_time_range",
      message: TOO_LARGE,
      params: { since, before: iso(NOW) },
    });
    const bounded = `since=${iso(NOW - 800 * DAY)}&before=${iso(NOW - 435 * DAY)}`;
    assert.equal((await t.list(`limit=1&${bounded}`)).status, 200);
    const wide = await t.list(
      `limit=1&since=${iso(NOW - 800 * DAY)}&before=${iso(NOW - 400 * DAY)}`,
    );
    assert.equal(wide.body.code, "bad_request.invalid_time_range");
  });

  it("measures from the account's creation without since, and from a since id's created", async () => {
    const accounts = (await t.api("/accounts")).body.accounts;
    const created = Date.parse(accounts.find((a: Json) => a.id === t.current).created);
    assert.ok(created <= NOW - 530 * DAY, "the account predates its 500 days of history");
    assert.equal((await t.list("limit=1")).body.code, "bad_request.invalid_time_range");
    assert.equal((await t.list(`limit=1&before=${iso(created + 365 * DAY)}`)).status, 200);

    const old = (await t.list(`limit=1&since=${t.ago(450)}&before=${t.ago(400)}`)).body
      .transactions[0];
    const byId = await t.list(`limit=1&since=${old.id}`);
    assert.equal(byId.body.code, "bad_request.invalid_time_range");
    assert.equal(byId.body.params.since, old.created);
    const capped = await t.list(
      `limit=1&since=${old.id}&before=${iso(Date.parse(old.created) + 300 * DAY)}`,
    );
    assert.equal(capped.status, 200);
  });

  it("answers 400 before 403: the range is checked before the history window", async () => {
    t.emulator.advanceTime(6 * 60);
    try {
      assert.equal((await t.list(`since=${t.ago(400)}`)).status, 400);
      assert.equal((await t.list(`since=${t.ago(200)}`)).status, 403);
    } finally {
      t.relogin();
    }
  });
});

describe("emulator 90-day window after the 5 minutes", () => {
  let t: Awaited<ReturnType<typeof setup>>;
  before(async () => t = await setup());
  after(() => t.server.close());

  it("reads 89 days, refuses 90 with start_time, end_time and auth_session_id", async () => {
    const old = (await t.list(`limit=1&since=${t.ago(120)}`)).body.transactions[0];
    t.emulator.advanceTime(5 * 60 + 1);
    assert.equal((await t.list(`since=${t.ago(89)}`)).status, 200);
    const since = t.ago(90);
    const refused = await t.list(`since=${since}`);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, "forbidden.verification_required");
    assert.match(refused.body.message, /90 days/);
    const { start_time, end_time, auth_session_id } = refused.body.params;
    assert.deepEqual({ start_time, end_time }, { start_time: since, end_time: t.ago(0) });
    assert.match(auth_session_id, /^authsess_\w+$/);

    const before = iso(NOW - 30 * DAY);
    const bounded = await t.list(`since=${t.ago(100)}&before=${before}`);
    assert.equal(bounded.body.params.end_time, before);
    assert.equal(bounded.body.params.auth_session_id, auth_session_id, "one per approval");
    const single = await t.api(`/transactions/${old.id}`);
    assert.equal(single.body.code, "forbidden.verification_required");
    assert.equal(single.body.params.start_time, old.created);

    t.relogin();
    const reopened = await t.list(`limit=1&since=${t.ago(120)}`);
    assert.equal(reopened.status, 200, "a new approval reopens the window");
  });
});

describe("emulator historyDays", () => {
  it("seeds four years on a current account old enough, readable in 365-day windows", async () => {
    const t = await setup({ historyDays: 4 * 365 });
    try {
      const accounts = (await t.api("/accounts")).body.accounts;
      const created = Date.parse(accounts.find((a: Json) => a.id === t.current).created);
      assert.ok(created <= NOW - 4 * 365 * DAY);
      const all: Json[] = [];
      for (let end = NOW; end > created; end -= 365 * DAY) {
        const start = Math.max(created, end - 365 * DAY);
        for (let since = iso(start);;) {
          const page = (await t.list(`limit=100&since=${since}&before=${iso(end)}`)).body;
          assert.ok(page.transactions, JSON.stringify(page));
          all.unshift(...page.transactions.filter((tx: Json) => !all.some((o) => o.id === tx.id)));
          if (page.transactions.length < 100) break;
          since = page.transactions.at(-1).id;
        }
      }
      assert.ok(Date.parse(all[0].created) < NOW - 4 * 365 * DAY, all[0].created);
      assert.ok(all.length > 4 * 4 * 300, `${all.length} transactions`);
      assert.equal(new Set(all.map((tx) => tx.id)).size, all.length);
      assert.ok(
        t.emulator.transactionRequests().every((r) =>
          r.status === 200 && Date.parse(r.before!) - Date.parse(r.since!) <= 365 * DAY ||
          r.since!.startsWith("tx_")
        ),
      );
    } finally {
      await t.server.close();
    }
  });

  it("keeps the default world: a 1100-day-old current account and one year of history", async () => {
    const t = await setup();
    try {
      const accounts = (await t.api("/accounts")).body.accounts;
      const current = accounts.find((a: Json) => a.id === t.current);
      assert.equal(Date.parse(current.created), Math.floor((NOW - 1100 * DAY) / 1000) * 1000);
      const early = (await t.list(`since=${iso(NOW - 366 * DAY)}&before=${t.ago(360)}`)).body;
      assert.ok(early.transactions.length > 0);
      const older = await t.list(`since=${iso(NOW - 700 * DAY)}&before=${iso(NOW - 367 * DAY)}`);
      assert.deepEqual(older.body.transactions, []);
      assert.throws(() => new MonzoEmulator({ historyDays: 0 }), RangeError);
    } finally {
      await t.server.close();
    }
  });
});

describe("emulator change hooks", () => {
  let t: Awaited<ReturnType<typeof setup>>;
  before(async () => t = await setup());
  after(() => t.server.close());

  it("settles a hotel pre-auth nine days later with a new amount, on the same id", async () => {
    const start = await t.balance();
    const hold = t.emulator.addTransaction(t.current, {
      amount: -10000,
      merchant: "Pret A Manger",
      amountIsPending: true,
    });
    const first = (await t.api(`/transactions/${hold.id}`)).body.transaction;
    assert.deepEqual([first.settled, first.amount_is_pending, first.amount], ["", true, -10000]);
    assert.equal(await t.balance(), start - 10000);

    t.emulator.advanceTime(9 * 86400);
    t.relogin(); // the access token has expired
    const settled = t.emulator.settleTransaction(hold.id, { amount: -23456 });
    assert.equal(settled, hold, "the live record");
    const tx = (await t.api(`/transactions/${hold.id}`)).body.transaction;
    assert.equal(tx.amount, -23456);
    assert.equal(tx.local_amount, -23456);
    assert.deepEqual(tx.categories, { [tx.category]: -23456 });
    assert.equal(tx.settled, t.ago(0));
    assert.equal(tx.updated, t.ago(0));
    assert.equal(tx.amount_is_pending, false);
    assert.equal(tx.created, first.created);
    assert.equal(await t.balance(), start - 23456);
    const listed = (await t.list(`since=${iso(NOW - 60_000)}`)).body.transactions;
    assert.deepEqual(listed.filter((x: Json) => x.amount === -23456).map((x: Json) => x.id), [
      hold.id,
    ]);

    const at = iso(NOW + 3 * DAY);
    const later = t.emulator.addTransaction(t.current, { amount: -500 });
    assert.equal(t.emulator.settleTransaction(later.id, { at }).settled, at);
    assert.throws(() => t.emulator.settleTransaction("tx_nope"), /Unknown transaction/);
    assert.throws(() => t.emulator.settleTransaction(later.id, { amount: 1.5 }), /integer/);
  });

  it("edits notes, category, metadata, amount and declines; updated moves, the balance follows", async () => {
    const tx = t.emulator.addTransaction(t.current, { amount: -1250, metadata: { a: "1" } });
    const start = await t.balance();
    t.emulator.advanceTime(40 * 86400);
    t.relogin();
    t.emulator.updateTransaction(tx.id, {
      notes: "Dinner with Charles",
      category: "eating_out",
      metadata: { a: "", b: "2" },
      description: "DINNER",
      amount: -1500,
    });
    const edited = (await t.api(`/transactions/${tx.id}`)).body.transaction;
    assert.equal(edited.notes, "Dinner with Charles");
    assert.equal(edited.category, "eating_out");
    assert.deepEqual(edited.categories, { eating_out: -1500 });
    assert.deepEqual(edited.metadata, { b: "2" });
    assert.equal(edited.description, "DINNER");
    assert.equal(edited.updated, t.ago(0));
    assert.equal(await t.balance(), start - 250);

    t.emulator.updateTransaction(tx.id, { decline_reason: "INSUFFICIENT_FUNDS" });
    assert.equal(await t.balance(), start + 1250);
    t.emulator.updateTransaction(tx.id, { decline_reason: null });
    assert.equal(await t.balance(), start - 250);
    assert.equal(
      (await t.api(`/transactions/${tx.id}`)).body.transaction.decline_reason,
      undefined,
    );
  });

  it("removes: gone from listings and the balance, then 404", async () => {
    const since = `since=${t.ago(1)}`;
    const tx = t.emulator.addTransaction(t.current, { amount: -777 });
    const start = await t.balance();
    const listed = (await t.list(since)).body.transactions.map((x: Json) => x.id);
    assert.ok(listed.includes(tx.id));
    t.emulator.removeTransaction(tx.id);
    const after = (await t.list(since)).body.transactions.map((x: Json) => x.id);
    assert.deepEqual(after, listed.filter((id: string) => id !== tx.id));
    assert.equal(await t.balance(), start + 777);
    const gone = await t.api(`/transactions/${tx.id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, "not_found.transaction");
    assert.throws(() => t.emulator.removeTransaction(tx.id), /Unknown transaction/);
  });

  it("inserts a backdated offline payment whose id sorts after later ones, behind a cursor", async () => {
    const cursor = t.emulator.addTransaction(t.current, { amount: -300 });
    t.emulator.advanceTime(3600);
    const created = Date.parse(cursor.created) - DAY;
    const offline = t.emulator.addTransaction(t.current, {
      amount: -2350,
      description: "OFFLINE - East Midlands Trains",
      created: iso(created),
    });
    assert.equal(offline.created, iso(created));
    assert.ok(offline.id > cursor.id, "its id is from the insertion instant");
    const afterCursor = (await t.list(`since=${cursor.id}`)).body.transactions;
    assert.ok(!afterCursor.some((x: Json) => x.id === offline.id), "a cursor never returns it");
    const window = (await t.list(`since=${iso(created - 1)}&before=${iso(created + 1)}`)).body;
    assert.deepEqual(window.transactions.map((x: Json) => x.id), [offline.id]);
  });
});

describe("emulator realistic data", () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let year: Json[];
  before(async () => {
    t = await setup();
    year = [];
    for (let since = t.ago(365);;) {
      const page = (await t.list(`limit=100&since=${since}`)).body.transactions;
      year.push(...page);
      if (page.length < 100) break;
      since = page.at(-1).id;
    }
  });
  after(() => t.server.close());

  it("sets settled on declines, which leave the balance alone", async () => {
    const declines = year.filter((tx) => tx.decline_reason);
    assert.ok(declines.length > 0);
    for (const tx of declines) assert.equal(tx.settled, tx.created);
    const start = await t.balance();
    const declined = t.emulator.addTransaction(t.current, {
      amount: -999,
      decline_reason: "INSUFFICIENT_FUNDS",
    });
    assert.equal(declined.settled, declined.created);
    assert.equal(await t.balance(), start);
  });

  it("gives transfers a future settled from creation", async () => {
    const transfers = year.filter((tx) =>
      tx.scheme === "payport_faster_payments" || tx.scheme === "uk_retail_pot"
    );
    assert.ok(transfers.length >= 24);
    for (const tx of transfers) {
      assert.ok(tx.settled > tx.created, `${tx.scheme} ${tx.created} ${tx.settled}`);
      assert.ok(Date.parse(tx.settled) - Date.parse(tx.created) <= 4 * DAY);
      assert.equal(tx.updated, tx.created);
    }
    const pot = (await t.api(`/pots?current_account_id=${t.current}`)).body.pots[1];
    const moved = await t.api(`/pots/${pot.id}/deposit`, {
      method: "PUT",
      body: new URLSearchParams({ source_account_id: t.current, amount: "100", dedupe_id: "d1" }),
    });
    assert.equal(moved.status, 200);
    const tx = (await t.list(`since=${t.ago(0)}`)).body.transactions.at(-1);
    assert.equal(tx.scheme, "uk_retail_pot");
    assert.ok(Date.parse(tx.settled) > t.emulator.now());
  });

  it("keeps amount_is_pending false but on pre-auths, and has rare hidden £0 checks", () => {
    assert.ok(year.some((tx) => tx.settled === "" && tx.scheme === "mastercard"));
    assert.ok(year.every((tx) => tx.amount_is_pending === false));
    const checks = year.filter((tx) => tx.metadata.hide_transaction === "true");
    assert.ok(checks.length >= 1 && checks.length <= 12, `${checks.length} checks`);
    for (const tx of checks) {
      assert.equal(tx.amount, 0);
      assert.equal(tx.settled, "");
      assert.equal(tx.description, "PIN change or balance check");
    }
  });
});

describe("emulator pot accounts", () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let pots: Json[];
  before(async () => {
    t = await setup();
    pots = (await t.api(`/pots?current_account_id=${t.current}`)).body.pots;
  });
  after(() => t.server.close());

  it("gives each pot an account, not among GET /accounts, listing the pot's statement", async () => {
    const ids = pots.map((pot) => pot.pot_account_id);
    for (const id of ids) assert.match(id, /^acc_[0-9A-Za-z]{22}$/);
    assert.equal(new Set(ids).size, pots.length);
    const accounts = (await t.api("/accounts")).body.accounts.map((a: Json) => a.id);
    assert.ok(ids.every((id) => !accounts.includes(id)));

    const savings = pots.find((pot) => pot.name === "Savings");
    const seeded = (await t.list(`since=${t.ago(89)}`, savings.pot_account_id)).body.transactions;
    assert.ok(seeded.length >= 2, "the monthly moves into the pot");
    for (const tx of seeded) {
      assert.equal(tx.account_id, savings.pot_account_id);
      assert.equal(tx.amount, 20000);
      assert.equal(tx.metadata.pot_id, savings.id);
    }
    const move = (direction: string, account: string, amount: string, dedupe: string) =>
      t.api(`/pots/${savings.id}/${direction}`, {
        method: "PUT",
        body: new URLSearchParams({ [account]: t.current, amount, dedupe_id: dedupe }),
      });
    assert.equal((await move("deposit", "source_account_id", "1500", "in")).status, 200);
    assert.equal((await move("withdraw", "destination_account_id", "400", "out")).status, 200);
    const statement = (await t.list(`since=${t.ago(0)}`, savings.pot_account_id)).body;
    assert.deepEqual(statement.transactions.map((tx: Json) => tx.amount), [1500, -400]);
    const one = await t.api(`/transactions/${statement.transactions[0].id}`);
    assert.equal(one.body.transaction.account_id, savings.pot_account_id);
  });

  it("reads 90 days only, even inside the window; another user gets 403", async () => {
    const id = pots[0].pot_account_id;
    const refused = await t.list(`since=${t.ago(120)}`, id);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, "forbidden.verification_required");
    assert.equal((await t.list(`since=${t.ago(120)}`)).status, 200, "the current account can");
    assert.equal((await t.list("limit=1", id)).status, 400, "the range rule applies too");
    const partner = t.emulator.login({ userId: t.emulator.partner.id }).accessToken;
    const theirs = await t.list(`since=${t.ago(10)}`, id, partner);
    assert.equal(theirs.body.code, "forbidden.insufficient_permissions");
  });
});

describe("emulator request log and faults on GET /transactions", () => {
  let t: Awaited<ReturnType<typeof setup>>;
  before(async () => t = await setup());
  after(() => t.server.close());

  it("records each listing's account, since, before, limit and status", async () => {
    const from = t.emulator.requests.length;
    const since = t.ago(30);
    const before = t.ago(10);
    await t.list(`limit=5&since=${since}&before=${before}`);
    await t.list(`since=${t.ago(400)}`);
    await t.api(`/balance?account_id=${t.current}`);
    const log = t.emulator.transactionRequests().filter((r) => r.at >= NOW).slice(-2);
    assert.ok(t.emulator.requests.length - from === 3);
    assert.deepEqual(log[0], {
      at: NOW,
      accountId: t.current,
      since,
      before,
      limit: "5",
      status: 200,
    });
    assert.equal(log[1].status, 400);
    assert.equal(log[1].before, undefined);
  });

  it("applies 429 with Retry-After and per-request latency to listings", async () => {
    t.emulator.injectFault({ path: "/transactions", status: 429, retryAfter: 3 });
    const limited = await t.list(`since=${t.ago(1)}`);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "3");
    assert.equal(limited.body.code, "rate_limited");
    assert.equal(t.emulator.transactionRequests().at(-1)!.status, 429);

    t.emulator.injectFault({ path: "/transactions", delayMs: 400 });
    const order: string[] = [];
    const slow = t.list(`since=${t.ago(1)}`).then((r) => order.push(`transactions ${r.status}`));
    const fast = t.api(`/balance?account_id=${t.current}`).then(() => order.push("balance"));
    await Promise.all([slow, fast]);
    assert.deepEqual(order, ["balance", "transactions 200"]);
  });
});

describe("emulator snapshot", () => {
  it("a restart from a snapshot seeds the same world, so synced ids stay valid", async () => {
    let clock = NOW;
    const first = new MonzoEmulator({ seed: 9, now: () => clock });
    const saved = JSON.parse(JSON.stringify(first.snapshot()));
    clock += 3 * DAY; // restarted three days later
    const restarted = new MonzoEmulator({ seed: 9, now: () => clock, restore: saved });
    assert.equal(restarted.user.id, first.user.id);
    assert.deepEqual(restarted.accounts, first.accounts);
    const server = await serveEmulator(restarted);
    try {
      const { accessToken } = restarted.login();
      const since = iso(NOW - 30 * DAY);
      const listed = async (emulator: MonzoEmulator) => {
        const url = `${server.url}/transactions?account_id=${emulator.accounts.current}` +
          `&since=${since}&before=${iso(NOW)}&limit=100`;
        const response = await fetch(url, { headers: { authorization: `Bearer ${accessToken}` } });
        return ((await response.json()).transactions as { id: string }[]).map((t) => t.id);
      };
      const ids = await listed(restarted);
      assert.ok(ids.length > 50);
      for (const id of ids.slice(0, 5)) assert.ok(first.transaction(id), id);
    } finally {
      await server.close();
    }
  });
});
