// The seeded data: deterministic, believable, Monzo-shaped, and cheap even when large.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MonzoEmulator } from "../src/testing/mod.ts";

// deno-lint-ignore no-explicit-any
type Json = any;
const NOW = Date.UTC(2026, 2, 1, 9, 30);
// One listing spans at most 365 days: read the seeded year from here.
const YEAR_AGO = new Date(NOW - 365 * 86_400_000).toISOString();

async function get(
  emulator: MonzoEmulator,
  path: string,
  token = emulator.login().accessToken,
): Promise<Json> {
  const response = await emulator.fetch(
    new Request(`https://api.monzo.com${path}`, { headers: { authorization: `Bearer ${token}` } }),
  );
  assert.equal(response.status, 200);
  return await response.json();
}

describe("emulator seed", () => {
  it("is deterministic for a seed and clock, and differs across seeds", async () => {
    const a = new MonzoEmulator({ seed: 7, now: () => NOW });
    const b = new MonzoEmulator({ seed: 7, now: () => NOW });
    const c = new MonzoEmulator({ seed: 8, now: () => NOW });
    assert.deepEqual(a.accounts, b.accounts);
    assert.deepEqual(a.user, b.user);
    assert.notDeepEqual(a.accounts, c.accounts);
    const page = (e: MonzoEmulator) =>
      get(e, `/transactions?account_id=${e.accounts.current}&limit=100&since=${YEAR_AGO}`);
    assert.deepEqual(await page(a), await page(b));
  });

  it("looks like Monzo: ids, merchants, a year of spending, salary, declines and pending", async () => {
    const emulator = new MonzoEmulator({ seed: 3, now: () => NOW });
    const token = emulator.login().accessToken;
    const txs: Json[] = [];
    for (let since = `&since=${YEAR_AGO}`;;) {
      const query = `account_id=${emulator.accounts.current}&limit=100&expand[]=merchant${since}`;
      const page = (await get(emulator, `/transactions?${query}`, token)).transactions;
      txs.push(...page);
      if (page.length < 100) break;
      since = `&since=${page.at(-1).id}`;
    }
    for (const tx of txs) assert.match(tx.id, /^tx_[0-9A-Za-z]{22}$/);
    const ids = txs.map((tx) => tx.id);
    assert.deepEqual([...ids].sort(), ids, "ids sort by creation time");
    assert.ok(txs.length > 4 * 300 && txs.length < 4 * 500, `${txs.length} transactions`);

    const merchants = new Map(
      txs.filter((tx) => tx.merchant).map((tx) => [tx.merchant.id, tx.merchant]),
    );
    assert.ok(merchants.size >= 35, `${merchants.size} merchants`);
    for (const merchant of merchants.values()) {
      assert.match(merchant.id, /^merch_/);
      assert.ok(merchant.name && merchant.emoji && merchant.logo.startsWith("https://"));
      assert.equal(typeof merchant.address.latitude, "number");
    }
    const salaries = txs.filter((tx) => tx.category === "income" && tx.amount > 0);
    assert.ok(salaries.length >= 12);
    const categories = new Set(txs.map((tx) => tx.category));
    for (const category of ["groceries", "eating_out", "transport", "bills"]) {
      assert.ok(categories.has(category));
    }
    assert.ok(
      txs.some((tx) => typeof tx.decline_reason === "string" && tx.decline_reason.length > 0),
    );
    assert.ok(txs.some((tx) => tx.settled === "" && !tx.decline_reason));
    assert.ok(txs.filter((tx) => tx.decline_reason).every((tx) => tx.settled === tx.created));
  });

  it("seeds 50,000 transactions quickly and pages them by time", async () => {
    const started = performance.now();
    const emulator = new MonzoEmulator({ seed: 1, now: () => NOW, transactionsPerDay: 137 });
    const seeded = performance.now() - started;
    assert.ok(seeded < 2000, `seeding took ${seeded.toFixed(0)} ms`);

    const token = emulator.login().accessToken;
    const account = emulator.accounts.current;
    const since = new Date(NOW - 180 * 86_400_000).toISOString();
    const pageStarted = performance.now();
    const page = await get(
      emulator,
      `/transactions?account_id=${account}&limit=100&since=${since}`,
      token,
    );
    assert.equal(page.transactions.length, 100);
    assert.ok(page.transactions[0].created >= since);
    const next = await get(
      emulator,
      `/transactions?account_id=${account}&limit=100&since=${page.transactions[99].id}`,
      token,
    );
    assert.ok(next.transactions[0].created >= page.transactions[99].created);
    assert.ok(performance.now() - pageStarted < 500);
  });
});
