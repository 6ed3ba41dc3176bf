// No token and no client secret in any message, toString, JSON or inspect output.
import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";
import { Authentication, MemoryStorage, MonzoError } from "../mod.ts";
import { startEmulator } from "./_emulator.ts";

function printed(value: unknown): string {
  const deno = (globalThis as { Deno?: { inspect(v: unknown, o?: unknown): string } }).Deno;
  return [
    String(value),
    JSON.stringify(value),
    inspect(value, { depth: 10, showHidden: true }),
    deno ? deno.inspect(value, { depth: 10, showProxy: true }) : "",
    value instanceof Error ? `${value.message}\n${value.stack}` : "",
  ].join("\n");
}

test("Authentication and MemoryStorage print no secret", () => {
  const secret = "CLIENT-SECRET-123456";
  const access = "ACCESS-TOKEN-abcdef";
  const refresh = "REFRESH-TOKEN-zyxwvu";
  const auth = new Authentication({
    clientId: "oauth2client_x",
    clientSecret: secret,
    redirectUrl: "http://localhost/cb",
    accessToken: access,
    refreshToken: refresh,
    accessTokenExpiry: 2_000_000_000,
  });
  const storage = new MemoryStorage({
    accessToken: access,
    clientId: "oauth2client_x",
    clientSecret: secret,
    expiry: 1,
    refreshToken: refresh,
  });
  for (const value of [auth, storage, { auth, storage }]) {
    const text = printed(value);
    for (const s of [secret, access, refresh]) assert.ok(!text.includes(s), `${s} in ${text}`);
  }
  assert.match(String(auth), /oauth2client_x/);
});

test("errors from every failure path print no secret", async () => {
  const served = await startEmulator();
  const { emulator } = served;
  try {
    const tokens = emulator.login();
    const secrets = [emulator.client.secret, tokens.accessToken, tokens.refreshToken!];
    const auth = new Authentication(served.options({
      accessToken: tokens.accessToken,
      accessTokenExpiry: tokens.expiry,
      refreshToken: tokens.refreshToken,
      maxRetries: 0,
    }));
    // Monzo echoing a token back in a message must not leak it either.
    emulator.injectFault({
      path: "/accounts",
      status: 400,
      code: "bad_request",
      message: `bad ${tokens.accessToken}`,
    });
    emulator.injectFault({ path: "/balance", status: 500 });
    emulator.injectFault({ path: "/pots", drop: true });
    emulator.injectFault({
      path: "/webhooks",
      status: 200,
      body: "{",
      contentType: "application/json",
    });
    const errors: unknown[] = [];
    for (const path of ["/accounts", "/balance", "/pots", "/webhooks", "/nope"]) {
      await auth.request("GET", path).catch((e) => errors.push(e));
    }
    await new Authentication(served.options({ refreshToken: tokens.refreshToken }))
      .refreshAccessToken().catch(() => {});
    await new Authentication(served.options({ refreshToken: tokens.refreshToken }))
      .refreshAccessToken().catch((e) => errors.push(e)); // reused: refused
    assert.equal(errors.length, 6);
    for (const error of errors) {
      assert.ok(error instanceof MonzoError);
      const text = printed(error) + printed(error.cause);
      for (const s of secrets) assert.ok(!text.includes(s), `secret in ${text}`);
    }
  } finally {
    await served.close();
  }
});
