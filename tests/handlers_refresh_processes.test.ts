// Several processes, each with its own Authentication over one shared store, hit an expired
// access token at the same moment. With a leasing handler exactly one of them refreshes; the
// others adopt the stored result, so the single-use refresh token is never spent twice.

import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Authentication } from "../src/authentication.ts";
import { MonzoEmulator, serveEmulator } from "../src/testing/mod.ts";
import { isDeno, openStorage, startChild, tempDir } from "./fixtures/handlers_common.ts";

const CHILDREN = 3;

/** Resolves `ready` once the child printed "ready", `done` with its last line at a 0 exit. */
function follow(child: ChildProcess): { ready: Promise<void>; done: Promise<string> } {
  let output = "";
  let markReady = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout!.on("data", (chunk) => {
    output += chunk;
    if (output.includes("ready\n")) markReady();
  });
  child.stderr!.on("data", (chunk) => (output += chunk));
  const done = new Promise<string>((resolve, reject) => {
    child.on("close", (code) => {
      if (code === 0) resolve(output.trim().split("\n").at(-1)!);
      else reject(new Error(`a child exited with ${code}: ${output}`));
    });
  });
  return { ready: Promise.race([ready, done.then(() => {})]), done };
}

async function raceForRefresh(kind: string, file: string): Promise<void> {
  const dir = await tempDir();
  const path = join(dir.path, file);
  const emulator = new MonzoEmulator({});
  const server = await serveEmulator(emulator);
  const { storage, close } = await openStorage(kind, path);
  try {
    const { id, secret, redirectUris } = emulator.client;
    const login = emulator.login({ approved: true });
    await storage.store({
      accessToken: login.accessToken,
      clientId: id,
      clientSecret: secret,
      expiry: login.expiry,
      refreshToken: login.refreshToken,
    });
    emulator.advanceTime(login.expiresIn + 60); // expired for Monzo, not yet for the clients
    const options = {
      clientId: id,
      clientSecret: secret,
      redirectUrl: redirectUris[0],
      apiUrl: server.url,
    };

    const children = Array.from(
      { length: CHILDREN },
      () => startChild("handlers_refresh_child.ts", [kind, path, JSON.stringify(options)]),
    );
    const watchdog = setTimeout(() => children.forEach((child) => child.kill("SIGKILL")), 30_000);
    const followed = children.map(follow);
    await Promise.all(followed.map((f) => f.ready));
    for (const child of children) child.stdin!.write("go\n");
    const lines = await Promise.all(followed.map((f) => f.done)).finally(() =>
      clearTimeout(watchdog)
    );
    const results = lines.map((line) =>
      JSON.parse(line) as { whoami: { authenticated: boolean }; accessToken: string }
    );

    assert.equal(emulator.counters.grants.refresh_token, 1);
    assert.equal(emulator.counters.refreshReuses, 0);
    const stored = await storage.fetch();
    assert.notEqual(stored!.accessToken, login.accessToken);
    assert.notEqual(stored!.refreshToken, login.refreshToken);
    for (const result of results) {
      assert.equal(result.whoami.authenticated, true);
      assert.equal(result.accessToken, stored!.accessToken);
    }

    // What was stored works for a newcomer without another refresh.
    const newcomer = await Authentication.fromStorage(storage, options);
    assert.deepEqual(await newcomer.request("GET", "/ping/whoami"), results[0].whoami);
    assert.equal(emulator.counters.grants.refresh_token, 1);
  } finally {
    close();
    await server.close();
    await dir.remove();
  }
}

describe("processes sharing one store refresh an expired token once", () => {
  test("over one Deno KV file", { skip: !isDeno }, () => raceForRefresh("deno-kv", "kv.sqlite"));
  test("over one BunFileStorage file", () => raceForRefresh("bun-file", "credentials.json"));
});
