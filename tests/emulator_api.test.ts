// The emulator's data endpoints: accounts, balance, pots, transactions, and the wire rules.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MonzoEmulator, serveEmulator } from "../src/testing/mod.ts";

// deno-lint-ignore no-explicit-any
type Json = any;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);
// One listing spans at most 365 days: read the seeded year from here.
const YEAR_AGO = new Date(NOW - 365 * DAY).toISOString();

async function setup() {
  const emulator = new MonzoEmulator({ seed: 5, now: () => NOW });
  const server = await serveEmulator(emulator);
  const api = async (path: string, init: RequestInit & { token?: string } = {}) => {
    const token = init.token ?? emulator.login().accessToken;
    const response = await fetch(`${server.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...init.headers },
    });
    return {
      status: response.status,
      body: await response.json() as Json,
      headers: response.headers,
    };
  };
  const form = (method: string, body: Record<string, string>) => ({
    method,
    body: new URLSearchParams(body),
  });
  return { emulator, server, api, form };
}

describe("emulator accounts and balance", () => {
  let t: Awaited<ReturnType<typeof setup>>;
  before(async () => t = await setup());
  after(() => t.server.close());

  it("lists the current and joint accounts, filtered by type", async () => {
    const { body } = await t.api("/accounts");
    assert.deepEqual(body.accounts.map((a: Json) => a.type), ["uk_retail", "uk_retail_joint"]);
    assert.equal(body.accounts[0].id, t.emulator.accounts.current);
    assert.match(body.accounts[0].id, /^acc_[0-9A-Za-z]{22}$/);
    assert.equal(body.accounts[1].owners.length, 2);
    assert.match(body.accounts[0].payment_details.iban.unformatted, /^GB\d{2}MONZ040004\d{8}$/);
    const joint = await t.api("/accounts?account_type=uk_retail_joint");
    assert.deepEqual(joint.body.accounts.map((a: Json) => a.id), [t.emulator.accounts.joint]);
  });

  it("computes the balance from transactions, and total_balance with the pots", async () => {
    const account = t.emulator.accounts.current;
    const before = (await t.api(`/balance?account_id=${account}`)).body;
    const pots = (await t.api(`/pots?current_account_id=${account}`)).body.pots;
    const inPots = pots.reduce((sum: number, pot: Json) => sum + pot.balance, 0);
    assert.equal(before.total_balance, before.balance + inPots);
    assert.ok(before.balance > 0);
    t.emulator.addTransaction(account, { amount: -1234 });
    t.emulator.addTransaction(account, { amount: -999, decline_reason: "INSUFFICIENT_FUNDS" });
    const after = (await t.api(`/balance?account_id=${account}`)).body;
    assert.equal(after.balance, before.balance - 1234);
    assert.equal(after.spend_today, before.spend_today - 1234);
  });

  it("validates the account: missing 400, unknown 404, another user's 403", async () => {
    const missing = await t.api("/balance");
    assert.equal(missing.status, 400);
    assert.equal(missing.body.code, "bad_request.missing_param.account_id");
    assert.equal((await t.api("/balance?account_id=acc_nope")).status, 404);
    const theirs = await t.api(`/balance?account_id=${t.emulator.partner.account}`);
    assert.equal(theirs.status, 403);
    assert.equal(theirs.body.code, "forbidden.insufficient_permissions");
    const asPartner = t.emulator.login({ userId: t.emulator.partner.id }).accessToken;
    assert.equal(
      (await t.api(`/balance?account_id=${t.emulator.partner.account}`, { token: asPartner }))
        .status,
      200,
    );
  });

  it("answers 405 for a wrong method on a known path and 404 for an unknown path", async () => {
    const wrong = await t.api("/accounts", { method: "POST" });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "GET");
    assert.equal((await t.api(`/pots/pot_x/deposit`, { method: "GET" })).status, 405);
    const unknown = await t.api("/cards");
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.code, /^not_found\./);
  });
});

describe("emulator pots", () => {
  let t: Awaited<ReturnType<typeof setup>>;
  before(async () => t = await setup());
  after(() => t.server.close());

  const pots = async () =>
    (await t.api(`/pots?current_account_id=${t.emulator.accounts.current}`)).body.pots;
  const balance = async () =>
    (await t.api(`/balance?account_id=${t.emulator.accounts.current}`)).body.balance;

  it("lists the pots of an account, one of them locked", async () => {
    const list = await pots();
    assert.ok(list.length >= 3);
    assert.ok(list.some((pot: Json) => pot.locked));
    assert.equal((await t.api("/pots")).body.code, "bad_request.missing_param.current_account_id");
  });

  it("deposits once per dedupe_id and records a pot transaction", async () => {
    const pot = (await pots()).find((p: Json) => !p.locked);
    const accountBefore = await balance();
    const move = {
      source_account_id: t.emulator.accounts.current,
      amount: "2500",
      dedupe_id: "deposit-1",
    };
    const first = await t.api(`/pots/${pot.id}/deposit`, t.form("PUT", move));
    assert.equal(first.status, 200);
    assert.equal(first.body.id, pot.id);
    assert.equal(first.body.balance, pot.balance + 2500);
    const retried = await t.api(`/pots/${pot.id}/deposit`, t.form("PUT", move));
    assert.deepEqual(retried.body, first.body);
    assert.equal(await balance(), accountBefore - 2500);
    const { transactions } = (await t.api(
      `/transactions?account_id=${t.emulator.accounts.current}&since=${
        new Date(NOW - 60_000).toISOString()
      }`,
    )).body;
    const potMoves = transactions.filter((tx: Json) => tx.metadata.dedupe_id === "deposit-1");
    assert.equal(potMoves.length, 1);
    assert.equal(potMoves[0].amount, -2500);
    assert.equal(potMoves[0].scheme, "uk_retail_pot");

    const withdrawn = await t.api(
      `/pots/${pot.id}/withdraw`,
      t.form("PUT", {
        destination_account_id: t.emulator.accounts.current,
        amount: "500",
        dedupe_id: "withdraw-1",
      }),
    );
    assert.equal(withdrawn.body.balance, pot.balance + 2000);
    assert.equal(await balance(), accountBefore - 2000);
  });

  it("refuses locked pots, missing funds and bad amounts", async () => {
    const list = await pots();
    const locked = list.find((p: Json) => p.locked);
    const open = list.find((p: Json) => !p.locked);
    const account = t.emulator.accounts.current;
    const withdraw = (pot: Json, amount: string) =>
      t.api(
        `/pots/${pot.id}/withdraw`,
        t.form("PUT", { destination_account_id: account, amount, dedupe_id: crypto.randomUUID() }),
      );
    const refused = await withdraw(locked, "100");
    assert.equal(refused.status, 403);
    assert.match(refused.body.code, /^forbidden\./);
    assert.equal(
      (await withdraw(open, String(open.balance + 1))).body.code,
      "bad_request.insufficient_funds",
    );
    assert.equal((await withdraw(open, "12.50")).body.code, "bad_request.bad_param.amount");
    const noDedupe = await t.api(
      `/pots/${open.id}/deposit`,
      t.form("PUT", { source_account_id: account, amount: "1" }),
    );
    assert.equal(noDedupe.body.code, "bad_request.missing_param.dedupe_id");
    const unknown = await t.api(
      `/pots/pot_missing/deposit`,
      t.form("PUT", { source_account_id: account, amount: "1", dedupe_id: "x" }),
    );
    assert.equal(unknown.status, 404);
  });
});

describe("emulator transactions", () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let all: Json[];
  before(async () => {
    t = await setup();
    all = [];
    const token = t.emulator.login().accessToken;
    for (let since = `&since=${YEAR_AGO}`;;) {
      const page =
        (await t.api(`/transactions?account_id=${t.emulator.accounts.current}&limit=100${since}`, {
          token,
        }))
          .body.transactions;
      all.push(...page);
      if (page.length < 100) break;
      since = `&since=${page.at(-1).id}`;
    }
  });
  after(() => t.server.close());
  const list = async (query: string, token?: string) =>
    await t.api(`/transactions?account_id=${t.emulator.accounts.current}&${query}`, { token });

  it("pages through a year of history in ascending order without gaps or repeats", () => {
    assert.ok(all.length > 1000, `${all.length} transactions`);
    assert.equal(new Set(all.map((tx) => tx.id)).size, all.length);
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].created <= all[i].created);
    assert.ok(Date.parse(all[0].created) < NOW - 360 * DAY);
    assert.ok(all.some((tx) => tx.decline_reason && tx.settled === tx.created));
    assert.ok(all.some((tx) => !tx.decline_reason && tx.settled === ""));
    assert.ok(all.filter((tx) => tx.category === "income").length >= 12);
  });

  it("defaults to 30 per page and rejects limits outside 1..100", async () => {
    const page = (await list(`since=${YEAR_AGO}`)).body.transactions;
    assert.deepEqual(page.map((tx: Json) => tx.id), all.slice(0, 30).map((tx) => tx.id));
    for (const limit of ["101", "0", "ten"]) {
      const response = await list(`limit=${limit}`);
      assert.equal(response.status, 400);
      assert.equal(response.body.code, "bad_request.bad_param.limit");
    }
    assert.equal((await list("since=yesterday")).body.code, "bad_request.bad_param.since");
  });

  it("treats since timestamps as inclusive, since ids and before as exclusive", async () => {
    const k = all.findIndex((tx, i) =>
      i > 500 && tx.created !== all[i - 1].created && tx.created !== all[i + 1].created
    );
    const byTime = (await list(`limit=3&since=${all[k].created}`)).body.transactions;
    assert.deepEqual(byTime.map((tx: Json) => tx.id), all.slice(k, k + 3).map((tx) => tx.id));
    const byId = (await list(`limit=3&since=${all[k].id}`)).body.transactions;
    assert.deepEqual(byId.map((tx: Json) => tx.id), all.slice(k + 1, k + 4).map((tx) => tx.id));
    const window =
      (await list(`since=${all[k - 5].created}&before=${all[k].created}`)).body.transactions;
    assert.deepEqual(window.map((tx: Json) => tx.id), all.slice(k - 5, k).map((tx) => tx.id));
  });

  it("inlines merchants with expand[] (encoded or literal brackets), else gives ids", async () => {
    const plain = (await list(`limit=100&since=${YEAR_AGO}`)).body.transactions;
    assert.ok(
      plain.some((tx: Json) => typeof tx.merchant === "string" && tx.merchant.startsWith("merch_")),
    );
    assert.ok(plain.some((tx: Json) => tx.merchant === null));
    for (const expand of ["expand%5B%5D=merchant", "expand[]=merchant"]) {
      const expanded = (await list(`limit=100&since=${YEAR_AGO}&${expand}`)).body.transactions;
      const withMerchant = expanded.find((tx: Json) => tx.merchant !== null);
      assert.equal(typeof withMerchant.merchant.name, "string");
      assert.ok(
        withMerchant.merchant.emoji && withMerchant.merchant.logo && withMerchant.merchant.address,
      );
    }
  });

  it("annotates: merges metadata, deletes on empty values, mirrors notes", async () => {
    const id = all.at(-1).id;
    const first = await t.api(`/transactions/${id}`, {
      method: "PATCH",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body:
        "metadata[notes]=Lunch%20with%20Charles&metadata%5Bproject%5D=engine&metadata[keep]=yes",
    });
    assert.equal(first.status, 200);
    assert.equal(first.body.transaction.notes, "Lunch with Charles");
    assert.deepEqual(first.body.transaction.metadata, {
      notes: "Lunch with Charles",
      project: "engine",
      keep: "yes",
    });
    const second = await t.api(`/transactions/${id}`, t.form("PATCH", { "metadata[project]": "" }));
    assert.deepEqual(second.body.transaction.metadata, {
      notes: "Lunch with Charles",
      keep: "yes",
    });
    const logged = t.emulator.requests.at(-1)!;
    assert.equal(logged.method, "PATCH");
    assert.match(logged.contentType!, /^application\/x-www-form-urlencoded/);
    assert.equal(logged.body, "metadata%5Bproject%5D=");
    assert.equal((await t.api(`/transactions/${id}`)).body.transaction.metadata.keep, "yes");
    assert.equal(
      (await t.api(`/transactions/${id}`, t.form("PATCH", {}))).body.code,
      "bad_request.missing_param.metadata",
    );
  });

  it("gives 404 for unknown transactions and 403 for another user's", async () => {
    assert.equal((await t.api("/transactions/tx_unknown")).status, 404);
    const partner = t.emulator.login({ userId: t.emulator.partner.id }).accessToken;
    const theirs = (await t.api(
      `/transactions?account_id=${t.emulator.partner.account}&limit=1&since=${YEAR_AGO}`,
      { token: partner },
    )).body.transactions[0];
    assert.equal((await t.api(`/transactions/${theirs.id}`)).status, 403);
  });
});

describe("emulator 90-day history window", () => {
  let t: Awaited<ReturnType<typeof setup>>;
  before(async () => t = await setup());
  after(() => t.server.close());

  it("allows full history for 5 minutes after SCA, then only the last 90 days", async () => {
    const token = t.emulator.login().accessToken;
    const account = t.emulator.accounts.current;
    const list = (query = "") => t.api(`/transactions?account_id=${account}${query}`, { token });
    const since = (days: number) =>
      `&since=${new Date(t.emulator.now() - days * DAY).toISOString()}`;
    const oldest = (await list(`&limit=1${since(364)}`)).body.transactions[0];
    assert.equal((await t.api(`/transactions/${oldest.id}`, { token })).status, 200);

    t.emulator.advanceTime(4 * 60);
    assert.equal((await list(since(365))).status, 200);
    t.emulator.advanceTime(2 * 60);
    const closed = await list(since(365));
    assert.equal(closed.status, 403);
    assert.equal(closed.body.code, "forbidden.verification_required");
    assert.equal((await list(since(89))).status, 200);
    assert.equal((await list(since(91))).status, 403);
    assert.equal((await list(`&since=${oldest.id}`)).status, 403);
    assert.equal(
      (await t.api(`/transactions/${oldest.id}`, { token })).body.code,
      "forbidden.verification_required",
    );

    const recent = (await list(since(10))).body.transactions[0];
    assert.equal((await t.api(`/transactions/${recent.id}`, { token })).status, 200);
  });

  it("reopens the window only with a new approval", async () => {
    const { accessToken } = t.emulator.login({ approved: false });
    t.emulator.approve(accessToken);
    const since = new Date(t.emulator.now() - 365 * DAY).toISOString();
    const response = await t.api(
      `/transactions?account_id=${t.emulator.accounts.current}&since=${since}`,
      { token: accessToken },
    );
    assert.equal(response.status, 200);
  });
});
