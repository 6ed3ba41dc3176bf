// The SQLite handler of docs/custom-handler.md, taken from the page itself and run: the
// generation rule and the conditional write explained there hold for a handler a user writes.
// Needs `node:sqlite` (Deno, Bun, Node 22.5+); skipped on Node 20.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";
import { Authentication, type Credentials, Monzo, type Storage } from "../mod.ts";
import { startEmulator } from "./_emulator.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const hasSqlite = await import("node:sqlite").then(() => true, () => false);

/** Writes the page's `sqlite_storage.ts` block into a scratch module and imports it. */
async function loadDocumentedHandler(
  dir: string,
): Promise<new (path: string, name?: string) => Storage> {
  const page = await readFile(join(root, "docs", "custom-handler.md"), "utf8");
  const block = page.match(/```ts\n(\/\/ sqlite_storage\.ts\n[\s\S]*?)```/);
  assert.ok(block, "the page has no sqlite_storage.ts block");
  const mod = pathToFileURL(join(root, "mod.ts")).href;
  const source = block[1].replaceAll('"@monzo-api/client"', JSON.stringify(mod));
  const file = join(dir, `sqlite_storage_${crypto.randomUUID()}.ts`);
  await writeFile(file, source);
  return (await import(pathToFileURL(file).href)).SqliteStorage;
}

test(
  "docs/custom-handler.md: the SQLite handler",
  { skip: !hasSqlite && "no node:sqlite" },
  async (t) => {
    const dir = join(root, ".tmp", `docs-handler-${crypto.randomUUID()}`);
    await mkdir(dir, { recursive: true });
    const served = await startEmulator();
    try {
      const SqliteStorage = await loadDocumentedHandler(dir);
      const { emulator } = served;
      const set = (generation: number, token = `a${generation}`): Credentials => ({
        accessToken: token,
        clientId: emulator.client.id,
        clientSecret: emulator.client.secret,
        expiry: 1_900_000_000,
        refreshToken: `r${generation}`,
        generation,
        future: "kept",
      } as Credentials);

      await t.test("storeIf is a compare-and-set on the generation; sets come back whole", async () => {
        const path = join(dir, "cas.db");
        const a = new SqliteStorage(path);
        const b = new SqliteStorage(path);
        assert.equal(
          await a.storeIf!(set(1), 0),
          false,
          "nothing is stored: expected must be null",
        );
        assert.equal(await a.storeIf!(set(1), null), true);
        assert.equal(await b.storeIf!(set(1, "other"), null), false);
        assert.equal(await b.storeIf!(set(2), 1), true);
        assert.equal(await a.storeIf!(set(2, "stale"), 1), false, "a stale writer lost");
        assert.deepEqual(await a.fetch(), set(2));
      });

      await t.test("the lease is exclusive, renewed and released by its owner only", async () => {
        const path = join(dir, "lease.db");
        const a = new SqliteStorage(path);
        const b = new SqliteStorage(path);
        const lease = await a.acquireLease!(60_000);
        assert.ok(lease);
        assert.equal(await b.acquireLease!(60_000), null);
        assert.equal(await lease.renew!(60_000), true);
        await lease.release();
        assert.equal(await lease.renew!(60_000), false);
        const next = await b.acquireLease!(60_000);
        assert.ok(next);
        await lease.release(); // a former holder's release leaves the new lease alone
        assert.equal(await a.acquireLease!(60_000), null);
        await next.release();
      });

      await t.test("five instances, each its own connection, refresh once; logout reaches all", async () => {
        const path = join(dir, "login.db");
        const tokens = emulator.login();
        await new SqliteStorage(path).store({
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          expiry: tokens.expiry,
          clientId: emulator.client.id,
          clientSecret: emulator.client.secret,
        });
        const instances = await Promise.all(
          Array.from({ length: 5 }, () =>
            Authentication.fromStorage(new SqliteStorage(path), {
              ...served.options(),
              now: () => emulator.now(),
            })),
        );
        emulator.advanceTime(tokens.expiresIn + 60);
        await Promise.all(instances.map((auth) => new Monzo(auth).whoAmI()));
        assert.equal(emulator.counters.grants.refresh_token, 1);
        assert.equal(emulator.counters.refreshReuses, 0);
        const stored = await new SqliteStorage(path).fetch();
        assert.equal(stored?.generation, 1);
        assert.equal(emulator.tokenStatus(stored!.accessToken), "active");

        await instances[0].logout();
        assert.equal((await new SqliteStorage(path).fetch())?.loggedOut, true);
        await assert.rejects(new Monzo(instances[3]).whoAmI(), {
          name: "MonzoAuthenticationError",
          reauthorizationRequired: true,
        });
        assert.equal((await new SqliteStorage(path).fetch())?.loggedOut, true, "written back");
      });
    } finally {
      await served.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);
