// The Cloudflare Worker example under workerd (miniflare), against the emulator served on
// loopback: login through /login and /callback, the JSON summary, and the cron refresh.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { Miniflare } from "miniflare";
import { CloudflareKvStorage, type KVNamespaceLike } from "../src/handlers/cloudflare_kv.ts";
import type { Credentials } from "../src/storage.ts";
import { type ServedEmulator, startEmulator } from "./_emulator.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const WORKER_URL = "http://localhost:8787";
const PACKAGE = "@monzo-api/client";
const CRON = { cron: "*/30 * * * *" };

/** The part of miniflare's worker Fetcher used here (its types need @cloudflare/workers-types). */
interface ScheduledWorker {
  scheduled(options: { cron?: string }): Promise<{ outcome: string }>;
}

/** worker.ts as one ES module, `@monzo-api/client/...` resolved through deno.json's exports. */
async function bundle(): Promise<string> {
  const { exports } = JSON.parse(await readFile(join(root, "deno.json"), "utf8"));
  const result = await esbuild.build({
    entryPoints: [join(root, "examples", "cloudflare-worker", "worker.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    write: false,
    logLevel: "silent",
    plugins: [{
      name: "this-package",
      setup(build) {
        build.onResolve({ filter: /^@monzo-api\/client(\/.*)?$/ }, ({ path }) => ({
          path: join(root, exports[`.${path.slice(PACKAGE.length)}`]),
        }));
      },
    }],
  });
  await esbuild.stop();
  return result.outputFiles[0].text;
}

describe("examples/cloudflare-worker", () => {
  let served: ServedEmulator;
  let mf: Miniflare;
  let storage: CloudflareKvStorage;

  before(async () => {
    served = await startEmulator();
    const redirectUrl = `${WORKER_URL}/callback`;
    const client = served.emulator.addClient({ redirectUris: [redirectUrl] });
    mf = new Miniflare({
      modules: true,
      script: await bundle(),
      compatibilityDate: "2026-04-01",
      kvNamespaces: ["TOKENS"],
      bindings: {
        MONZO_CLIENT_ID: client.id,
        MONZO_CLIENT_SECRET: client.secret,
        MONZO_REDIRECT_URL: redirectUrl,
        MONZO_API_URL: served.url,
        MONZO_AUTH_URL: `${served.url}/auth`,
      },
    });
    // miniflare types the binding with @cloudflare/workers-types, which is not installed.
    const namespace = (await mf.getKVNamespace("TOKENS")) as unknown as KVNamespaceLike;
    storage = new CloudflareKvStorage(namespace);
  });

  after(async () => {
    await mf.dispose();
    await served.close();
  });

  async function get(path: string, headers: Record<string, string> = {}) {
    const response = await mf.dispatchFetch(`${WORKER_URL}${path}`, {
      headers,
      redirect: "manual",
    });
    return { response, body: await response.text() };
  }

  test("/login and /callback check the state and store the login in KV", async () => {
    assert.equal((await get("/")).response.status, 503);
    const { response } = await get("/login");
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get("location")!);
    assert.equal(location.origin + location.pathname, `${served.url}/auth/`);
    const state = location.searchParams.get("state")!;
    assert.match(
      response.headers.get("set-cookie")!,
      new RegExp(`monzo_state=${state};.*HttpOnly`),
    );

    const code = served.emulator.authorize({
      clientId: location.searchParams.get("client_id")!,
      redirectUri: location.searchParams.get("redirect_uri")!,
    });
    const forged = await get(`/callback?code=${code}&state=forged`, {
      cookie: `monzo_state=${state}`,
    });
    assert.equal(forged.response.status, 400);
    assert.equal(JSON.parse(forged.body).error, "oauth.state_mismatch");
    assert.equal(await storage.fetch(), null);

    const done = await get(`/callback?code=${code}&state=${state}`, {
      cookie: `monzo_state=${state}`,
    });
    assert.equal(done.response.status, 200, done.body);
    const stored = await storage.fetch();
    assert.equal(stored?.clientId, location.searchParams.get("client_id"));
    assert.ok(stored?.refreshToken);
  });

  test("/ serves the accounts and balances; only the cron refreshes, exactly once", async () => {
    const { emulator } = served;
    const tokens = emulator.login({ clientId: (await storage.fetch())!.clientId });
    const seeded: Credentials = {
      ...(await storage.fetch())!,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiry: tokens.expiry,
    };
    await storage.store(seeded);

    const { response, body } = await get("/");
    assert.equal(response.status, 200, body);
    const current = await fetchBalance(emulator.accounts.current, tokens.accessToken);
    assert.deepEqual(
      JSON.parse(body).accounts.find((a: { id: string }) => a.id === emulator.accounts.current),
      {
        id: emulator.accounts.current,
        type: "uk_retail",
        balance: current.balance,
        currency: "GBP",
      },
    );

    const grants = emulator.counters.grants.refresh_token;
    emulator.advanceTime(tokens.expiresIn + 60);
    const expired = await get("/");
    assert.equal(expired.response.status, 503);
    assert.equal(JSON.parse(expired.body).error, "unauthorized.bad_access_token.expired");
    assert.equal(emulator.counters.grants.refresh_token, grants, "requests never refresh");

    const worker = (await mf.getWorker()) as unknown as ScheduledWorker;
    assert.equal((await worker.scheduled(CRON)).outcome, "ok");
    assert.equal(emulator.counters.grants.refresh_token, grants + 1);
    const refreshed = (await storage.fetch())!;
    assert.notEqual(refreshed.accessToken, seeded.accessToken);
    assert.notEqual(refreshed.refreshToken, seeded.refreshToken);
    assert.equal((await get("/")).response.status, 200);

    assert.equal((await worker.scheduled(CRON)).outcome, "ok");
    assert.equal(emulator.counters.grants.refresh_token, grants + 1, "a fresh token is kept");
  });

  /** The balance as the API gives it, straight from the emulator. */
  async function fetchBalance(accountId: string, token: string): Promise<{ balance: number }> {
    const response = await fetch(`${served.url}/balance?account_id=${accountId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return await response.json();
  }
});
