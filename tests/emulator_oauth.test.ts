// The emulator's OAuth: consent pages, code exchange, approval, rotation, eviction, expiry.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type EmulatorClient,
  MonzoEmulator,
  type ServedEmulator,
  serveEmulator,
} from "../src/testing/mod.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

describe("emulator OAuth", () => {
  let emulator: MonzoEmulator;
  let server: ServedEmulator;
  const redirectUri = "http://127.0.0.1:9/callback";

  before(async () => {
    emulator = new MonzoEmulator({ seed: 11 });
    server = await serveEmulator(emulator);
  });
  after(() => server.close());

  const newClient = (confidential = true): EmulatorClient =>
    emulator.addClient({ redirectUris: [redirectUri], confidential });

  async function token(form: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}/oauth2/token`, {
      method: "POST",
      headers,
      body: new URLSearchParams(form),
    });
    return { status: response.status, body: await response.json() as Json };
  }

  const exchange = (client: EmulatorClient, code: string, uri = redirectUri) =>
    token({
      grant_type: "authorization_code",
      client_id: client.id,
      client_secret: client.secret,
      redirect_uri: uri,
      code,
    });

  const refresh = (client: EmulatorClient, refreshToken: string) =>
    token({
      grant_type: "refresh_token",
      client_id: client.id,
      client_secret: client.secret,
      refresh_token: refreshToken,
    });

  async function api(path: string, accessToken?: string, init: RequestInit = {}) {
    const headers = accessToken ? { authorization: `Bearer ${accessToken}` } : undefined;
    const response = await fetch(`${server.url}${path}`, { headers, ...init });
    return { status: response.status, body: await response.json() as Json };
  }

  it("runs the browser flow: consent page, Allow, exchange, pending until approved in the app", async () => {
    const client = newClient();
    const query = new URLSearchParams({
      client_id: client.id,
      redirect_uri: redirectUri,
      response_type: "code",
      state: "s t/ate",
    });
    const page = await fetch(`${server.url}/auth/?${query}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /id="allow"/);
    assert.match(html, /id="deny"/);
    const consentId = /name="consent_id" value="([^"]+)"/.exec(html)![1];

    const allowed = await fetch(`${server.url}/auth/consent`, {
      method: "POST",
      body: new URLSearchParams({ consent_id: consentId, decision: "allow" }),
      redirect: "manual",
    });
    await allowed.body?.cancel();
    assert.equal(allowed.status, 302);
    const location = new URL(allowed.headers.get("location")!);
    assert.equal(`${location.origin}${location.pathname}`, redirectUri);
    assert.equal(location.searchParams.get("state"), "s t/ate");

    const exchanged = await exchange(client, location.searchParams.get("code")!);
    assert.equal(exchanged.status, 200);
    assert.equal(exchanged.body.token_type, "Bearer");
    assert.equal(exchanged.body.expires_in, 107999);
    assert.equal(exchanged.body.user_id, emulator.user.id);
    const accessToken = exchanged.body.access_token;

    assert.equal((await api("/ping/whoami", accessToken)).status, 200);
    const pending = await api("/accounts", accessToken);
    assert.equal(pending.status, 403);
    assert.equal(pending.body.code, "forbidden.insufficient_permissions");

    const approvalPage = await fetch(`${server.url}/auth/approve`).then((r) => r.text());
    assert.match(approvalPage, /1 login waiting/);
    assert.match(approvalPage, /id="approve"/);
    const approved = await fetch(`${server.url}/auth/approve`, { method: "POST" }).then((r) =>
      r.text()
    );
    assert.match(approved, /Approved 1 login/);
    const accounts = await api("/accounts", accessToken);
    assert.equal(accounts.status, 200);
    assert.equal(accounts.body.accounts.length, 2);
  });

  it("redirects Deny back with error=access_denied, and refuses unregistered redirect URIs", async () => {
    const client = newClient();
    const query = new URLSearchParams({
      client_id: client.id,
      redirect_uri: redirectUri,
      response_type: "code",
      state: "x",
    });
    const html = await fetch(`${server.url}/auth/?${query}`).then((r) => r.text());
    const consentId = /name="consent_id" value="([^"]+)"/.exec(html)![1];
    const denied = await fetch(`${server.url}/auth/consent`, {
      method: "POST",
      body: new URLSearchParams({ consent_id: consentId, decision: "deny" }),
      redirect: "manual",
    });
    await denied.body?.cancel();
    const location = new URL(denied.headers.get("location")!);
    assert.equal(location.searchParams.get("error"), "access_denied");
    assert.equal(location.searchParams.get("state"), "x");
    assert.equal(location.searchParams.get("code"), null);

    query.set("redirect_uri", "http://evil.example/callback");
    const refused = await fetch(`${server.url}/auth/?${query}`);
    await refused.body?.cancel();
    assert.equal(refused.status, 400);
  });

  it("makes codes single-use, bound to their redirect_uri, and short-lived", async () => {
    const client = newClient();
    const mismatch = await exchange(
      client,
      emulator.authorize({ clientId: client.id }),
      "http://127.0.0.1:9/other",
    );
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.code, "bad_request.bad_param.redirect_uri");

    const code = emulator.authorize({ clientId: client.id });
    assert.equal((await exchange(client, code)).status, 200);
    const reused = await exchange(client, code);
    assert.equal(reused.status, 400);
    assert.equal(reused.body.code, "bad_request.authorization_code.used");
    assert.equal(reused.body.error, "invalid_grant");

    const late = emulator.authorize({ clientId: client.id });
    emulator.advanceTime(11 * 60);
    assert.equal(
      (await exchange(client, late)).body.code,
      "bad_request.authorization_code.expired",
    );

    const wrongSecret = await exchange(
      { ...client, secret: "nope" },
      emulator.authorize({ clientId: client.id }),
    );
    assert.equal(wrongSecret.status, 401);
    assert.equal(wrongSecret.body.code, "unauthorized.bad_client_secret");
  });

  it("rejects a token request that carries an Authorization header", async () => {
    const client = newClient();
    const { accessToken } = emulator.login({ clientId: client.id });
    const before = emulator.counters.tokenRequests;
    const form = {
      grant_type: "authorization_code",
      client_id: client.id,
      client_secret: client.secret,
      redirect_uri: redirectUri,
      code: emulator.authorize({ clientId: client.id }),
    };
    const rejected = await token(form, { authorization: `Bearer ${accessToken}` });
    assert.equal(rejected.status, 401);
    assert.equal(rejected.body.code, "unauthorized.bad_access_token");
    assert.equal(emulator.counters.tokenRequests, before + 1);
  });

  it("rotates refresh tokens once, counts reuse, and keeps approval and the SCA time", async () => {
    const client = newClient();
    const first = await exchange(client, emulator.authorize({ clientId: client.id }));
    const grants = emulator.counters.grants.refresh_token;
    const second = await refresh(client, first.body.refresh_token);
    assert.equal(second.status, 200);
    assert.notEqual(second.body.access_token, first.body.access_token);
    assert.notEqual(second.body.refresh_token, first.body.refresh_token);

    assert.equal(
      (await api("/accounts", first.body.access_token)).body.code,
      "unauthorized.bad_access_token",
    );
    assert.equal((await api("/accounts", second.body.access_token)).status, 200);

    const reuses = emulator.counters.refreshReuses;
    const reused = await refresh(client, first.body.refresh_token);
    assert.equal(reused.status, 400);
    assert.equal(reused.body.code, "bad_request.refresh_token.invalid");
    assert.equal(emulator.counters.refreshReuses, reuses + 1);
    assert.equal(emulator.counters.grants.refresh_token, grants + 2);

    // The original SCA time carries over: 10 minutes later the full history is closed again.
    emulator.advanceTime(10 * 60);
    const third = await refresh(client, second.body.refresh_token);
    const old = await api(
      `/transactions?account_id=${emulator.accounts.current}&since=${
        new Date(emulator.now() - 364 * 86_400_000).toISOString()
      }`,
      third.body.access_token,
    );
    assert.equal(old.body.code, "forbidden.verification_required");
  });

  it("evicts the previous token set of the same client and user", async () => {
    const client = newClient();
    const first = await exchange(client, emulator.authorize({ clientId: client.id }));
    const second = await exchange(client, emulator.authorize({ clientId: client.id }));
    assert.equal(second.status, 200);
    const evicted = await api("/accounts", first.body.access_token);
    assert.equal(evicted.status, 401);
    assert.equal(evicted.body.code, "unauthorized.bad_access_token.evicted");
    assert.equal(
      (await refresh(client, first.body.refresh_token)).body.code,
      "bad_request.refresh_token.evicted",
    );
    assert.equal((await api("/accounts", second.body.access_token)).status, 200);
  });

  it("expires access tokens on the emulator clock; a refresh still works", async () => {
    const client = newClient();
    const tokens = emulator.login({ clientId: client.id });
    assert.equal(tokens.expiry, Math.floor(emulator.now() / 1000) + 107999);
    emulator.advanceTime(108_000);
    const expired = await api("/accounts", tokens.accessToken);
    assert.equal(expired.status, 401);
    assert.equal(expired.body.code, "unauthorized.bad_access_token.expired");
    assert.equal(expired.body.error, "invalid_token");
    const refreshed = await refresh(client, tokens.refreshToken!);
    assert.equal((await api("/accounts", refreshed.body.access_token)).status, 200);
  });

  it("gives non-confidential clients no refresh token", async () => {
    const client = newClient(false);
    const exchanged = await exchange(client, emulator.authorize({ clientId: client.id }));
    assert.equal(exchanged.status, 200);
    assert.equal(exchanged.body.refresh_token, undefined);
    assert.equal(emulator.login({ clientId: client.id }).refreshToken, undefined);
  });

  it("logs out: the access token and its refresh token stop working", async () => {
    const client = newClient();
    const tokens = emulator.login({ clientId: client.id });
    assert.equal((await api("/oauth2/logout", tokens.accessToken, { method: "POST" })).status, 200);
    assert.equal(
      (await api("/accounts", tokens.accessToken)).body.code,
      "unauthorized.bad_access_token",
    );
    assert.equal(
      (await refresh(client, tokens.refreshToken!)).body.code,
      "bad_request.refresh_token.invalid",
    );
  });

  it("answers missing and unknown bearer tokens with 401, and /ping without one", async () => {
    const missing = await api("/accounts");
    assert.equal(missing.status, 401);
    assert.equal(missing.body.code, "unauthorized.auth_required");
    assert.equal((await api("/accounts", "garbage")).body.code, "unauthorized.bad_access_token");
    assert.deepEqual((await api("/ping")).body, { ping: "pong" });
  });

  it("approves pending tokens through the JSON control", async () => {
    const client = newClient();
    const { accessToken } = emulator.login({ clientId: client.id, approved: false });
    assert.equal((await api("/accounts", accessToken)).status, 403);
    const control = await fetch(`${server.url}/_emulator/approve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ access_token: accessToken }),
    }).then((r) => r.json());
    assert.deepEqual(control, { approved: 1 });
    assert.equal((await api("/accounts", accessToken)).status, 200);
  });
});
