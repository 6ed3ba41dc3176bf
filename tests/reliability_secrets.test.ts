// Secrets: a broad scenario (OAuth, every endpoint, refreshes, errors of every class, handler
// failures, EchoStorage's lines) run with a known client secret and the emulator's tokens and
// codes as canaries. Everything written to the console, and every message, stack, String(),
// JSON.stringify and inspect output of the errors and of the library's objects, is scanned:
// no canary may appear. (A `Credentials` object is data meant for a store, so it is not
// scanned; it serves as the positive control that the scan finds what is there.)

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { format, inspect } from "node:util";
import {
  Authentication,
  type Credentials,
  MemoryStorage,
  Monzo,
  MonzoArgumentError,
  MonzoAuthenticationError,
  type MonzoError,
  MonzoHTTPError,
  MonzoNetworkError,
  MonzoPermissionsError,
  MonzoRateError,
  MonzoResponseError,
  MonzoServerError,
  MonzoStorageError,
  type Storage,
} from "../mod.ts";
import { BunFileStorage } from "../src/handlers/bun_file.ts";
import { type DenoKvLike, DenoKvStorage } from "../src/handlers/deno_kv.ts";
import { EchoStorage } from "../src/handlers/echo.ts";
import { bun, deno, startRecordingEmulator } from "./_reliability.ts";

const CONSOLE_METHODS = ["log", "info", "warn", "error", "debug", "trace"] as const;

/** Every way a value can end up printed. */
function renderings(value: unknown): string[] {
  const out = [
    String(value),
    `${value}`,
    safeJson(value),
    inspect(value, { depth: 10, showHidden: true }),
    inspect({ nested: { value } }, { depth: 10 }),
    format("%o %O %s %j", value, value, value, value),
  ];
  if (deno) out.push(deno.inspect(value, { depth: 10, showHidden: true, showProxy: true }));
  if (bun) out.push(bun.inspect(value));
  if (value instanceof Error) {
    out.push(value.message, value.stack ?? "");
    if (value.cause !== undefined) out.push(...renderings(value.cause));
  }
  return out;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch (error) {
    return `unserializable: ${error}`;
  }
}

/** The canary's full value, and 16-character windows of its random part. */
function needles(canary: string): string[] {
  const random = canary.split(".").pop()!.replace(/^SECRET-CANARY-[a-z]+-/, "");
  const windows = [canary];
  for (let i = 0; i + 16 <= random.length; i += 4) windows.push(random.slice(i, i + 16));
  return windows;
}

function randomText(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

test("no token, code or client secret in anything printed, thrown or inspected", {
  timeout: 60_000,
}, async (t) => {
  const secret = `SECRET-CANARY-client-${randomText()}`;
  const wrongSecret = `SECRET-CANARY-wrong-${randomText()}`;
  const served = await startRecordingEmulator({ seed: 41 });
  const { emulator } = served;
  const dir = await mkdtemp(join(tmpdir(), "monzo-secrets-"));
  const printed: string[] = [];
  const thrown: unknown[] = [];
  const objects: unknown[] = [];
  const codes: string[] = [];
  let summary = "";
  const saved = CONSOLE_METHODS.map((name) => [name, console[name]] as const);
  for (const name of CONSOLE_METHODS) {
    console[name] = (...args: unknown[]) => void printed.push(format(...args));
  }
  let kv: (DenoKvLike & { close(): void }) | undefined; // this runtime's KV, under Deno
  /** Runs `call`; it must throw a `kind`, which is kept for the scan. */
  const expectError = async (
    kind: new (...args: never[]) => MonzoError,
    call: () => unknown,
    label: string,
  ): Promise<MonzoError> => {
    let error: unknown;
    try {
      await call();
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof kind, `${label}: expected ${kind.name}, got ${error}`);
    thrown.push(error);
    return error;
  };
  try {
    const client = emulator.addClient({
      redirectUris: ["http://localhost:8765/callback"],
      secret,
    });
    const base = {
      clientId: client.id,
      clientSecret: secret,
      redirectUrl: client.redirectUris[0],
      apiUrl: served.url,
      authUrl: `${served.url}/auth`,
      maxRetries: 1,
      retryDelayMs: 1,
      timeoutMs: 800,
    };
    const echo = new EchoStorage(); // prints through console.log, captured above
    const memory = new MemoryStorage();
    const file = new BunFileStorage(join(dir, "credentials.json"));
    const handlers: Storage[] = [echo, memory, file];
    if (deno) {
      const { Deno } = globalThis as unknown as {
        Deno: { openKv(path: string): Promise<DenoKvLike & { close(): void }> };
      };
      kv = await Deno.openKv(":memory:");
      handlers.push(new DenoKvStorage(kv));
    }
    const auth = new Authentication(base);
    for (const handler of handlers) auth.registerCallbackHandler(handler);
    const monzo = new Monzo(auth);
    console.log("before login:", auth, monzo);

    // OAuth: a forged state, the real exchange, the code used twice.
    const state = Authentication.generateState();
    console.log("authorise at", auth.authorizationUrl(state));
    const code = emulator.authorize({ clientId: client.id });
    codes.push(code);
    await expectError(
      MonzoAuthenticationError,
      () => auth.authenticate(code, { state: "forged", expectedState: state }),
      "state mismatch",
    );
    await auth.authenticate(code, { state, expectedState: state });
    await expectError(
      MonzoAuthenticationError,
      () => new Authentication(base).authenticate(code, { state, expectedState: state }),
      "code used twice",
    );
    console.log("logged in:", auth, String(auth), JSON.stringify(auth));

    // Every endpoint, printing what it returns as an app would.
    const acc = emulator.accounts.current;
    const since = new Date(Date.now() - 20 * 86_400_000);
    console.log(await monzo.whoAmI(), await monzo.accounts.list(), await monzo.balance.get(acc));
    const [pot] = (await monzo.pots.list(acc)).filter((p) => !p.locked && !p.deleted);
    console.log(
      await monzo.pots.deposit(pot.id, { sourceAccountId: acc, amount: 10, dedupeId: "s-1" }),
    );
    const [tx] = await monzo.transactions.list(acc, { since, limit: 3 });
    console.log(await monzo.transactions.get(tx.id, { expandMerchant: true }));
    console.log(await monzo.transactions.annotate(tx.id, { notes: "lunch" }));
    await monzo.feed.create(acc, { title: "Hello", imageUrl: "https://example.com/i.png" });
    const attachment = await monzo.attachments.upload(tx.id, {
      fileName: "r.png",
      fileType: "image/png",
      data: new Uint8Array([137, 80, 78, 71]),
    });
    await monzo.attachments.deregister(attachment.id);
    await monzo.receipts.put({
      transaction_id: tx.id,
      external_id: "secret-scan",
      total: 100,
      currency: "GBP",
      items: [{ description: "Tea", amount: 100, currency: "GBP" }],
    });
    console.log(await monzo.receipts.get("secret-scan"));
    await monzo.receipts.delete("secret-scan");
    const hook = await monzo.webhooks.create(acc, "https://example.com/hook");
    console.log(await monzo.webhooks.list(acc));
    await monzo.webhooks.delete(hook.id);
    let count = 0;
    for await (const _ of monzo.transactions.iterate(acc, { since, limit: 50 })) count++;
    console.log("transactions:", count);

    // Refreshes: explicit, then on Monzo's 401 after the clock moved.
    await auth.refreshAccessToken();
    const stale = await memory.fetch(); // kept to try a used refresh token later
    await auth.refreshAccessToken();
    emulator.advanceTime(200_000);
    console.log(await monzo.whoAmI(), auth);

    // Errors of every class, with Monzo echoing secrets into its messages.
    const echoed = `token ${auth.accessToken} refresh ${auth.refreshToken} secret ${secret}`;
    await expectError(MonzoArgumentError, () => monzo.balance.get(""), "argument");
    await expectError(
      MonzoHTTPError,
      () => monzo.transactions.get("tx_00000000000000000000nope"),
      "404",
    );
    emulator.injectFault({ path: "/accounts", status: 400, message: echoed, count: 1 });
    await expectError(MonzoHTTPError, () => monzo.accounts.list(), "400 echoing secrets");
    emulator.injectFault({ path: "/balance", status: 500, message: echoed, count: 2 });
    await expectError(MonzoServerError, () => monzo.balance.get(acc), "500 echoing secrets");
    emulator.injectFault({
      path: "/pots",
      status: 429,
      retryAfter: 120,
      message: echoed,
      count: 1,
    });
    await expectError(MonzoRateError, () => monzo.pots.list(acc), "429 echoing secrets");
    emulator.injectFault({
      path: "/ping/whoami",
      status: 401,
      code: "unauthorized.bad_access_token",
      message: echoed,
      count: 1,
    });
    await expectError(MonzoAuthenticationError, () => monzo.whoAmI(), "401 echoing secrets");
    emulator.injectFault({ path: "/webhooks", drop: true, count: 2 });
    await expectError(MonzoNetworkError, () => monzo.webhooks.list(acc), "dropped");
    emulator.injectFault({ path: "/accounts", delayMs: 2_000, count: 2 });
    await expectError(MonzoNetworkError, () => monzo.accounts.list(), "timed out");
    const offline = new Authentication({
      ...base,
      apiUrl: "http://127.0.0.1:1",
      accessToken: auth.accessToken,
      accessTokenExpiry: auth.accessTokenExpiry,
      refreshToken: auth.refreshToken,
    });
    await expectError(MonzoNetworkError, () => new Monzo(offline).whoAmI(), "refused");
    console.log("offline instance:", offline);
    emulator.injectFault({ path: "/balance", status: 200, body: "<html>oops</html>", count: 1 });
    await expectError(MonzoResponseError, () => monzo.balance.get(acc), "HTML with 200");
    emulator.injectFault({
      path: "/ping/whoami",
      status: 200,
      body: JSON.stringify({ authenticated: auth.accessToken, client_id: secret, user_id: 1 }),
      contentType: "application/json",
      count: 1,
    });
    await expectError(MonzoResponseError, () => monzo.whoAmI(), "token in a wrong-typed field");
    emulator.injectFault({
      path: "/oauth2/token",
      status: 200,
      body: JSON.stringify({ access_token: auth.accessToken, expires_in: auth.refreshToken }),
      contentType: "application/json",
      count: 1,
    });
    await expectError(MonzoResponseError, () => auth.refreshAccessToken(), "bad token answer");
    await expectError(
      MonzoPermissionsError,
      () => monzo.balance.get(emulator.partner.account),
      "another user's account",
    );
    const pending = emulator.login({ clientId: client.id, approved: false });
    const waiting = new Authentication({
      ...base,
      accessToken: pending.accessToken,
      accessTokenExpiry: pending.expiry,
    });
    await expectError(MonzoPermissionsError, () => new Monzo(waiting).accounts.list(), "approval");
    await expectError(MonzoAuthenticationError, () => monzo.whoAmI(), "evicted by a newer login");
    await expectError(
      MonzoAuthenticationError,
      () => new Authentication({ ...base, refreshToken: stale!.refreshToken }).refreshAccessToken(),
      "a used refresh token",
    );
    await expectError(
      MonzoAuthenticationError,
      () =>
        new Authentication({ ...base, clientSecret: wrongSecret, refreshToken: auth.refreshToken })
          .refreshAccessToken(),
      "a wrong client secret",
    );

    // Handler failures: a file in a missing directory, a handler that throws, a damaged file
    // holding the tokens, a closed KV store.
    const fresh = emulator.login({ clientId: client.id });
    const failing = new Authentication({
      ...base,
      accessToken: fresh.accessToken,
      accessTokenExpiry: fresh.expiry,
      refreshToken: fresh.refreshToken,
    });
    failing.registerCallbackHandler(new BunFileStorage(join(dir, "missing", "credentials.json")));
    failing.registerCallbackHandler({
      store: () => Promise.reject(new Error("disk full")),
      fetch: () => Promise.resolve(null),
    });
    await expectError(MonzoStorageError, () => failing.refreshAccessToken(), "failing handlers");
    console.log("kept in memory:", failing);
    const damaged = join(dir, "damaged.json");
    await writeFile(
      damaged,
      `{"accessToken": "${fresh.accessToken}", "refreshToken": "${fresh.refreshToken}`,
    );
    await expectError(
      MonzoStorageError,
      () => Authentication.fromStorage(new BunFileStorage(damaged), base),
      "damaged file",
    );
    await writeFile(
      damaged,
      JSON.stringify({ accessToken: fresh.accessToken, expiry: fresh.refreshToken }),
    );
    await expectError(MonzoStorageError, () => new BunFileStorage(damaged).fetch(), "bad field");
    if (deno) {
      const { Deno } = globalThis as unknown as {
        Deno: { openKv(path: string): Promise<DenoKvLike & { close(): void }> };
      };
      const other = await Deno.openKv(":memory:");
      const closed = new DenoKvStorage(other);
      other.close();
      const credentials = (await memory.fetch())!;
      await expectError(MonzoStorageError, () => closed.store(credentials), "closed KV");
      objects.push(closed);
    }

    // Logging out, then using the instance.
    await auth.logout();
    await expectError(MonzoAuthenticationError, () => monzo.whoAmI(), "after logout");
    console.log("after logout:", auth);

    objects.push(auth, monzo, monzo.accounts, monzo.pots, monzo.transactions, offline, waiting);
    objects.push(failing, ...handlers, new BunFileStorage(damaged));

    // The canaries: the secrets, every code, every token Monzo issued to this client.
    const canaries = [secret, wrongSecret, ...codes];
    for (const set of served.issued) canaries.push(set.accessToken, set.refreshToken ?? "");
    canaries.push(pending.accessToken, fresh.accessToken, fresh.refreshToken!);
    const haystacks: [string, string][] = [
      ...printed.map((text, i): [string, string] => [`console line ${i}`, text]),
      ...thrown.flatMap((error, i) =>
        renderings(error).map((
          text,
        ): [string, string] => [`error ${i} (${(error as Error).name})`, text])
      ),
      ...objects.flatMap((object, i) =>
        renderings(object).map((text): [string, string] => [`object ${i}`, text])
      ),
    ];
    const leaks: string[] = [];
    for (const canary of canaries.filter(Boolean)) {
      for (const needle of needles(canary)) {
        for (const [where, text] of haystacks) {
          if (text.includes(needle)) leaks.push(`${where} shows ${needle}: ${text.slice(0, 300)}`);
        }
      }
    }
    assert.deepEqual(leaks, []);

    // Positive controls: the canaries were real and the scan finds them where they are.
    assert.ok(emulator.requests.some((r) => r.body.includes(encodeURIComponent(secret))));
    const stored: Credentials = { ...stale!, clientSecret: secret };
    const storedText = renderings(stored).join("\n");
    assert.ok(needles(secret).every((needle) => storedText.includes(needle)));
    assert.ok(needles(stale!.accessToken).every((needle) => storedText.includes(needle)));
    assert.ok(printed.some((line) => line.startsWith("EchoStorage: new credentials stored")));
    assert.ok(served.issued.length >= 4, `only ${served.issued.length} token sets issued`);
    assert.equal(
      new Set(thrown.map((e) => (e as Error).name)).size,
      9,
      "an error class is missing",
    );
    summary = `scanned ${printed.length} console lines, ${thrown.length} errors of ` +
      `${new Set(thrown.map((e) => (e as Error).name)).size} classes and ${objects.length} ` +
      `objects (${haystacks.length} renderings) for ${canaries.length} canaries: no leak`;
  } finally {
    for (const [name, method] of saved) console[name] = method;
    kv?.close();
    await served.close();
    await rm(dir, { recursive: true, force: true });
  }
  t.diagnostic(summary); // after the console is restored (Bun prints diagnostics through it)
});
