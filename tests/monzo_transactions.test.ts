// transactions.get, list, iterate and annotate against the emulator.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  MonzoHTTPError,
  MonzoPermissionsError,
  MonzoResponseError,
  type Transaction,
} from "../mod.ts";
import {
  assertNoBody,
  formOf,
  lastRequest,
  queryOf,
  rejectsArgument,
  withMonzo,
} from "./_monzo.ts";

const DAY_MS = 86_400_000;

function assertAscendingAndUnique(transactions: Transaction[]): void {
  assert.equal(new Set(transactions.map((tx) => tx.id)).size, transactions.length);
  for (let i = 1; i < transactions.length; i++) {
    assert.ok(transactions[i - 1].created <= transactions[i].created, `out of order at ${i}`);
  }
}

test("transactions.get resolves to the transaction; expandMerchant sends expand[]=merchant", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const tx = emulator.addTransaction(emulator.accounts.current, {
      amount: -350,
      merchant: "Pret A Manger",
    });
    const plain = await monzo.transactions.get(tx.id);
    assert.equal(plain.id, tx.id);
    assert.equal(plain.amount, -350);
    assert.equal(plain.settled, "");
    assert.equal(plain.merchant, tx.merchant);
    let request = lastRequest(emulator, "GET", `/transactions/${tx.id}`);
    assertNoBody(request);
    assert.equal(request.query, "");

    const expanded = await monzo.transactions.get(tx.id, { expandMerchant: true });
    assert.ok(expanded.merchant && typeof expanded.merchant === "object");
    assert.equal(expanded.merchant.id, tx.merchant);
    assert.equal(expanded.merchant.name, "Pret A Manger");
    request = lastRequest(emulator, "GET", `/transactions/${tx.id}`);
    assert.deepEqual(new URLSearchParams(request.query).getAll("expand[]"), ["merchant"]);

    await assert.rejects(
      monzo.transactions.get("tx_unknown"),
      (error: unknown) => error instanceof MonzoHTTPError && error.status === 404,
    );
  });
});

test("transactions.list sends one page's bounds in the query, oldest first", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const account_id = emulator.accounts.current;
    const since = new Date(emulator.now() - 60 * DAY_MS);
    const before = new Date(emulator.now() - 30 * DAY_MS);
    const page = await monzo.transactions.list(account_id, {
      since,
      before: before.toISOString(),
      limit: 20,
      expandMerchant: true,
    });
    assert.equal(page.length, 20);
    assertAscendingAndUnique(page);
    assert.ok(page.every((tx) => tx.created >= since.toISOString()));
    assert.ok(page.every((tx) => tx.merchant === null || typeof tx.merchant === "object"));
    const request = lastRequest(emulator, "GET", "/transactions");
    assertNoBody(request);
    assert.deepEqual(queryOf(request), {
      account_id,
      since: since.toISOString(),
      before: before.toISOString(),
      limit: "20",
      "expand[]": "merchant",
    });

    // `since` may be a transaction id: the next page starts right after it.
    const next = await monzo.transactions.list(account_id, { since: page[19].id, limit: 5 });
    assert.equal(queryOf(lastRequest(emulator, "GET", "/transactions")).since, page[19].id);
    assert.ok(next[0].created >= page[19].created && next[0].id !== page[19].id);

    await assert.rejects(
      monzo.transactions.list(account_id, { since: "tx_unknown" }),
      (error: unknown) =>
        error instanceof MonzoHTTPError && error.status === 400 &&
        error.code === "bad_request.bad_param.since",
    );
  });
});

test("transactions.iterate pages forward with since=<last id>: no gaps, no duplicates", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const account = emulator.accounts.current;
    const since = new Date(emulator.now() - 15 * DAY_MS).toISOString();
    const oneGo = await monzo.transactions.list(account, { since, limit: 100 });
    assert.ok(oneGo.length > 30 && oneGo.length < 100, `${oneGo.length} in 15 days`);

    const start = emulator.requests.length;
    const paged: Transaction[] = [];
    for await (const tx of monzo.transactions.iterate(account, { since, limit: 7 })) paged.push(tx);
    assert.deepEqual(paged.map((tx) => tx.id), oneGo.map((tx) => tx.id));
    assertAscendingAndUnique(paged);
    const queries = emulator.requests.slice(start).map((r) => queryOf(r));
    assert.equal(queries.length, Math.floor(oneGo.length / 7) + 1);
    assert.equal(queries[0].since, since);
    for (let i = 1; i < queries.length; i++) {
      assert.equal(queries[i].since, paged[i * 7 - 1].id);
      assert.equal(queries[i].limit, "7");
    }
  });
});

test("transactions.iterate: default page of 100, whole history in windows under 365 days, an exact last page, break", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const account = emulator.accounts.current;
    let start = emulator.requests.length;
    const all: Transaction[] = [];
    for await (const tx of monzo.transactions.iterate(account)) all.push(tx);
    assertAscendingAndUnique(all);
    assert.ok(all.length > 1000, `${all.length} transactions`);
    const sent = emulator.requests.slice(start);
    // Without `since`, the account's creation comes from GET /accounts.
    assert.equal(sent[0].path, "/accounts");
    const pages = sent.slice(1);
    assert.ok(pages.every((r) => r.path === "/transactions" && queryOf(r).limit === "100"));
    const created = (await monzo.accounts.list()).find((a) => a.id === account)!.created;
    assert.equal(Date.parse(queryOf(pages[0]).since), Date.parse(created));
    // Every request spans at most 365 days (a `since` id starts at that transaction).
    const createdOf = new Map(all.map((tx) => [tx.id, Date.parse(tx.created)]));
    for (const page of pages) {
      const { since, before } = queryOf(page);
      const from = createdOf.get(since) ?? Date.parse(since);
      const to = before === undefined ? emulator.now() : Date.parse(before);
      assert.ok(to - from <= 365 * DAY_MS, `${since} to ${before}`);
    }

    // A page that is exactly full is followed by one empty page, then the loop ends.
    const since = all[all.length - 10].id;
    start = emulator.requests.length;
    let count = 0;
    for await (const _ of monzo.transactions.iterate(account, { since, limit: 9 })) count++;
    assert.equal(count, 9);
    assert.equal(emulator.requests.length - start, 2);

    // Breaking out stops fetching: beyond the page requested ahead (cancelled), none.
    start = emulator.requests.length;
    const recent = new Date(emulator.now() - 30 * DAY_MS);
    for await (const _ of monzo.transactions.iterate(account, { since: recent, limit: 5 })) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const broke = emulator.requests.slice(start);
    assert.ok(broke.length >= 1 && broke.length <= 2, `${broke.length} requests`);
    assert.equal(queryOf(broke[0]).since, recent.toISOString());
  });
});

test("after the 5-minute window, history past 90 days is MonzoPermissionsError verification_required", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    emulator.advanceTime(6 * 60);
    const account = emulator.accounts.current;
    const yearAgo = new Date(emulator.now() - 364 * DAY_MS);
    await assert.rejects(monzo.transactions.list(account, { since: yearAgo }), (error: unknown) => {
      assert.ok(error instanceof MonzoPermissionsError);
      assert.equal(error.reason, "verification_required");
      assert.match(error.message, /90 days/);
      return true;
    });
    const since = new Date(emulator.now() - 89 * DAY_MS);
    assert.ok((await monzo.transactions.list(account, { since })).length > 0);
  });
});

test("transactions.annotate PATCHes metadata[key]=value; an empty value deletes the key", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const tx = emulator.addTransaction(emulator.accounts.current, { metadata: { old: "x" } });
    const annotated = await monzo.transactions.annotate(tx.id, {
      notes: "Team lunch",
      project: "apollo",
      old: "",
    });
    assert.equal(annotated.id, tx.id);
    assert.deepEqual(annotated.metadata, { notes: "Team lunch", project: "apollo" });
    assert.equal(annotated.notes, "Team lunch");
    const request = lastRequest(emulator, "PATCH", `/transactions/${tx.id}`);
    assert.equal(request.query, "");
    assert.deepEqual(formOf(request), {
      "metadata[notes]": "Team lunch",
      "metadata[project]": "apollo",
      "metadata[old]": "",
    });
    assert.deepEqual((await monzo.transactions.get(tx.id)).metadata, annotated.metadata);
  });
});

test("responses: both timestamp forms, pending settled, every merchant form; bad fields named", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const base = { amount: -1, currency: "GBP", description: "X", settled: "", notes: "" };
    const transactions = [
      { ...base, id: "tx_1", created: "2015-08-22T12:20:18Z", merchant: null, extra: { a: 1 } },
      { ...base, id: "tx_2", created: "2017-11-09T12:30:53.695Z", merchant: "merch_1" },
      { ...base, id: "tx_3", created: "2017-11-09T12:30:53.695Z", merchant: { id: "merch_1" } },
      { ...base, id: "tx_4", created: "2018-01-01T00:00:00Z", category: "something_new" },
    ];
    const body = (value: unknown) => ({
      path: "/transactions",
      body: JSON.stringify(value),
      contentType: "application/json",
    });
    emulator.injectFault(body({ transactions }));
    const parsed = await monzo.transactions.list(emulator.accounts.current);
    assert.deepEqual(parsed, transactions);

    emulator.injectFault(body({ transactions: [transactions[0], { ...base, id: "tx_9" }] }));
    await assert.rejects(monzo.transactions.list(emulator.accounts.current), (error: unknown) => {
      assert.ok(error instanceof MonzoResponseError);
      assert.equal(error.path, "transactions.1.created");
      assert.equal(error.message, "GET /transactions: transactions.1.created is missing");
      return true;
    });
    emulator.injectFault(body({ transactions: [{ ...transactions[2], merchant: { id: 7 } }] }));
    await assert.rejects(
      monzo.transactions.list(emulator.accounts.current),
      (error: unknown) =>
        error instanceof MonzoResponseError && error.path === "transactions.0.merchant.id",
    );
  });
});

test("transactions.iterate: a bad page is a MonzoResponseError naming the field, after the good ones", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const base = { amount: -1, currency: "GBP", created: "2026-01-01T00:00:00Z", description: "X" };
    const page = (ids: string[]) => ({
      path: "/transactions",
      count: 1,
      body: JSON.stringify({ transactions: ids.map((id) => ({ ...base, id })) }),
      contentType: "application/json",
    });
    emulator.injectFault(page(["tx_1", "tx_2"]));
    emulator.injectFault({
      ...page([]),
      body: JSON.stringify({
        transactions: [{ ...base, id: "tx_3" }, { ...base, id: "tx_4", amount: "1" }],
      }),
    });
    const seen: string[] = [];
    await assert.rejects(
      async () => {
        for await (
          const tx of monzo.transactions.iterate(emulator.accounts.current, { limit: 2 })
        ) {
          seen.push(tx.id);
        }
      },
      (error: unknown) =>
        error instanceof MonzoResponseError && error.path === "transactions.1.amount" &&
        error.message.startsWith("GET /transactions: "),
    );
    assert.deepEqual(seen, ["tx_1", "tx_2"]);
  });
});

test("transaction methods check their arguments before sending anything", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const { list, iterate, get, annotate } = {
      list: monzo.transactions.list.bind(monzo.transactions),
      iterate: monzo.transactions.iterate.bind(monzo.transactions),
      get: monzo.transactions.get.bind(monzo.transactions),
      annotate: monzo.transactions.annotate.bind(monzo.transactions),
    };
    const acc = emulator.accounts.current;
    await rejectsArgument(emulator, "transactionId", () => get("tx#1"));
    await rejectsArgument(emulator, "accountId", () => list(""));
    for (const limit of [0, 101, 2.5, Number.NaN]) {
      await rejectsArgument(emulator, "options.limit", () => list(acc, { limit }));
      await rejectsArgument(emulator, "options.limit", () => iterate(acc, { limit }));
    }
    for (
      const since of [
        "yesterday",
        "2026-13-01T00:00:00Z",
        "2026-01-01",
        "2026-01-01t00:00:00z",
        new Date("x"),
        5,
      ]
    ) {
      await rejectsArgument(emulator, "options.since", () => list(acc, { since: since as Date }));
    }
    await rejectsArgument(emulator, "options.before", () => list(acc, { before: "tx_123" }));
    await rejectsArgument(emulator, "metadata", () => annotate("tx_1", {}));
    await rejectsArgument(emulator, "metadata.n", () => annotate("tx_1", { n: 1 as never }));
    await rejectsArgument(emulator, 'metadata["a]b"]', () => annotate("tx_1", { "a]b": "x" }));
  });
});
