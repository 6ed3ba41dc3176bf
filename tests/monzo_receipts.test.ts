// receipts.put, get and delete against the emulator.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MonzoHTTPError, type Receipt } from "../mod.ts";
import { assertNoBody, lastRequest, queryOf, rejectsArgument, withMonzo } from "./_monzo.ts";

function receiptFor(transactionId: string): Receipt {
  return {
    transaction_id: transactionId,
    external_id: "order-1001",
    total: 1299,
    currency: "GBP",
    items: [
      {
        description: "Coffee beans",
        amount: 1083,
        currency: "GBP",
        quantity: 0.3,
        unit: "kg",
        tax: 180,
        sub_items: [
          { description: "Beans", amount: 1183, currency: "GBP" },
          { description: "Discount", amount: -100, currency: "GBP" },
        ],
      },
    ],
    taxes: [{ description: "VAT", amount: 216, currency: "GBP", tax_number: "945719291" }],
    payments: [{ type: "card", amount: 1299, currency: "GBP", last_four: "4242" }],
    merchant: { name: "Ozone Coffee", online: false, store_postcode: "EC2A 4DP" },
  };
}

test("receipts round trip: PUT JSON, GET and DELETE by external_id in the query", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const tx = emulator.addTransaction(emulator.accounts.current, { amount: -1299 });
    const receipt = receiptFor(tx.id);
    assert.equal(await monzo.receipts.put(receipt), undefined);
    const put = lastRequest(emulator, "PUT", "/transaction-receipts");
    assert.equal(put.contentType, "application/json");
    assert.equal(put.query, "");
    assert.deepEqual(JSON.parse(put.body), receipt);

    const { id, ...read } = await monzo.receipts.get("order-1001");
    assert.match(id!, /^receipt_/);
    assert.deepEqual(read, receipt);
    const get = lastRequest(emulator, "GET", "/transaction-receipts");
    assertNoBody(get);
    assert.deepEqual(queryOf(get), { external_id: "order-1001" });

    // The same external_id updates the receipt, keeping its id.
    await monzo.receipts.put({ ...receipt, total: 1300, payments: [] });
    const updated = await monzo.receipts.get("order-1001");
    assert.equal(updated.id, id);
    assert.equal(updated.total, 1300);

    assert.equal(await monzo.receipts.delete("order-1001"), undefined);
    const del = lastRequest(emulator, "DELETE", "/transaction-receipts");
    assertNoBody(del);
    assert.deepEqual(queryOf(del), { external_id: "order-1001" });
    await assert.rejects(
      monzo.receipts.get("order-1001"),
      (error: unknown) => error instanceof MonzoHTTPError && error.status === 404,
    );
  });
});

test("receipts.put is retried after a 503: the external_id makes it an upsert", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const tx = emulator.addTransaction(emulator.accounts.current, { amount: -1299 });
    emulator.injectFault({ path: "/transaction-receipts", method: "PUT", status: 503 });
    await monzo.receipts.put(receiptFor(tx.id));
    assert.equal(emulator.requests.filter((r) => r.method === "PUT").length, 2);
    assert.equal((await monzo.receipts.get("order-1001")).total, 1299);
  });
});

test("receipts: Monzo's 400 is a MonzoHTTPError", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const receipt = receiptFor("tx_1");
    receipt.payments = [{ type: "cheque", amount: 1299, currency: "GBP" }];
    await assert.rejects(
      monzo.receipts.put(receipt),
      (error: unknown) => error instanceof MonzoHTTPError && error.status === 400,
    );
    assert.equal(emulator.requests.at(-1)?.method, "PUT");
  });
});

test("receipt methods check the receipt's required fields before sending anything", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const ok = receiptFor("tx_1");
    const put = (patch: Record<string, unknown>) => () =>
      monzo.receipts.put({ ...ok, ...patch } as Receipt);
    await rejectsArgument(emulator, "receipt", () => monzo.receipts.put(null as never));
    await rejectsArgument(emulator, "receipt.transaction_id", put({ transaction_id: "" }));
    await rejectsArgument(emulator, "receipt.external_id", put({ external_id: undefined }));
    await rejectsArgument(emulator, "receipt.total", put({ total: 0 }));
    await rejectsArgument(emulator, "receipt.total", put({ total: 12.5 }));
    await rejectsArgument(emulator, "receipt.currency", put({ currency: "" }));
    await rejectsArgument(emulator, "receipt.items", put({ items: [] }));
    await rejectsArgument(
      emulator,
      "receipt.items[0].description",
      put({ items: [{ amount: 1, currency: "GBP" }] }),
    );
    await rejectsArgument(
      emulator,
      "receipt.items[0].amount",
      put({ items: [{ description: "x", amount: "1", currency: "GBP" }] }),
    );
    await rejectsArgument(
      emulator,
      "receipt.items[0].sub_items[0].currency",
      put({
        items: [{
          description: "x",
          amount: 1,
          currency: "GBP",
          sub_items: [{ description: "y", amount: 1 }],
        }],
      }),
    );
    const nested = { description: "z", amount: 1, currency: "GBP" };
    await rejectsArgument(
      emulator,
      "receipt.items[0].sub_items[0].sub_items",
      put({
        items: [{ ...nested, sub_items: [{ ...nested, sub_items: [nested] }] }],
      }),
    );
    await rejectsArgument(
      emulator,
      "receipt.taxes[0].amount",
      put({ taxes: [{ description: "VAT", currency: "GBP" }] }),
    );
    await rejectsArgument(
      emulator,
      "receipt.payments[0].type",
      put({ payments: [{ amount: 1, currency: "GBP" }] }),
    );
    await rejectsArgument(emulator, "externalId", () => monzo.receipts.get(""));
    await rejectsArgument(emulator, "externalId", () => monzo.receipts.delete(7 as never));
  });
});
