import assert from "node:assert/strict";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { MonzoArgumentError } from "../src/errors.ts";
import { DenoKvStorage } from "../src/handlers/deno_kv.ts";
import {
  assertNoSecrets,
  assertStorageError,
  deadPid,
  isDeno,
  runChild,
  sample,
  tempDir,
} from "./fixtures/handlers_common.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two handles on one SQLite file, as two processes would have; closed and removed after. */
async function withTwoHandles(
  run: (a: Deno.Kv, b: Deno.Kv, path: string) => Promise<void>,
): Promise<void> {
  const dir = await tempDir();
  const path = join(dir.path, "kv.sqlite");
  const a = await Deno.openKv(path);
  const b = await Deno.openKv(path);
  try {
    await run(a, b, path);
  } finally {
    a.close();
    b.close();
    await dir.remove();
  }
}

describe("DenoKvStorage", { skip: !isDeno }, () => {
  test("round trip under the default and a custom key; null when empty; clear", async () => {
    const kv = await Deno.openKv(":memory:");
    try {
      const storage = new DenoKvStorage(kv);
      assert.equal(await storage.fetch(), null);
      await storage.store(sample(1));
      assert.deepEqual(await storage.fetch(), sample(1));
      assert.deepEqual((await kv.get(["monzo-api", "credentials"])).value, sample(1));

      const other = new DenoKvStorage(kv, { key: ["tenant", 7] });
      await other.store(sample(2));
      assert.deepEqual((await kv.get(["tenant", 7])).value, sample(2));
      assert.deepEqual(await storage.fetch(), sample(1));

      await storage.clear();
      assert.equal(await storage.fetch(), null);
      assert.deepEqual(await other.fetch(), sample(2));
    } finally {
      kv.close();
    }
  });

  test("a corrupt stored value is a MonzoStorageError, without the value", async () => {
    const kv = await Deno.openKv(":memory:");
    try {
      const storage = new DenoKvStorage(kv);
      await kv.set(["monzo-api", "credentials"], "access-SECRET");
      await assertStorageError(
        storage.fetch(),
        /^DenoKvStorage\.fetch\(\) failed: .*not an object/,
        [
          "SECRET",
        ],
      );
      await kv.set(["monzo-api", "credentials"], { ...sample(1), accessToken: 42 });
      await assertStorageError(storage.fetch(), /accessToken is not a string/, ["SECRET"]);
    } finally {
      kv.close();
    }
  });

  test("toJSON and inspect show no secret", async () => {
    const kv = await Deno.openKv(":memory:");
    try {
      const storage = new DenoKvStorage(kv);
      await storage.store(sample(1));
      assertNoSecrets(storage, "DenoKvStorage", ["SECRET", "r1"]);
      assert.deepEqual(storage.toJSON(), {
        storage: "DenoKvStorage",
        key: ["monzo-api", "credentials"],
      });
    } finally {
      kv.close();
    }
  });

  test("exactly one of many concurrent acquireLease calls on two handles wins", async () => {
    await withTwoHandles(async (a, b) => {
      const storages = [new DenoKvStorage(a), new DenoKvStorage(b)];
      const leases = await Promise.all(
        Array.from({ length: 12 }, (_, i) => storages[i % 2].acquireLease(10_000)),
      );
      const won = leases.filter((lease) => lease !== null);
      assert.equal(won.length, 1);
      assert.equal(await storages[0].acquireLease(10_000), null);
      await won[0]!.release();
      const next = await storages[1].acquireLease(10_000);
      assert.notEqual(next, null);
      await next!.release();
    });
  });

  test("an expired lease is taken over", async () => {
    await withTwoHandles(async (a, b) => {
      const first = new DenoKvStorage(a);
      const second = new DenoKvStorage(b);
      const old = await first.acquireLease(250);
      assert.notEqual(old, null);
      assert.equal(await second.acquireLease(10_000), null);
      await sleep(300);
      const taken = await second.acquireLease(10_000);
      assert.notEqual(taken, null);
      await taken!.release();
    });
  });

  test("a lease KV has not purged yet is judged by its own expiresAt", async () => {
    const kv = await Deno.openKv(":memory:");
    try {
      const storage = new DenoKvStorage(kv);
      const leaseKey = ["monzo-api", "credentials", "lease"];
      await kv.set(leaseKey, { owner: "other", expiresAt: Date.now() + 60_000 });
      assert.equal(await storage.acquireLease(1_000), null);
      await kv.set(leaseKey, { owner: "other", expiresAt: Date.now() - 1 });
      const lease = await storage.acquireLease(1_000);
      assert.notEqual(lease, null);
      assert.notEqual((await kv.get<{ owner: string }>(leaseKey)).value?.owner, "other");
      await lease!.release();
    } finally {
      kv.close();
    }
  });

  test("a live lease naming a dead local pid is respected until its time runs out; renew extends it", async () => {
    const kv = await Deno.openKv(":memory:");
    try {
      const storage = new DenoKvStorage(kv);
      const leaseKey = ["monzo-api", "credentials", "lease"];
      // A holder in another PID namespace looks dead from here: never guess from a pid.
      const live = { owner: "other", expiresAt: Date.now() + 60_000, pid: await deadPid() };
      await kv.set(leaseKey, { ...live, host: hostname() });
      assert.equal(await storage.acquireLease(1_000), null);
      await kv.set(leaseKey, { ...live, expiresAt: Date.now() - 1 });
      const lease = await storage.acquireLease(200);
      assert.notEqual(lease, null);
      assert.equal(await lease!.renew!(60_000), true);
      const renewed = (await kv.get<{ expiresAt: number }>(leaseKey)).value!;
      assert.ok(renewed.expiresAt > Date.now() + 30_000);
      await lease!.release();
      assert.equal(await lease!.renew!(1_000), false, "a released lease cannot be renewed");
    } finally {
      kv.close();
    }
  });

  test("release by a former holder does not remove the new holder's lease", async () => {
    await withTwoHandles(async (a, b) => {
      const first = new DenoKvStorage(a);
      const second = new DenoKvStorage(b);
      const old = await first.acquireLease(30);
      await sleep(50);
      const current = await second.acquireLease(10_000);
      assert.notEqual(current, null);
      await old!.release();
      assert.notEqual((await a.get(["monzo-api", "credentials", "lease"])).versionstamp, null);
      assert.equal(await first.acquireLease(10_000), null);
      await current!.release();
      assert.equal((await a.get(["monzo-api", "credentials", "lease"])).versionstamp, null);
    });
  });

  test("acquireLease rejects a bad time to live", async () => {
    const kv = await Deno.openKv(":memory:");
    try {
      await assert.rejects(new DenoKvStorage(kv).acquireLease(0), MonzoArgumentError);
    } finally {
      kv.close();
    }
  });

  test("four processes incrementing under the lease lose no update", async () => {
    await withTwoHandles(async (a, _b, path) => {
      const processes = 4;
      const each = 15;
      await Promise.all(
        Array.from(
          { length: processes },
          () => runChild("handlers_counter_child.ts", ["deno-kv", path, String(each)]),
        ),
      );
      const stored = await new DenoKvStorage(a).fetch();
      assert.equal(stored?.refreshToken, `r${processes * each}`);
    });
  });
});
