// Refreshing: before expiry, on a 401, single flight, adoption of stored tokens, handler
// failures, refused refresh tokens.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Authentication,
  type Credentials,
  MemoryStorage,
  MonzoAuthenticationError,
  MonzoStorageError,
  Storage,
} from "../mod.ts";
import { startEmulator } from "./_emulator.ts";

type Tokens = { accessToken: string; refreshToken?: string; expiry: number };

function withTokens(tokens: Tokens) {
  return {
    accessToken: tokens.accessToken,
    accessTokenExpiry: tokens.expiry,
    refreshToken: tokens.refreshToken,
  };
}

test("refreshes before expiry, within the skew, without a 401", async () => {
  const served = await startEmulator();
  const { emulator } = served;
  try {
    const tokens = emulator.login();
    const storage = new MemoryStorage();
    const auth = new Authentication(served.options({
      ...withTokens(tokens),
      now: () => emulator.now(),
      refreshSkewSeconds: 120,
    }));
    auth.registerCallbackHandler(storage);
    emulator.advanceTime(tokens.expiry - emulator.now() / 1000 - 100); // 100 s left
    await auth.request("GET", "/ping/whoami");
    assert.equal(emulator.counters.grants.refresh_token, 1);
    assert.ok(
      !emulator.requests.some((r) =>
        r.path === "/ping/whoami" && r.authorization?.endsWith(tokens.accessToken)
      ),
    );
    assert.notEqual(auth.refreshToken, tokens.refreshToken);
    assert.deepEqual(await storage.fetch(), {
      accessToken: auth.accessToken,
      clientId: emulator.client.id,
      clientSecret: emulator.client.secret,
      expiry: auth.accessTokenExpiry,
      refreshToken: auth.refreshToken,
      generation: 1,
    });
    const refresh = emulator.requests.find((r) => r.path === "/oauth2/token")!;
    assert.equal(refresh.authorization, null);
    assert.equal(new URLSearchParams(refresh.body).get("refresh_token"), tokens.refreshToken);
  } finally {
    await served.close();
  }
});

test("refreshes once on a 401 expired token, then retries the request", async () => {
  const served = await startEmulator();
  const { emulator } = served;
  try {
    const tokens = emulator.login();
    const auth = new Authentication(served.options(withTokens(tokens)));
    emulator.advanceTime(tokens.expiry - emulator.now() / 1000 + 10); // expired for Monzo only
    const body = await auth.request("GET", "/ping/whoami") as { authenticated: boolean };
    assert.equal(body.authenticated, true);
    assert.equal(emulator.counters.grants.refresh_token, 1);
    const calls = emulator.requests.filter((r) => r.path === "/ping/whoami");
    assert.equal(calls.length, 2);
    assert.equal(calls[0].authorization, `Bearer ${tokens.accessToken}`);
    assert.equal(calls[1].authorization, `Bearer ${auth.accessToken}`);
  } finally {
    await served.close();
  }
});

test("100 concurrent calls on an expired token make exactly one token request", async () => {
  const served = await startEmulator();
  const { emulator } = served;
  try {
    const tokens = emulator.login();
    let stores = 0;
    const auth = new Authentication(served.options({
      ...withTokens(tokens),
      accessTokenExpiry: Math.floor(Date.now() / 1000) - 1,
    }));
    auth.registerCallbackHandler({
      store: () => {
        stores++;
        return new Promise((resolve) => setTimeout(resolve, 20));
      },
      fetch: () => Promise.resolve(null),
    });
    const results = await Promise.all(
      Array.from(
        { length: 100 },
        () => auth.request("GET", "/balance", { query: { account_id: emulator.accounts.current } }),
      ),
    );
    assert.equal(results.length, 100);
    assert.equal(emulator.counters.tokenRequests, 1);
    assert.equal(stores, 1);
    const used = new Set(
      emulator.requests.filter((r) => r.path === "/balance").map((r) => r.authorization),
    );
    assert.deepEqual([...used], [`Bearer ${auth.accessToken}`]);
  } finally {
    await served.close();
  }
});

test("explicit refreshes at the same moment share one refresh", async () => {
  const served = await startEmulator();
  try {
    const auth = new Authentication(served.options(withTokens(served.emulator.login())));
    const [a, b, c] = await Promise.all([
      auth.refreshAccessToken(),
      auth.refreshAccessToken(),
      auth.refreshAccessToken(),
    ]);
    assert.equal(served.emulator.counters.grants.refresh_token, 1);
    assert.deepEqual(a, b);
    assert.deepEqual(b, c);
  } finally {
    await served.close();
  }
});

test("adopts tokens another instance stored instead of refreshing", async () => {
  const served = await startEmulator();
  const { emulator } = served;
  try {
    const tokens = emulator.login();
    const storage = new MemoryStorage();
    const first = new Authentication(served.options(withTokens(tokens)));
    const second = new Authentication(served.options(withTokens(tokens)));
    first.registerCallbackHandler(storage);
    second.registerCallbackHandler(storage);
    await first.refreshAccessToken();
    // The second still holds the old, now dead, tokens; the emulator answers 401 evicted or
    // expired to them. It must adopt the stored tokens, not reuse the old refresh token.
    await second.request("GET", "/ping/whoami");
    assert.equal(second.accessToken, first.accessToken);
    emulator.advanceTime(first.accessTokenExpiry! - emulator.now() / 1000 + 10);
    await Promise.all([
      first.request("GET", "/ping/whoami"),
      second.request("GET", "/ping/whoami"),
    ]);
    assert.equal(emulator.counters.refreshReuses, 0);
    assert.equal(emulator.counters.grants.refresh_token, 2);
    assert.equal(first.accessToken, second.accessToken);
  } finally {
    await served.close();
  }
});

test("many instances sharing one leasing storage refresh exactly once", async () => {
  const served = await startEmulator();
  const { emulator } = served;
  try {
    const tokens = emulator.login();
    const storage = new MemoryStorage({
      ...tokens,
      clientId: emulator.client.id,
      clientSecret: emulator.client.secret,
    });
    const instances = await Promise.all(
      Array.from({ length: 8 }, () => Authentication.fromStorage(storage, served.options())),
    );
    emulator.advanceTime(tokens.expiry - emulator.now() / 1000 + 10);
    await Promise.all(instances.map((auth) => auth.request("GET", "/ping/whoami")));
    assert.equal(emulator.counters.grants.refresh_token, 1);
    assert.equal(emulator.counters.refreshReuses, 0);
    assert.equal(new Set(instances.map((a) => a.accessToken)).size, 1);
  } finally {
    await served.close();
  }
});

test("a failing handler gives MonzoStorageError, keeps the tokens and retries the store", async () => {
  const served = await startEmulator();
  const { emulator } = served;
  try {
    const tokens = emulator.login();
    const stored: Credentials[] = [];
    let failures = 1;
    class Flaky extends Storage {
      store(credentials: Credentials): Promise<void> {
        if (failures-- > 0) return Promise.reject(new Error("disk full"));
        stored.push(credentials);
        return Promise.resolve();
      }
      fetch(): Promise<Credentials | null> {
        return Promise.resolve(stored.at(-1) ?? null);
      }
    }
    const auth = new Authentication(served.options(withTokens(tokens)));
    auth.registerCallbackHandler(new Flaky());
    await assert.rejects(
      auth.refreshAccessToken(),
      (e) => e instanceof MonzoStorageError && (e.cause as Error).message === "disk full",
    );
    const refreshed = auth.accessToken;
    assert.notEqual(refreshed, tokens.accessToken);
    assert.equal(stored.length, 0);
    await auth.request("GET", "/ping/whoami"); // retries the store first
    assert.equal(stored.length, 1);
    assert.equal(stored[0].accessToken, refreshed);
    assert.equal(stored[0].refreshToken, auth.refreshToken);
    assert.equal(emulator.counters.grants.refresh_token, 1);
  } finally {
    await served.close();
  }
});

test("a refresh token that was already used asks for re-authorisation", async () => {
  const served = await startEmulator();
  const { emulator } = served;
  try {
    const tokens = emulator.login();
    await new Authentication(served.options(withTokens(tokens))).refreshAccessToken();
    const stale = new Authentication(served.options(withTokens(tokens)));
    await assert.rejects(
      stale.refreshAccessToken(),
      (e) =>
        e instanceof MonzoAuthenticationError && e.reauthorizationRequired &&
        e.code === "bad_request.refresh_token.invalid" && /log in again/.test(e.message),
    );
    assert.equal(emulator.counters.refreshReuses, 1);
  } finally {
    await served.close();
  }
});

test("an evicted token adopts the newer stored login", async () => {
  const served = await startEmulator();
  const { emulator } = served;
  try {
    const old = emulator.login();
    const storage = new MemoryStorage();
    const auth = new Authentication(served.options(withTokens(old)));
    auth.registerCallbackHandler(storage);
    const fresh = emulator.login(); // a login elsewhere evicts `old`
    await storage.store({
      ...fresh,
      clientId: emulator.client.id,
      clientSecret: emulator.client.secret,
    });
    await auth.request("GET", "/ping/whoami");
    assert.equal(auth.accessToken, fresh.accessToken);
    assert.equal(emulator.counters.tokenRequests, 0);
  } finally {
    await served.close();
  }
});
