// BunFileStorage only needs node:fs, so this suite runs in every runtime, and its child
// processes run in the runtime running the tests.

import assert from "node:assert/strict";
import { chmod, readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, test } from "node:test";
import { MonzoArgumentError } from "../src/errors.ts";
import { BunFileStorage } from "../src/handlers/bun_file.ts";
import {
  assertNoSecrets,
  assertStorageError,
  deadPid,
  runChild,
  sample,
  startChild,
  tempDir,
} from "./fixtures/handlers_common.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const posix = process.platform !== "win32";

/** Starts the writer, waits for its first store, kills it a random moment later. */
async function killWriterAtRandom(path: string): Promise<void> {
  const child = startChild("handlers_bun_file_writer.ts", [path]);
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk) => (output += chunk) && output.includes("ready") && resolve());
    child.stderr!.on("data", (chunk) => (output += chunk));
    exited.then(() => reject(new Error(`the writer exited early: ${output}`)));
  });
  await sleep(Math.random() * 60);
  child.kill("SIGKILL");
  await exited;
}

describe("BunFileStorage", () => {
  let dir: { path: string; remove: () => Promise<void> };
  let count = 0;
  const fresh = () => join(dir.path, `credentials-${++count}.json`);
  before(async () => (dir = await tempDir()));
  after(() => dir.remove());

  test("round trip; null when the file is absent; clear removes it", async () => {
    const path = fresh();
    const storage = new BunFileStorage(path);
    assert.equal(await storage.fetch(), null);
    await storage.store(sample(1));
    assert.deepEqual(await storage.fetch(), sample(1));
    assert.deepEqual(JSON.parse(await readFile(path, "utf8")), sample(1));
    await storage.store(sample(2));
    assert.deepEqual(await new BunFileStorage(path).fetch(), sample(2));
    await storage.clear();
    assert.equal(await storage.fetch(), null);
    await storage.clear(); // clearing nothing is fine
  });

  test("the file is mode 0600, even replacing a 0644 one, with no temporary file left", {
    skip: !posix,
  }, async () => {
    const path = fresh();
    await writeFile(path, "{}");
    await chmod(path, 0o644);
    await new BunFileStorage(path).store(sample(1));
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(dir.path)).filter((name) => name.endsWith(".tmp")), []);
  });

  test("unparsable or malformed content is a MonzoStorageError, without the content", async () => {
    const path = fresh();
    const storage = new BunFileStorage(path);
    await writeFile(path, '{"accessToken": "access-SECRET", "refre');
    const error = await assertStorageError(
      storage.fetch(),
      /^BunFileStorage\.fetch\(\) failed: the stored content is not valid JSON$/,
      ["SECRET"],
    );
    assert.equal(error.cause, undefined);
    await writeFile(path, JSON.stringify({ ...sample(1), expiry: "soon" }));
    await assertStorageError(storage.fetch(), /expiry is not a finite number/, ["SECRET"]);
  });

  test("a missing directory is a MonzoStorageError with the cause", async () => {
    const storage = new BunFileStorage(join(dir.path, "missing", "credentials.json"));
    const error = await assertStorageError(storage.store(sample(1)), /^BunFileStorage\.store\(\)/, [
      "SECRET",
    ]);
    assert.equal((error.cause as { code?: string }).code, "ENOENT");
  });

  test("toJSON and inspect show no secret", async () => {
    const path = fresh();
    const storage = new BunFileStorage(path);
    await storage.store(sample(1));
    assertNoSecrets(storage, "BunFileStorage", ["SECRET", "r1"]);
    assert.deepEqual(storage.toJSON(), { storage: "BunFileStorage", path });
  });

  test("a writer killed at 30 random moments always leaves one complete token set", async () => {
    const paths = Array.from({ length: 10 }, fresh);
    const padding = "x".repeat(256 * 1024);
    const seen = new Set<number>();
    for (let round = 0; round < 3; round++) {
      await Promise.all(paths.map(killWriterAtRandom));
      for (const path of paths) {
        JSON.parse(await readFile(path, "utf8"));
        const stored = await new BunFileStorage(path).fetch();
        const n = Number(stored!.refreshToken!.slice(1));
        assert.deepEqual(stored, sample(n, padding));
        seen.add(n);
      }
    }
    assert.ok(Math.max(...seen) > 1, "every kill came before a second store");
  });

  test("four processes incrementing under the lease lose no update", async () => {
    const path = fresh();
    const processes = 4;
    const each = 10;
    await Promise.all(
      Array.from(
        { length: processes },
        () => runChild("handlers_counter_child.ts", ["bun-file", path, String(each)]),
      ),
    );
    assert.equal((await new BunFileStorage(path).fetch())?.refreshToken, `r${processes * each}`);
    assert.deepEqual((await readdir(dir.path)).filter((name) => name.includes(".lock")), []);
  });

  test("a live lock is respected, even naming a dead local pid; an expired one is taken over", async () => {
    const path = fresh();
    const lock = `${path}.lock`;
    const storage = new BunFileStorage(path);
    // A holder in another PID namespace looks dead from here: never guess from a pid.
    const pid = await deadPid();
    await writeFile(lock, JSON.stringify({ owner: "other", pid, expiresAt: Date.now() + 60_000 }));
    assert.equal(await storage.acquireLease(1_000), null);
    await writeFile(lock, JSON.stringify({ owner: "other", pid, expiresAt: Date.now() - 1 }));
    const lease = await storage.acquireLease(200);
    assert.notEqual(lease, null);
    const held = JSON.parse(await readFile(lock, "utf8"));
    assert.notEqual(held.owner, "other");
    assert.equal(await lease!.renew!(60_000), true);
    assert.ok(JSON.parse(await readFile(lock, "utf8")).expiresAt > Date.now() + 30_000);
    await lease!.release();
    await assert.rejects(stat(lock), { code: "ENOENT" });
    assert.equal(await lease!.renew!(1_000), false, "a released lease cannot be renewed");
  });

  test("a lock left empty by a crash is taken over only once old", async () => {
    const path = fresh();
    const lock = `${path}.lock`;
    const storage = new BunFileStorage(path);
    await writeFile(lock, "");
    assert.equal(await storage.acquireLease(1_000), null);
    const past = new Date(Date.now() - 60_000);
    await utimes(lock, past, past);
    const lease = await storage.acquireLease(1_000);
    assert.notEqual(lease, null);
    await lease!.release();
  });

  test("of many racers on one stale lock, exactly one takes it over", async () => {
    const path = fresh();
    await writeFile(`${path}.lock`, JSON.stringify({ owner: "gone", expiresAt: Date.now() - 1 }));
    const leases = await Promise.all(
      Array.from({ length: 12 }, () => new BunFileStorage(path).acquireLease(10_000)),
    );
    assert.equal(leases.filter((lease) => lease !== null).length, 1);
  });

  test("release by a former holder leaves the new holder's lock in place", async () => {
    const path = fresh();
    const first = new BunFileStorage(path);
    const second = new BunFileStorage(path);
    const old = await first.acquireLease(30);
    await sleep(50);
    const current = await second.acquireLease(10_000);
    assert.notEqual(current, null);
    await old!.release();
    assert.equal(await first.acquireLease(10_000), null);
    await current!.release();
    const next = await first.acquireLease(10_000);
    assert.notEqual(next, null);
    await next!.release();
  });

  test("bad arguments are refused before touching the disk", async () => {
    await assert.rejects(new BunFileStorage(fresh()).acquireLease(-1), MonzoArgumentError);
    assert.throws(() => new BunFileStorage(""), MonzoArgumentError);
  });
});
