// webhooks.create, list and delete against the emulator, a delivery to a real local server,
// and parseWebhookEvent.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  isTransactionCreated,
  MonzoHTTPError,
  MonzoResponseError,
  parseWebhookEvent,
} from "../mod.ts";
import { serveHandler } from "../src/testing/serve.ts";
import {
  assertNoBody,
  formOf,
  lastRequest,
  queryOf,
  rejectsArgument,
  withMonzo,
} from "./_monzo.ts";

test("webhooks: create (form), list (account_id in the query), delete", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const account_id = emulator.accounts.current;
    const url = "https://example.com/monzo/s3cr3t?x=1";
    const hook = await monzo.webhooks.create(account_id, url);
    assert.match(hook.id, /^webhook_/);
    assert.equal(hook.account_id, account_id);
    assert.equal(hook.url, url);
    assert.deepEqual(formOf(lastRequest(emulator, "POST", "/webhooks")), { account_id, url });

    assert.deepEqual(await monzo.webhooks.list(account_id), [hook]);
    const list = lastRequest(emulator, "GET", "/webhooks");
    assertNoBody(list);
    assert.deepEqual(queryOf(list), { account_id });

    assert.equal(await monzo.webhooks.delete(hook.id), undefined);
    assertNoBody(lastRequest(emulator, "DELETE", `/webhooks/${hook.id}`));
    assert.deepEqual(await monzo.webhooks.list(account_id), []);
    await assert.rejects(
      monzo.webhooks.delete(hook.id),
      (error: unknown) => error instanceof MonzoHTTPError && error.status === 404,
    );
  });
});

test("a transaction.created event reaches a local server and parses", async () => {
  const bodies: string[] = [];
  const receiver = await serveHandler(async (request) => {
    if (new URL(request.url).pathname !== "/hook/s3cr3t") {
      return new Response(null, { status: 404 });
    }
    bodies.push(await request.text());
    return new Response(null, { status: 204 });
  });
  try {
    await withMonzo(async ({ monzo, emulator }) => {
      await monzo.webhooks.create(emulator.accounts.current, `${receiver.url}/hook/s3cr3t`);
      const tx = emulator.addTransaction(emulator.accounts.current, {
        amount: -450,
        merchant: "Pret A Manger",
      });
      await emulator.deliveries();
      assert.equal(bodies.length, 1);
      const event = parseWebhookEvent(bodies[0]);
      assert.ok(isTransactionCreated(event));
      assert.equal(event.data.id, tx.id);
      assert.equal(event.data.amount, -450);
      assert.ok(event.data.merchant && typeof event.data.merchant === "object");
      assert.equal(event.data.merchant.name, "Pret A Manger");
      assert.deepEqual(parseWebhookEvent(JSON.parse(bodies[0])), event);
    });
  } finally {
    await receiver.close();
  }
});

test("parseWebhookEvent throws MonzoResponseError naming what is wrong", () => {
  const data = {
    id: "tx_1",
    amount: -1,
    currency: "GBP",
    created: "2026-01-01T00:00:00Z",
    description: "X",
  };
  const fails = (body: unknown, path: string, message?: RegExp) =>
    assert.throws(() => parseWebhookEvent(body), (error: unknown) => {
      assert.ok(error instanceof MonzoResponseError);
      assert.equal(error.path, path);
      if (message) assert.match(error.message, message);
      return true;
    });
  fails("{not json", "", /^webhook event: the body is not JSON$/);
  fails(null, "", /^webhook event: body expected Object/);
  fails({ data }, "type", /type is missing/);
  fails({ type: 7, data }, "type", /type expected string/);
  fails({ type: "transaction.created", data: { ...data, amount: "1" } }, "data.amount");
  fails({ type: "transaction.created" }, "data", /data is missing/);
  fails({ type: "transaction.updated" }, "data", /data is missing/);
  assert.equal(parseWebhookEvent({ type: "transaction.created", data, extra: 1 }).extra, 1);
});

test("parseWebhookEvent returns an event of a type Monzo may add, with its raw data", () => {
  const data = { id: "tx_1", amount: "not checked", nested: { deep: [1] } };
  const body = JSON.stringify({ type: "transaction.updated", data, at: 1 });
  const event = parseWebhookEvent(body);
  assert.equal(event.type, "transaction.updated");
  assert.equal(isTransactionCreated(event), false);
  assert.deepEqual(event.data, data);
  assert.equal(event.at, 1);
  // A documented type is still checked precisely.
  assert.throws(
    () => parseWebhookEvent({ type: "transaction.created", data }),
    (error: unknown) => error instanceof MonzoResponseError && error.path === "data.amount",
  );
});

test("webhook methods check their arguments before sending anything", async () => {
  await withMonzo(async ({ monzo, emulator }) => {
    const acc = emulator.accounts.current;
    for (const url of ["http://example.com/hook", "ftp://example.com", "/hook", "", 5]) {
      await rejectsArgument(emulator, "url", () => monzo.webhooks.create(acc, url as string));
    }
    await rejectsArgument(
      emulator,
      "accountId",
      () => monzo.webhooks.create("", "https://example.com"),
    );
    await rejectsArgument(emulator, "accountId", () => monzo.webhooks.list("acc#1"));
    await rejectsArgument(emulator, "webhookId", () => monzo.webhooks.delete("webhook/1"));
    // http is fine on loopback, where tests and local development receive events.
    await monzo.webhooks.create(acc, "http://localhost:8000/hook");
    await monzo.webhooks.create(acc, "http://127.0.0.1:8000/hook");
  });
});
