// Faults: reads under a seeded schedule of 429s (with and without Retry-After), 5xx, slow
// answers, answers slower than the timeout and dropped connections; pot moves whose answers
// are lost; concurrent reads while tokens expire with faults on the token endpoint too.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Authentication,
  MemoryStorage,
  Monzo,
  MonzoAuthenticationError,
  MonzoError,
  MonzoNetworkError,
  MonzoRateError,
  MonzoServerError,
} from "../mod.ts";
import type { EmulatorFault } from "../src/testing/mod.ts";
import {
  outcome,
  type RecordingEmulator,
  seeded,
  startRecordingEmulator,
  tally,
  weighted,
  within,
} from "./_reliability.ts";

const TIMEOUT_MS = 500;
const MAX_RETRIES = 2;
const SLOW_MS = 40;

/** What one attempt meets. `ok` and `slow` answer normally. */
type Effect =
  | "ok"
  | "slow"
  | "429"
  | "429 Retry-After 0"
  | "429 Retry-After 1"
  | "429 Retry-After 120"
  | "500"
  | "502"
  | "503"
  | "504"
  | "timeout"
  | "drop";

const FAULTS: Record<Exclude<Effect, "ok">, EmulatorFault> = {
  slow: { delayMs: SLOW_MS },
  "429": { status: 429 },
  "429 Retry-After 0": { status: 429, retryAfter: 0 },
  "429 Retry-After 1": { status: 429, retryAfter: 1 },
  "429 Retry-After 120": { status: 429, retryAfter: 120 },
  "500": { status: 500 },
  "502": { status: 502 },
  "503": { status: 503 },
  "504": { status: 504 },
  timeout: { delayMs: TIMEOUT_MS * 3 },
  drop: { drop: true },
};

const READ_EFFECTS: [Effect, number][] = [
  ["ok", 58],
  ["slow", 5],
  ["429", 4],
  ["429 Retry-After 0", 4],
  ["429 Retry-After 1", 0.6],
  ["429 Retry-After 120", 2],
  ["500", 5],
  ["502", 3],
  ["503", 5],
  ["504", 5],
  ["timeout", 3],
  ["drop", 6],
];

const answers = (effect: Effect) => effect === "ok" || effect === "slow";

/**
 * The attempts of one read: faults until an answer, or until the budget is spent, or until
 * a 429 whose Retry-After is too long to wait for.
 */
function schedule(random: () => number): Effect[] {
  const effects: Effect[] = [];
  for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
    const effect = weighted(random, READ_EFFECTS);
    effects.push(effect);
    if (answers(effect) || effect === "429 Retry-After 120") break;
  }
  return effects;
}

/** Asserts that `error` is exactly what a read whose last attempt met `effect` must throw. */
function assertErrorOf(effect: Effect, error: unknown, label: string): void {
  assert.ok(error instanceof MonzoError, `${label}: not a MonzoError: ${error}`);
  const is = (condition: boolean) =>
    assert.ok(condition, `${label}: ${effect} gave ${error.name} ${JSON.stringify(error)}`);
  if (effect.startsWith("429")) {
    const retryAfter = effect === "429" ? undefined : Number(effect.split(" ").pop());
    is(error instanceof MonzoRateError && error.status === 429 && error.code === "rate_limited");
    is((error as MonzoRateError).retryAfter === retryAfter);
  } else if (/^5\d\d$/.test(effect)) {
    is(error instanceof MonzoServerError && error.status === Number(effect));
  } else if (effect === "timeout") {
    is(error instanceof MonzoNetworkError && error.timedOut && error.code === "network.timeout");
  } else if (effect === "drop") {
    is(error instanceof MonzoNetworkError && !error.timedOut && error.code === "network.failed");
  } else {
    assert.fail(`${label}: ${effect} should have answered, got ${error}`);
  }
}

/** The longest a read with these attempts may take, with slack for a loaded machine. */
function budgetMs(effects: Effect[]): number {
  let ms = 1_500;
  for (const effect of effects) {
    if (effect === "timeout") ms += TIMEOUT_MS;
    if (effect === "slow") ms += SLOW_MS;
    if (effect === "429 Retry-After 1") ms += 1_000;
  }
  return ms;
}

/** Token set of a login, as Authentication options. */
function tokens(served: RecordingEmulator) {
  const set = served.login();
  return {
    accessToken: set.accessToken,
    accessTokenExpiry: set.expiry,
    refreshToken: set.refreshToken,
  };
}

test(
  "400 reads under seeded faults: each succeeds within its budget or fails with the error of its last fault",
  {
    timeout: 60_000,
  },
  async (t) => {
    const served = await startRecordingEmulator({ seed: 21 });
    const { emulator } = served;
    try {
      const auth = new Authentication(served.options({
        ...tokens(served),
        maxRetries: MAX_RETRIES,
        retryDelayMs: 1,
        timeoutMs: TIMEOUT_MS,
      }));
      const monzo = new Monzo(auth);
      const account = emulator.accounts.current;
      const since = new Date(Date.now() - 30 * 86_400_000);
      const [tx] = await monzo.transactions.list(account, { since, limit: 1 });
      await monzo.receipts.put({
        transaction_id: tx.id,
        external_id: "reliability-receipt",
        total: 100,
        currency: "GBP",
        items: [{ description: "Tea", amount: 100, currency: "GBP" }],
      });

      // One lane per path: a lane's reads run one after another, the lanes side by side, so the
      // faults injected for a read (count 1 each, in order) are met by its own attempts only.
      const lanes: {
        path: string;
        read: () => Promise<unknown>;
        check: (v: unknown) => boolean;
      }[] = [
        { path: "/accounts", read: () => monzo.accounts.list(), check: Array.isArray },
        {
          path: "/balance",
          read: () => monzo.balance.get(account),
          check: (v) => typeof (v as { balance: unknown }).balance === "number",
        },
        { path: "/pots", read: () => monzo.pots.list(account), check: Array.isArray },
        {
          path: "/transactions",
          read: () => monzo.transactions.list(account, { since, limit: 20 }),
          check: (v) => Array.isArray(v) && v.length === 20,
        },
        {
          path: `/transactions/${tx.id}`,
          read: () => monzo.transactions.get(tx.id, { expandMerchant: true }),
          check: (v) => (v as { id: string }).id === tx.id,
        },
        {
          path: "/ping/whoami",
          read: () => monzo.whoAmI(),
          check: (v) => (v as { authenticated: boolean }).authenticated,
        },
        { path: "/webhooks", read: () => monzo.webhooks.list(account), check: Array.isArray },
        {
          path: "/transaction-receipts",
          read: () => monzo.receipts.get("reliability-receipt"),
          check: (v) => (v as { total: number }).total === 100,
        },
      ];
      const random = seeded(2026);
      const effects: string[] = [];
      const results: string[] = [];
      let retryAfterHonoured = 0;
      const perLane = 50;
      const plans = lanes.map(() => Array.from({ length: perLane }, () => schedule(random)));
      const runLane = async (lane: (typeof lanes)[number], laneIndex: number) => {
        for (const [n, plan] of plans[laneIndex].entries()) {
          const label = `read ${laneIndex}.${n} ${lane.path} [${plan.join(", ")}]`;
          for (const effect of plan) {
            if (effect !== "ok") {
              emulator.injectFault({ ...FAULTS[effect], path: lane.path, method: "GET", count: 1 });
            }
          }
          const before = served.hits.get(lane.path) ?? 0;
          const started = Date.now();
          const result = await within(10_000, label, outcome(lane.read));
          const elapsed = Date.now() - started;
          const attempts = (served.hits.get(lane.path) ?? 0) - before;
          assert.equal(attempts, plan.length, `${label}: ${attempts} attempts`);
          assert.ok(elapsed <= budgetMs(plan), `${label}: took ${elapsed} ms`);
          const waited = plan.slice(0, -1).includes("429 Retry-After 1");
          if (waited) {
            assert.ok(elapsed >= 990, `${label}: Retry-After 1 not honoured (${elapsed} ms)`);
            retryAfterHonoured++;
          }
          const last = plan[plan.length - 1];
          if (answers(last)) {
            assert.ok(result.ok, `${label}: failed with ${!result.ok && result.error}`);
            assert.ok(lane.check(result.value), `${label}: wrong value`);
            results.push(plan.length === 1 ? "success at once" : "success after retries");
          } else {
            assert.ok(!result.ok, `${label}: succeeded`);
            assertErrorOf(last, result.error, label);
            results.push(`failed: ${(result.error as Error).name}`);
          }
          effects.push(...plan);
        }
      };
      await Promise.all(lanes.map(runLane));
      await served.settle();
      // Nothing is left over: each lane's next read meets no fault.
      for (const lane of lanes) {
        const before = served.hits.get(lane.path) ?? 0;
        assert.ok(lane.check(await lane.read()));
        assert.equal((served.hits.get(lane.path) ?? 0) - before, 1, `a fault left on ${lane.path}`);
      }
      const outcomes = tally(results);
      assert.ok((outcomes["success after retries"] ?? 0) > 50, "too few recoveries to mean much");
      assert.ok(Object.keys(outcomes).filter((k) => k.startsWith("failed")).length === 3);
      t.diagnostic(`reads: ${results.length}; outcomes ${JSON.stringify(outcomes)}`);
      t.diagnostic(`attempts met: ${JSON.stringify(tally(effects))}`);
      t.diagnostic(`reads that waited a 1 s Retry-After: ${retryAfterHonoured}`);
    } finally {
      await served.close();
    }
  },
);

/** Per attempt of a pot move: an emulator fault, an answer lost on the way back, or none. */
type MoveEffect = "ok" | "lost" | "500" | "503" | "504" | "429" | "drop" | "timeout";

const MOVE_EFFECTS: [MoveEffect, number][] = [
  ["ok", 45],
  ["lost", 15],
  ["500", 8],
  ["503", 6],
  ["504", 6],
  ["429", 5],
  ["drop", 10],
  ["timeout", 5],
];

test(
  "pot moves with a fixed dedupeId under drops, 5xx, timeouts and lost answers move the money once",
  {
    timeout: 60_000,
  },
  async (t) => {
    const served = await startRecordingEmulator({ seed: 22 });
    const { emulator } = served;
    // The effects of the coming attempts, consumed one per request to a pot move.
    const pending: MoveEffect[] = [];
    let lostAfterApplied = 0;
    const faultyFetch: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (!/^\/pots\/[^/]+\/(deposit|withdraw)$/.test(url.pathname)) {
        return await fetch(input, init);
      }
      const effect = pending.shift() ?? "ok";
      if (effect !== "ok" && effect !== "lost") {
        const fault = effect === "timeout"
          ? { delayMs: TIMEOUT_MS * 2 } // the emulator moves the money after we gave up
          : effect === "drop"
          ? { drop: true }
          : { status: Number(effect) };
        emulator.injectFault({ ...fault, path: url.pathname, method: "PUT", count: 1 });
      }
      const response = await fetch(input, init);
      if (effect !== "lost") return response;
      await response.arrayBuffer(); // Monzo moved the money; its answer never reaches us
      lostAfterApplied++;
      throw new TypeError("connection reset by peer (the answer was lost)");
    };
    try {
      const auth = new Authentication(served.options({
        ...tokens(served),
        fetch: faultyFetch,
        maxRetries: MAX_RETRIES,
        retryDelayMs: 1,
        timeoutMs: TIMEOUT_MS,
      }));
      const monzo = new Monzo(auth);
      const account = emulator.accounts.current;
      const pot = (await monzo.pots.list(account)).find((p) => !p.deleted && !p.locked)!;
      const balanceBefore = (await monzo.balance.get(account)).balance;
      const startedIso = new Date(emulator.now() - 1000).toISOString();

      const random = seeded(77);
      const moves: { dedupeId: string; kind: "deposit" | "withdraw"; amount: number }[] = [];
      for (let i = 0; i < 40; i++) {
        moves.push({
          dedupeId: `reliability-move-${i}`,
          kind: i < 30 ? "deposit" : "withdraw",
          amount: 1 + Math.floor(random() * 500),
        });
      }
      const outcomes: string[] = [];
      const send = (move: (typeof moves)[number]) =>
        move.kind === "deposit"
          ? monzo.pots.deposit(pot.id, {
            sourceAccountId: account,
            amount: move.amount,
            dedupeId: move.dedupeId,
          })
          : monzo.pots.withdraw(pot.id, {
            destinationAccountId: account,
            amount: move.amount,
            dedupeId: move.dedupeId,
          });
      for (const move of moves) {
        const plan: MoveEffect[] = [];
        for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
          plan.push(weighted(random, MOVE_EFFECTS));
          if (plan[attempt] === "ok") break;
        }
        pending.push(...plan);
        const label = `${move.kind} ${move.dedupeId} [${plan.join(", ")}]`;
        const first = await within(10_000, label, outcome(() => send(move)));
        assert.equal(pending.length, 0, `${label}: not every attempt was made`);
        if (plan[plan.length - 1] === "ok") {
          assert.ok(first.ok, `${label}: ${!first.ok && first.error}`);
          outcomes.push(plan.length === 1 ? "moved at once" : "moved after retries");
        } else {
          // The budget ran out: typed error; the app tries the same move again later.
          assert.ok(!first.ok, `${label}: succeeded`);
          assert.ok(
            first.error instanceof MonzoServerError || first.error instanceof MonzoNetworkError ||
              first.error instanceof MonzoRateError,
            `${label}: ${first.error}`,
          );
          outcomes.push(`failed (${first.error.name}), then moved on a later call`);
          assert.ok((await send(move)).id === pot.id);
        }
        // Running a move again (an app re-run) changes nothing either.
        if (random() < 0.25) {
          pending.push("ok");
          await send(move);
          outcomes.push("repeated");
        }
      }
      await served.settle(50); // moves answered after a timeout land by now

      const deposited = moves.reduce(
        (sum, m) => sum + (m.kind === "deposit" ? m.amount : -m.amount),
        0,
      );
      const potAfter = (await monzo.pots.list(account)).find((p) => p.id === pot.id)!;
      assert.equal(
        potAfter.balance,
        pot.balance + deposited,
        "the pot balance moved more than once",
      );
      assert.equal((await monzo.balance.get(account)).balance, balanceBefore - deposited);
      const ledger = new Map<string, number>();
      for await (const tx of monzo.transactions.iterate(account, { since: startedIso })) {
        const dedupeId = tx.metadata?.dedupe_id;
        if (tx.scheme === "uk_retail_pot" && dedupeId?.startsWith("reliability-move-")) {
          ledger.set(dedupeId, (ledger.get(dedupeId) ?? 0) + 1);
        }
      }
      assert.equal(ledger.size, moves.length);
      assert.ok([...ledger.values()].every((n) => n === 1), "a move has two transactions");
      assert.ok(lostAfterApplied >= 5, "too few lost answers to mean much");
      t.diagnostic(
        `pot moves: ${moves.length}, ${JSON.stringify(tally(outcomes))}; answers lost after ` +
          `Monzo applied the move: ${lostAfterApplied}; pot ${pot.balance} -> ${potAfter.balance}`,
      );
    } finally {
      await served.close();
    }
  },
);

test(
  "concurrent reads across token expiries, with faults on reads and /oauth2/token, never reuse a refresh token",
  {
    timeout: 60_000,
  },
  async (t) => {
    const served = await startRecordingEmulator({ seed: 23, accessTokenLifetimeSeconds: 3600 });
    const { emulator } = served;
    try {
      const reads = /^\/(accounts|balance|pots|transactions|ping\/whoami)$/;
      emulator.injectFault({ path: reads, status: 503, probability: 0.08, count: Infinity });
      emulator.injectFault({
        path: reads,
        status: 429,
        retryAfter: 0,
        probability: 0.06,
        count: Infinity,
      });
      emulator.injectFault({ path: reads, drop: true, probability: 0.06, count: Infinity });
      const token = "/oauth2/token";
      emulator.injectFault({ path: token, status: 500, probability: 0.2, count: Infinity });
      emulator.injectFault({ path: token, status: 503, probability: 0.15, count: Infinity });
      emulator.injectFault({ path: token, status: 429, probability: 0.1, count: Infinity });
      emulator.injectFault({ path: token, drop: true, probability: 0.15, count: Infinity });
      emulator.injectFault({ path: token, delayMs: 30, probability: 0.2, count: Infinity });

      const account = emulator.accounts.current;
      const since = () => new Date(emulator.now() - 10 * 86_400_000);
      const calls = (monzo: Monzo): (() => Promise<unknown>)[] => [
        () => monzo.accounts.list(),
        () => monzo.balance.get(account),
        () => monzo.pots.list(account),
        () => monzo.transactions.list(account, { since: since(), limit: 5 }),
        () => monzo.whoAmI(),
      ];
      const results: string[] = [];
      const round = async (instances: Authentication[], size: number) => {
        const settled = await within(
          20_000,
          "a round of reads",
          Promise.all(Array.from({ length: size }, (_, i) => {
            const list = calls(new Monzo(instances[i % instances.length]));
            return outcome(list[i % list.length]);
          })),
        );
        for (const result of settled) {
          if (result.ok) {
            results.push("success");
            continue;
          }
          const { error } = result;
          assert.ok(
            error instanceof MonzoServerError || error instanceof MonzoRateError ||
              error instanceof MonzoNetworkError,
            `not a fault's error: ${error instanceof MonzoError ? JSON.stringify(error) : error}`,
          );
          results.push(`failed: ${error.name}`);
        }
      };
      const transport = { maxRetries: 3, retryDelayMs: 1, timeoutMs: 2_000 };

      // One instance on the wall clock: only Monzo's 401 tells it that the token expired.
      const a = new Authentication(served.options({ ...tokens(served), ...transport }));
      for (let i = 0; i < 8; i++) {
        emulator.advanceTime(3600 + 60); // every token issued so far has expired, for Monzo only
        await round([a], 24);
      }

      // Two instances sharing one login through a storage (and its lease), on the emulator's
      // clock, with a second OAuth client (a login of the same client would evict a's): they
      // refresh ahead of expiry, and each adopts what the other stored.
      const client = emulator.addClient({ redirectUris: ["http://localhost:8123/callback"] });
      const login = emulator.login({ clientId: client.id });
      const storage = new MemoryStorage({
        accessToken: login.accessToken,
        clientId: client.id,
        clientSecret: client.secret,
        expiry: login.expiry,
        refreshToken: login.refreshToken,
      });
      const shared = served.options({
        clientId: client.id,
        clientSecret: client.secret,
        redirectUrl: client.redirectUris[0],
        now: () => emulator.now(),
        refreshSkewSeconds: 120,
        ...transport,
      });
      const b = await Authentication.fromStorage(storage, shared);
      const c = await Authentication.fromStorage(storage, shared);
      for (let i = 0; i < 8; i++) {
        emulator.advanceTime(3600 - 60); // within the skew: refreshed before Monzo refuses it
        await round([b, c], 30);
      }
      await served.settle();

      emulator.clearFaults();
      for (const auth of [a, b, c]) {
        assert.equal(
          (await new Monzo(auth).whoAmI()).authenticated,
          true,
        );
      }
      await a.refreshAccessToken();
      assert.equal((await new Monzo(a).whoAmI()).authenticated, true);
      await b.refreshAccessToken();
      assert.ok((await new Monzo(c).accounts.list()).length > 0); // c adopts b's refresh
      assert.equal(c.accessToken, b.accessToken);
      assert.equal((await storage.fetch())?.refreshToken, b.refreshToken);
      assert.equal(emulator.counters.refreshReuses, 0, "a refresh token was used twice");
      const outcomes = tally(results);
      assert.ok(outcomes.success > results.length / 2, "the faults swamped the reads");
      const refreshes = emulator.counters.grants.refresh_token;
      assert.ok(refreshes >= 10, `only ${refreshes} refresh requests`);
      t.diagnostic(
        `reads ${results.length}: ${JSON.stringify(outcomes)}; token requests ` +
          `${emulator.counters.tokenRequests} (refresh grants asked ${refreshes}); refresh ` +
          `token reuses ${emulator.counters.refreshReuses}`,
      );
    } finally {
      await served.close();
    }
  },
);

test(
  "a refresh whose answer is lost past grantTimeoutMs (Monzo rotated) is not retried; the next one asks to log in again",
  {
    timeout: 30_000,
  },
  async (t) => {
    const served = await startRecordingEmulator({ seed: 24 });
    const { emulator } = served;
    try {
      const auth = new Authentication(served.options({
        ...tokens(served),
        grantTimeoutMs: 300,
        handoverWaitMs: 200,
        maxRetries: 3,
      }));
      emulator.injectFault({ path: "/oauth2/token", delayMs: 1_000, after: true });
      const lost = await outcome(() => auth.refreshAccessToken());
      assert.ok(!lost.ok && lost.error instanceof MonzoNetworkError && lost.error.timedOut);
      await served.settle();
      assert.equal(emulator.counters.grants.refresh_token, 1, "the token request was retried");
      assert.equal(served.issued.at(-1)?.via, "refresh_token", "Monzo did not rotate");
      const again = await outcome(() => auth.refreshAccessToken());
      assert.ok(
        !again.ok && again.error instanceof MonzoAuthenticationError &&
          again.error.reauthorizationRequired &&
          again.error.code === "bad_request.refresh_token.invalid",
        `${!again.ok && again.error}`,
      );
      t.diagnostic(
        `refresh token reuses in this unavoidable case: ${emulator.counters.refreshReuses}`,
      );
    } finally {
      await served.close();
    }
  },
);
