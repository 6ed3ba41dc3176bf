// Webhook delivery from the emulator to a real local receiver, with retries.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MonzoEmulator, type ServedEmulator, serveEmulator } from "../src/testing/mod.ts";
import { serveHandler } from "../src/testing/serve.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

interface Received {
  time: number;
  path: string;
  contentType: string | null;
  body: Json;
}

describe("emulator webhook delivery", () => {
  let emulator: MonzoEmulator;
  let server: ServedEmulator;
  let receiver: ServedEmulator;
  let token: string;
  const received: Received[] = [];
  /** Per receiver path: how many of the next attempts fail with a 500. */
  const failures = new Map<string, number>();

  before(async () => {
    receiver = await serveHandler(async (request) => {
      const path = new URL(request.url).pathname;
      received.push({
        time: performance.now(),
        path,
        contentType: request.headers.get("content-type"),
        body: await request.json(),
      });
      const failing = failures.get(path) ?? 0;
      if (failing > 0) {
        failures.set(path, failing - 1);
        return new Response("boom", { status: 500 });
      }
      return new Response(null, { status: 204 });
    });
    emulator = new MonzoEmulator({ seed: 4, webhookRetryDelayMs: 10 });
    server = await serveEmulator(emulator);
    token = emulator.login().accessToken;
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  async function register(accountId: string, path: string): Promise<string> {
    const response = await fetch(`${server.url}/webhooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: new URLSearchParams({ account_id: accountId, url: `${receiver.url}${path}` }),
    });
    return (await response.json()).webhook.id;
  }

  const at = (path: string) => received.filter((r) => r.path === path);

  it("posts transaction.created as JSON with the merchant expanded, retrying failures", async () => {
    await register(emulator.accounts.current, "/flaky");
    failures.set("/flaky", 2);
    const tx = emulator.addTransaction(emulator.accounts.current, {
      amount: -420,
      merchant: "Monmouth Coffee",
    });
    await emulator.deliveries();
    const attempts = at("/flaky");
    assert.equal(attempts.length, 3);
    assert.equal(attempts[0].contentType, "application/json");
    assert.equal(attempts[2].body.type, "transaction.created");
    assert.equal(attempts[2].body.data.id, tx.id);
    assert.equal(attempts[2].body.data.amount, -420);
    assert.equal(attempts[2].body.data.merchant.name, "Monmouth Coffee");
    assert.equal(emulator.counters.webhookDeliveries, 1);
    assert.equal(emulator.counters.webhookFailures, 2);
  });

  it("gives up after 5 attempts, backing off exponentially", async () => {
    await register(emulator.accounts.joint, "/down");
    failures.set("/down", 99);
    emulator.addTransaction(emulator.accounts.joint, { amount: 1000, description: "From Charles" });
    await emulator.deliveries();
    const attempts = at("/down");
    assert.equal(attempts.length, 5);
    assert.equal(emulator.counters.webhookFailures, 7);
    // Waits of 10, 20, 40 and 80 ms between the attempts.
    assert.ok(attempts[4].time - attempts[0].time >= 140);
    assert.ok(attempts[4].time - attempts[3].time >= 70);
  });

  it("fires for pot moves and the control endpoint, and stops once the webhook is deleted", async () => {
    const account = emulator.accounts.current;
    const hookId = await register(account, "/moves");
    const pots = await fetch(`${server.url}/pots?current_account_id=${account}`, {
      headers: { authorization: `Bearer ${token}` },
    }).then((r) => r.json());
    const deposit = await fetch(`${server.url}/pots/${pots.pots[0].id}/deposit`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}` },
      body: new URLSearchParams({ source_account_id: account, amount: "100", dedupe_id: "hook-1" }),
    });
    await deposit.body?.cancel();
    const control = await fetch(`${server.url}/_emulator/transactions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ account_id: account, amount: 5000, description: "Refund" }),
    });
    assert.equal(control.status, 200);
    await control.body?.cancel();
    await emulator.deliveries();
    const events = at("/moves").map((r) => r.body.data);
    assert.deepEqual(events.map((tx) => [tx.amount, tx.scheme]), [[-100, "uk_retail_pot"], [
      5000,
      "payport_faster_payments",
    ]]);

    const deleted = await fetch(`${server.url}/webhooks/${hookId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${token}` },
    });
    await deleted.body?.cancel();
    emulator.addTransaction(account);
    await emulator.deliveries();
    assert.equal(at("/moves").length, 2);
  });
});
