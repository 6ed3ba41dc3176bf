// The OAuth flow: authorisation URL, state, code exchange, approval, logout, option checks.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Authentication,
  MemoryStorage,
  MonzoArgumentError,
  MonzoAuthenticationError,
  MonzoPermissionsError,
} from "../mod.ts";
import { startEmulator } from "./_emulator.ts";

const base = {
  clientId: "oauth2client_abc",
  clientSecret: "s3cret",
  redirectUrl: "http://localhost:8000/callback",
};

test("authorizationUrl percent-encodes every parameter", () => {
  const auth = new Authentication({
    ...base,
    redirectUrl: "https://example.com/cb?x=1&y=é",
    authUrl: "https://auth.example/sub",
  });
  const state = "a b&c=d/é+%";
  const url = new URL(auth.authorizationUrl(state));
  assert.equal(url.origin + url.pathname, "https://auth.example/sub/");
  assert.equal(url.searchParams.get("client_id"), "oauth2client_abc");
  assert.equal(url.searchParams.get("redirect_uri"), "https://example.com/cb?x=1&y=é");
  assert.equal(url.searchParams.get("response_type"), "code");
  assert.equal(url.searchParams.get("state"), state);
  assert.ok(!url.search.includes(" ") && !url.search.includes("é"));
  assert.equal(
    new URL(new Authentication(base).authorizationUrl("s")).origin,
    "https://auth.monzo.com",
  );
});

test("generateState is long, URL-safe and unique", () => {
  const states = new Set(Array.from({ length: 200 }, () => Authentication.generateState()));
  assert.equal(states.size, 200);
  for (const state of states) assert.match(state, /^[A-Za-z0-9_-]{43}$/);
});

test("the constructor checks its options before anything is sent", () => {
  const bad: [Record<string, unknown>, string][] = [
    [{ ...base, clientId: "" }, "clientId"],
    [{ ...base, clientSecret: undefined }, "clientSecret"],
    [{ ...base, redirectUrl: "http://example.com/cb" }, "redirectUrl"],
    [{ ...base, redirectUrl: "not a url" }, "redirectUrl"],
    [{ ...base, apiUrl: "ftp://x" }, "apiUrl"],
    [{ ...base, timeoutMs: 0 }, "timeoutMs"],
    [{ ...base, maxRetries: 1.5 }, "maxRetries"],
    [{ ...base, accessTokenExpiry: "soon" }, "accessTokenExpiry"],
  ];
  for (const [options, argument] of bad) {
    assert.throws(
      () => new Authentication(options as never),
      (e) => e instanceof MonzoArgumentError && e.argument === argument,
      argument,
    );
  }
  for (const redirectUrl of ["https://example.com/cb", "http://127.0.0.1:9/cb", "http://[::1]/x"]) {
    assert.doesNotThrow(() => new Authentication({ ...base, redirectUrl }));
  }
});

test("a state mismatch is refused before the code is exchanged", async () => {
  const served = await startEmulator();
  try {
    const auth = new Authentication(served.options());
    const code = served.emulator.authorize();
    const before = served.emulator.counters.tokenRequests;
    await assert.rejects(
      auth.authenticate(code, { state: "forged", expectedState: "expected" }),
      (e) => e instanceof MonzoAuthenticationError && e.code === "oauth.state_mismatch",
    );
    await assert.rejects(
      auth.authenticate(code, { state: "expecte", expectedState: "expected" }),
      MonzoAuthenticationError,
    );
    assert.equal(served.emulator.counters.tokenRequests, before);
    assert.equal(auth.isAuthenticated, false);
  } finally {
    await served.close();
  }
});

test("authenticate exchanges the code, stores, then waits for the in-app approval", async () => {
  const served = await startEmulator();
  try {
    const storage = new MemoryStorage();
    const auth = new Authentication(served.options());
    auth.registerCallbackHandler(storage);
    const state = Authentication.generateState();
    const credentials = await auth.authenticate(served.emulator.authorize({ approveLater: true }), {
      state,
      expectedState: state,
    });
    assert.deepEqual(await storage.fetch(), credentials);
    assert.equal(credentials.accessToken, auth.accessToken);
    assert.ok(credentials.refreshToken);
    assert.ok(credentials.expiry > Date.now() / 1000 + 3600);

    const exchange = served.emulator.requests.find((r) => r.path === "/oauth2/token")!;
    assert.equal(exchange.authorization, null);
    const form = new URLSearchParams(exchange.body);
    assert.equal(form.get("grant_type"), "authorization_code");
    assert.equal(form.get("redirect_uri"), served.emulator.client.redirectUris[0]);
    assert.equal(form.get("client_secret"), served.emulator.client.secret);

    await assert.rejects(
      auth.request("GET", "/accounts"),
      (e) =>
        e instanceof MonzoPermissionsError && e.reason === "approval_pending" &&
        /approve/i.test(e.message),
    );
    setTimeout(() => served.emulator.approve(), 150);
    await auth.waitForApproval({ intervalMs: 50, timeoutMs: 5000 });
    const body = await auth.request("GET", "/accounts") as { accounts: unknown[] };
    assert.ok(body.accounts.length >= 2);
  } finally {
    await served.close();
  }
});

test("waitForApproval gives up with a permissions error", async () => {
  const served = await startEmulator();
  try {
    const auth = new Authentication(served.options());
    const state = "s";
    await auth.authenticate(served.emulator.authorize({ approveLater: true }), {
      state,
      expectedState: state,
    });
    await assert.rejects(
      auth.waitForApproval({ intervalMs: 20, timeoutMs: 100 }),
      (e) => e instanceof MonzoPermissionsError && /not approved/.test(e.message),
    );
  } finally {
    await served.close();
  }
});

test("a code works once", async () => {
  const served = await startEmulator();
  try {
    const code = served.emulator.authorize();
    await new Authentication(served.options()).authenticate(code, {
      state: "s",
      expectedState: "s",
    });
    await assert.rejects(
      new Authentication(served.options()).authenticate(code, { state: "s", expectedState: "s" }),
      (e) => e instanceof MonzoAuthenticationError && e.status === 400,
    );
  } finally {
    await served.close();
  }
});

test("logout revokes the token and stores a tombstone in the handlers", async () => {
  const served = await startEmulator();
  try {
    const tokens = served.emulator.login();
    const storage = new MemoryStorage();
    const auth = new Authentication(served.options({
      accessToken: tokens.accessToken,
      accessTokenExpiry: tokens.expiry,
      refreshToken: tokens.refreshToken,
    }));
    auth.registerCallbackHandler(storage);
    await auth.refreshAccessToken();
    const revoked = auth.accessToken!;
    await auth.logout();
    assert.equal(auth.accessToken, undefined);
    assert.equal(auth.isAuthenticated, false);
    const tombstone = await storage.fetch();
    assert.equal(tombstone?.loggedOut, true);
    assert.equal(tombstone?.accessToken, "");
    assert.equal(tombstone?.generation, 2);
    const again = new Authentication(served.options({ accessToken: revoked }));
    await assert.rejects(
      again.request("GET", "/accounts"),
      (e) => e instanceof MonzoAuthenticationError && e.reauthorizationRequired,
    );
  } finally {
    await served.close();
  }
});

test("fromStorage loads the stored login and keeps storing into it", async () => {
  const served = await startEmulator();
  try {
    const tokens = served.emulator.login();
    const storage = new MemoryStorage({
      accessToken: tokens.accessToken,
      clientId: served.emulator.client.id,
      clientSecret: served.emulator.client.secret,
      expiry: tokens.expiry,
      refreshToken: tokens.refreshToken,
    });
    const auth = await Authentication.fromStorage(storage, served.options());
    assert.equal(auth.accessToken, tokens.accessToken);
    assert.equal(auth.isAuthenticated, true);
    await auth.refreshAccessToken();
    assert.notEqual(auth.accessToken, tokens.accessToken);
    assert.equal((await storage.fetch())?.accessToken, auth.accessToken);
    assert.equal((await storage.fetch())?.refreshToken, auth.refreshToken);
  } finally {
    await served.close();
  }
});

test("without a refresh token, an expired login asks for a new one and sends nothing", async () => {
  const served = await startEmulator();
  try {
    const auth = new Authentication(served.options({
      accessToken: "old",
      accessTokenExpiry: Math.floor(Date.now() / 1000) - 10,
    }));
    const before = served.emulator.counters.requests;
    await assert.rejects(
      auth.request("GET", "/accounts"),
      (e) => e instanceof MonzoAuthenticationError && e.reauthorizationRequired,
    );
    assert.equal(served.emulator.counters.requests, before);
  } finally {
    await served.close();
  }
});
