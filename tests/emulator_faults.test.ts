// Injected faults: error statuses, Retry-After, delays, dropped connections, raw bodies.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { MonzoEmulator, type ServedEmulator, serveEmulator } from "../src/testing/mod.ts";

describe("emulator faults", () => {
  let emulator: MonzoEmulator;
  let server: ServedEmulator;
  let token: string;

  before(async () => {
    emulator = new MonzoEmulator({ seed: 2 });
    server = await serveEmulator(emulator);
    token = emulator.login().accessToken;
  });
  afterEach(() => emulator.clearFaults());
  after(() => server.close());

  const get = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` }, ...init });

  it("answers status faults with Monzo's error body, once by default", async () => {
    emulator.injectFault({ path: "/accounts", status: 429, retryAfter: 2 });
    const limited = await get("/accounts");
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "2");
    assert.equal((await limited.json()).code, "rate_limited");
    const next = await get("/accounts");
    assert.equal(next.status, 200);
    await next.body?.cancel();

    const expected: Array<[number, string]> = [[500, "internal_service"], [503, "unknown"], [
      504,
      "timeout",
    ]];
    for (const [status, code] of expected) {
      emulator.injectFault({ path: "/ping/whoami", status });
      const response = await get("/ping/whoami");
      assert.equal(response.status, status);
      assert.equal((await response.json()).code, code);
    }
  });

  it("matches method and path patterns, counts, and never touches the controls", async () => {
    emulator.injectFault({ path: /^\/pots/, method: "put", status: 500, count: Infinity });
    const listed = await get(`/pots?current_account_id=${emulator.accounts.current}`);
    assert.equal(listed.status, 200);
    const { pots } = await listed.json();
    for (let i = 0; i < 3; i++) {
      const response = await get(`/pots/${pots[0].id}/deposit`, { method: "PUT" });
      assert.equal(response.status, 500);
      await response.body?.cancel();
    }
    emulator.injectFault({ status: 500, count: Infinity });
    const counters = await fetch(`${server.url}/_emulator/counters`);
    assert.equal(counters.status, 200);
    await counters.body?.cancel();
  });

  it("counts faulted token requests", async () => {
    const before = emulator.counters.tokenRequests;
    emulator.injectFault({ path: "/oauth2/token", status: 504 });
    const response = await fetch(`${server.url}/oauth2/token`, {
      method: "POST",
      body: new URLSearchParams(),
    });
    assert.equal(response.status, 504);
    await response.body?.cancel();
    assert.equal(emulator.counters.tokenRequests, before + 1);
  });

  it("delays, then handles the request normally; a client can give up meanwhile", async () => {
    emulator.injectFault({ path: "/ping", delayMs: 150 });
    const started = performance.now();
    const response = await get("/ping");
    assert.ok(performance.now() - started >= 140);
    assert.deepEqual(await response.json(), { ping: "pong" });

    emulator.injectFault({ path: "/ping", delayMs: 60_000 });
    await assert.rejects(get("/ping", { signal: AbortSignal.timeout(50) }));
  });

  it("drops the connection: the client's fetch or body read fails", async () => {
    emulator.injectFault({ path: "/accounts", drop: true });
    await assert.rejects(get("/accounts").then((r) => r.text()));
    const after = await get("/accounts");
    assert.equal(after.status, 200);
    await after.body?.cancel();
  });

  it("returns raw bodies: an HTML error page, truncated JSON", async () => {
    emulator.injectFault({
      path: "/balance",
      status: 502,
      body: "<html><body>Bad Gateway</body></html>",
    });
    const html = await get("/balance");
    assert.equal(html.status, 502);
    assert.match(html.headers.get("content-type")!, /^text\/html/);
    assert.equal(await html.text(), "<html><body>Bad Gateway</body></html>");

    emulator.injectFault({
      path: "/accounts",
      body: '{"accounts":[{"id":"acc_',
      contentType: "application/json",
    });
    const truncated = await get("/accounts");
    assert.equal(truncated.status, 200);
    await assert.rejects(truncated.json());
  });

  it("fires probabilistic faults from the seeded generator", async () => {
    emulator.injectFault({ path: "/ping", status: 500, probability: 0.5, count: Infinity });
    let failed = 0;
    for (let i = 0; i < 40; i++) {
      const response = await fetch(`${server.url}/ping`);
      if (response.status === 500) failed++;
      await response.body?.cancel();
    }
    assert.ok(failed > 5 && failed < 35, `${failed} of 40 failed`);
  });
});
