// The emulator's write endpoints: feed items, attachments, receipts and webhook registrations.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MonzoEmulator, type ServedEmulator, serveEmulator } from "../src/testing/mod.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

describe("emulator feed, attachments, receipts and webhooks", () => {
  let emulator: MonzoEmulator;
  let server: ServedEmulator;
  let token: string;
  let txId: string;

  before(async () => {
    emulator = new MonzoEmulator({ seed: 9 });
    server = await serveEmulator(emulator);
    token = emulator.login().accessToken;
    txId =
      emulator.addTransaction(emulator.accounts.current, { amount: -1250, merchant: "Dishoom" }).id;
  });
  after(() => server.close());

  async function api(
    method: string,
    path: string,
    body?: Record<string, string> | string,
    bearer = token,
  ) {
    const headers: Record<string, string> = { authorization: `Bearer ${bearer}` };
    if (typeof body === "string") headers["content-type"] = "application/json";
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers,
      body: typeof body === "string" ? body : body && new URLSearchParams(body),
    });
    return { status: response.status, body: await response.json() as Json };
  }

  it("creates basic feed items and validates them", async () => {
    const item = {
      account_id: emulator.accounts.current,
      type: "basic",
      "params[title]": "Budget check",
      "params[image_url]": "https://example.com/icon.png",
      "params[background_color]": "#FCF1EE",
      url: "https://example.com/budget",
    };
    assert.deepEqual((await api("POST", "/feed", item)).body, {});
    assert.deepEqual(emulator.feedItems.at(-1), {
      accountId: emulator.accounts.current,
      type: "basic",
      url: "https://example.com/budget",
      params: {
        title: "Budget check",
        image_url: "https://example.com/icon.png",
        background_color: "#FCF1EE",
      },
    });
    assert.equal(emulator.counters.feedItems, 1);
    const noTitle = { ...item, "params[title]": "" };
    assert.equal(
      (await api("POST", "/feed", noTitle)).body.code,
      "bad_request.missing_param.params[title]",
    );
    const badColour = { ...item, "params[title_color]": "red" };
    assert.equal(
      (await api("POST", "/feed", badColour)).body.code,
      "bad_request.bad_param.params[title_color]",
    );
    assert.equal(
      (await api("POST", "/feed", { ...item, type: "fancy" })).body.code,
      "bad_request.bad_param.type",
    );
    assert.equal(emulator.counters.feedItems, 1);
  });

  it("uploads bytes to the upload URL, then registers and deregisters the attachment", async () => {
    const bytes = new TextEncoder().encode("\x89PNG fake image bytes");
    const upload = await api("POST", "/attachment/upload", {
      file_name: "receipt.png",
      file_type: "image/png",
      content_length: String(bytes.length),
    });
    assert.equal(upload.status, 200);
    assert.ok(upload.body.upload_url.startsWith(`${server.url}/`));
    const short = await fetch(upload.body.upload_url, { method: "PUT", body: bytes.slice(1) });
    assert.equal(short.status, 400);
    await short.body?.cancel();
    const put = await fetch(upload.body.upload_url, {
      method: "PUT",
      headers: { "content-type": "image/png" },
      body: bytes,
    });
    await put.body?.cancel();
    assert.equal(put.status, 200);
    assert.deepEqual(emulator.uploads.get(upload.body.file_url), {
      contentType: "image/png",
      bytes,
    });
    const served = await fetch(upload.body.file_url);
    assert.deepEqual(new Uint8Array(await served.arrayBuffer()), bytes);

    const registered = await api("POST", "/attachment/register", {
      external_id: txId,
      file_url: upload.body.file_url,
      file_type: "image/png",
    });
    assert.equal(registered.body.attachment.external_id, txId);
    assert.match(registered.body.attachment.id, /^attach_/);
    const tx = (await api("GET", `/transactions/${txId}`)).body.transaction;
    assert.deepEqual(tx.attachments, [registered.body.attachment]);

    assert.deepEqual(
      (await api("POST", "/attachment/deregister", { id: registered.body.attachment.id })).body,
      {},
    );
    assert.deepEqual((await api("GET", `/transactions/${txId}`)).body.transaction.attachments, []);
    assert.equal(
      (await api("POST", "/attachment/deregister", { id: registered.body.attachment.id })).status,
      404,
    );
    const unknownTx = await api("POST", "/attachment/register", {
      external_id: "tx_nope",
      file_url: "https://example.com/a.png",
      file_type: "image/png",
    });
    assert.equal(unknownTx.status, 404);
  });

  it("upserts receipts per client and external_id, and scopes reads to the calling client", async () => {
    const receipt = {
      transaction_id: txId,
      external_id: "order-1",
      total: 1250,
      currency: "GBP",
      items: [{ description: "Black daal", amount: 1250, currency: "GBP", quantity: 1, unit: "" }],
    };
    assert.deepEqual((await api("PUT", "/transaction-receipts", JSON.stringify(receipt))).body, {});
    const first = (await api("GET", "/transaction-receipts?external_id=order-1")).body.receipt;
    assert.match(first.id, /^receipt_/);
    await api("PUT", "/transaction-receipts", JSON.stringify({ ...receipt, total: 1300 }));
    const second = (await api("GET", "/transaction-receipts?external_id=order-1")).body.receipt;
    assert.equal(second.id, first.id);
    assert.equal(second.total, 1300);

    const other = emulator.addClient({ redirectUris: ["http://127.0.0.1:9/cb"] });
    const otherToken = emulator.login({ clientId: other.id }).accessToken;
    assert.equal(
      (await api("GET", "/transaction-receipts?external_id=order-1", undefined, otherToken)).status,
      404,
    );
    assert.equal(
      (await api("DELETE", "/transaction-receipts?external_id=order-1", undefined, otherToken))
        .status,
      404,
    );

    assert.deepEqual((await api("DELETE", "/transaction-receipts?external_id=order-1")).body, {});
    assert.equal((await api("GET", "/transaction-receipts?external_id=order-1")).status, 404);
  });

  it("validates receipts: JSON only, required fields named with their path", async () => {
    const put = (body: unknown) => api("PUT", "/transaction-receipts", JSON.stringify(body));
    const base = { transaction_id: txId, external_id: "order-2", total: 100, currency: "GBP" };
    assert.equal((await put(base)).body.code, "bad_request.missing_param.items");
    const noAmount = await put({ ...base, items: [{ description: "Tea", currency: "GBP" }] });
    assert.equal(noAmount.status, 400);
    assert.equal(noAmount.body.code, "bad_request.missing_param.items[0].amount");
    const floatTotal = await put({
      ...base,
      total: 1.5,
      items: [{ description: "Tea", amount: 100, currency: "GBP" }],
    });
    assert.equal(floatTotal.body.code, "bad_request.bad_param.total");
    const asForm = await api("PUT", "/transaction-receipts", {
      transaction_id: txId,
      external_id: "f",
      total: "1",
    });
    assert.equal(asForm.body.code, "bad_request.bad_param.body");
  });

  it("registers, lists (only this client's) and deletes webhooks", async () => {
    const account = emulator.accounts.current;
    const relative = await api("POST", "/webhooks", { account_id: account, url: "/hook" });
    assert.equal(relative.body.code, "bad_request.bad_param.url");
    const created = (await api("POST", "/webhooks", {
      account_id: account,
      url: "https://example.com/hook?secret=s",
    }))
      .body.webhook;
    assert.deepEqual({ ...created, id: "" }, {
      id: "",
      account_id: account,
      url: "https://example.com/hook?secret=s",
    });

    const other = emulator.addClient({ redirectUris: ["http://127.0.0.1:9/cb"] });
    const otherToken = emulator.login({ clientId: other.id }).accessToken;
    await api(
      "POST",
      "/webhooks",
      { account_id: account, url: "https://example.org/theirs" },
      otherToken,
    );

    assert.deepEqual((await api("GET", `/webhooks?account_id=${account}`)).body.webhooks, [
      created,
    ]);
    assert.equal((await api("GET", "/webhooks")).body.code, "bad_request.missing_param.account_id");
    assert.equal(
      (await api("DELETE", `/webhooks/${created.id}`, undefined, otherToken)).status,
      404,
    );
    assert.deepEqual((await api("DELETE", `/webhooks/${created.id}`)).body, {});
    assert.deepEqual((await api("GET", `/webhooks?account_id=${account}`)).body.webhooks, []);
  });
});

describe("emulator strict receipts", () => {
  it("checks that items and taxes, payments and sub-items add up", async () => {
    const emulator = new MonzoEmulator({ strictReceipts: true });
    const { accessToken } = emulator.login();
    const txId = emulator.addTransaction(emulator.accounts.current, { amount: -600 }).id;
    const put = async (body: unknown) => {
      const response = await emulator.fetch(
        new Request("http://emulator.test/transaction-receipts", {
          method: "PUT",
          headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      );
      return { status: response.status, body: await response.json() as Json };
    };
    const item = { description: "Coffee", amount: 500, currency: "GBP" };
    const tax = { description: "VAT", amount: 100, currency: "GBP" };
    const base = { transaction_id: txId, external_id: "strict", total: 600, currency: "GBP" };
    assert.equal((await put({ ...base, items: [item], taxes: [tax] })).status, 200);
    assert.equal((await put({ ...base, items: [item] })).body.code, "bad_request.bad_param.total");
    const payments = [{ type: "card", amount: 500, currency: "GBP" }];
    assert.equal(
      (await put({ ...base, items: [item], taxes: [tax], payments })).body.code,
      "bad_request.bad_param.payments",
    );
    const split = { ...item, sub_items: [{ description: "Milk", amount: 50, currency: "GBP" }] };
    assert.equal(
      (await put({ ...base, items: [split], taxes: [tax] })).body.code,
      "bad_request.bad_param.items[0].amount",
    );
  });
});
