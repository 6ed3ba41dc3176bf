// The Cloudflare Worker example under workerd (miniflare), against the emulator served on
// loopback: login through /login and /callback into the MonzoTokens Durable Object, the JSON
// summary, and many concurrent requests in several isolates refreshing an expired login once.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Miniflare } from "miniflare";
import {
  type DurableObjectNamespaceLike,
  DurableObjectStorage,
} from "../src/handlers/durable_object.ts";
import type { Credentials } from "../src/storage.ts";
import { type ServedEmulator, startEmulator } from "./_emulator.ts";
import { bundleWorker } from "./fixtures/do_bundle.ts";

const WORKER_URL = "http://localhost:8787";
const ISOLATES = ["summary", "summary-2", "summary-3"];
const COMPATIBILITY_DATE = "2026-04-01";
const LIFETIME = 3600;

/** The part of miniflare's Fetcher used here (its types need @cloudflare/workers-types). */
interface WorkerLike {
  fetch(url: string, init?: RequestInit): Promise<Response>;
}

describe("examples/cloudflare-worker", () => {
  let served: ServedEmulator;
  let mf: Miniflare;
  let storage: DurableObjectStorage;
  let isolates: WorkerLike[];

  before(async () => {
    served = await startEmulator({ accessTokenLifetimeSeconds: LIFETIME });
    const redirectUrl = `${WORKER_URL}/callback`;
    const client = served.emulator.addClient({ redirectUris: [redirectUrl] });
    const script = await bundleWorker("examples/cloudflare-worker/worker.ts");
    const bindings = {
      MONZO_CLIENT_ID: client.id,
      MONZO_CLIENT_SECRET: client.secret,
      MONZO_REDIRECT_URL: redirectUrl,
      MONZO_API_URL: served.url,
      MONZO_AUTH_URL: `${served.url}/auth`,
    };
    // The first Worker holds the object (as wrangler.toml binds it); the others are more
    // isolates of the same Worker, bound to that object.
    mf = new Miniflare({
      workers: ISOLATES.map((name, i) => ({
        name,
        modules: true,
        script,
        compatibilityDate: COMPATIBILITY_DATE,
        bindings,
        durableObjects: {
          MONZO_TOKENS: i === 0
            ? "MonzoTokens"
            : { className: "MonzoTokens", scriptName: ISOLATES[0] },
        },
      })),
    });
    // miniflare types these with @cloudflare/workers-types, which is not installed.
    const namespace = (await mf.getDurableObjectNamespace(
      "MONZO_TOKENS",
      ISOLATES[0],
    )) as unknown as DurableObjectNamespaceLike;
    storage = new DurableObjectStorage(namespace);
    isolates = await Promise.all(
      ISOLATES.map(async (name) => (await mf.getWorker(name)) as unknown as WorkerLike),
    );
  });

  after(async () => {
    await mf?.dispose();
    await served?.close();
  });

  async function get(path: string, headers: Record<string, string> = {}, isolate = 0) {
    const response = await isolates[isolate].fetch(`${WORKER_URL}${path}`, {
      headers,
      redirect: "manual",
    });
    return { response, body: await response.text() };
  }

  test("other methods and paths are refused", async () => {
    assert.equal((await get("/nowhere")).response.status, 404);
    const post = await isolates[0].fetch(`${WORKER_URL}/`, { method: "POST" });
    assert.equal(post.status, 405);
    await post.body?.cancel();
  });

  test("/login and /callback check the state and store the login in the object", async () => {
    const notLoggedIn = await get("/");
    assert.equal(notLoggedIn.response.status, 503);
    assert.equal(JSON.parse(notLoggedIn.body).error, "not_logged_in");
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
    assert.equal(served.emulator.tokenStatus(stored.accessToken), "active");
  });

  test("/ serves the accounts and balances; an expired login is refreshed once for all", async () => {
    const { emulator } = served;
    const current = (await storage.fetch())!;
    const { response, body } = await get("/");
    assert.equal(response.status, 200, body);
    const balance = await fetchBalance(emulator.accounts.current, current.accessToken);
    assert.deepEqual(
      JSON.parse(body).accounts.find((a: { id: string }) => a.id === emulator.accounts.current),
      {
        id: emulator.accounts.current,
        type: "uk_retail",
        balance: balance.balance,
        currency: "GBP",
      },
    );

    for (let expiry = 1; expiry <= 2; expiry++) {
      const before: Credentials = (await storage.fetch())!;
      const grants = emulator.counters.grants.refresh_token;
      emulator.advanceTime(LIFETIME + 60); // expired for Monzo; the Worker learns it by a 401
      const answers = await Promise.all(
        Array.from({ length: 24 }, (_, i) => get("/", {}, i % ISOLATES.length)),
      );
      for (const answer of answers) assert.equal(answer.response.status, 200, answer.body);
      assert.equal(emulator.counters.grants.refresh_token, grants + 1, `expiry ${expiry}`);
      assert.equal(emulator.counters.refreshReuses, 0);
      const after = (await storage.fetch())!;
      assert.equal(after.generation, (before.generation ?? 0) + 1);
      assert.notEqual(after.refreshToken, before.refreshToken);
      assert.equal(emulator.tokenStatus(after.accessToken), "active");
    }
  });

  /** The balance as the API gives it, straight from the emulator. */
  async function fetchBalance(accountId: string, token: string): Promise<{ balance: number }> {
    const response = await fetch(`${served.url}/balance?account_id=${accountId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return await response.json();
  }
});
