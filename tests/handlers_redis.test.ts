// RedisStorage against a real redis-server (started on a free loopback port, stopped after),
// through node-redis in every runtime and Bun's RedisClient under Bun: the handler contract
// (whole-object round trip, atomic compare-and-set, an exclusive lease renewed and released
// by its owner only), errors without secrets, and Redis killed and restarted.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { MonzoArgumentError } from "../src/errors.ts";
import { type RedisLike, RedisStorage } from "../src/handlers/redis.ts";
import type { Credentials } from "../src/storage.ts";
import { sleep } from "./_reliability.ts";
import { assertNoSecrets, assertStorageError, sample } from "./fixtures/handlers_common.ts";
import {
  clientKinds,
  connectRedis,
  type RedisClientKind,
  redisMissing,
  type RedisServer,
  startRedis,
} from "./fixtures/redis_server.ts";

/** A token set of generation `g`, with a field this library does not know. */
function set(g: number): Credentials {
  return { ...sample(g), generation: g, extra: { note: `kept ${g}` } } as Credentials;
}

/** Counts the commands sent through a connection. */
function counting(redis: RedisLike): RedisLike & { sent: string[] } {
  const sent: string[] = [];
  return { sent, send: (command, args) => (sent.push(command), redis.send(command, args)) };
}

for (const kind of clientKinds) {
  describe(`RedisStorage over ${kind}`, { skip: redisMissing }, () => {
    let server: RedisServer;
    const connections: { redis: RedisLike; close(): Promise<void> }[] = [];
    const connect = async (url = server.url, client: RedisClientKind = kind) => {
      const connection = await connectRedis(client, url);
      connections.push(connection);
      return connection.redis;
    };
    let redis: RedisLike;

    before(async () => {
      server = await startRedis();
      redis = await connect();
    });
    after(async () => {
      for (const connection of connections) await connection.close();
      await server?.stop();
    });

    test("round trip of the whole object; null when empty; keys; clear", async () => {
      const storage = new RedisStorage(redis, { key: "t:round" });
      assert.equal(await storage.fetch(), null);
      await storage.store(set(3));
      assert.deepEqual(await storage.fetch(), set(3));
      assert.equal(await redis.send("HGET", ["t:round", "generation"]), "3");
      const legacy = sample(1); // stored before generations: counts as 0
      await storage.store(legacy);
      assert.deepEqual(await storage.fetch(), legacy);
      assert.equal(await storage.storeIf(set(1), 0), true);

      const other = new RedisStorage(redis, { key: "t:other" });
      await other.store(set(7));
      await storage.clear();
      assert.equal(await storage.fetch(), null);
      assert.deepEqual(await other.fetch(), set(7));
      assert.deepEqual(await new RedisStorage(redis).fetch(), null, "default key untouched");
    });

    test("storeIf writes only over the expected generation (null: nothing stored)", async () => {
      const storage = new RedisStorage(redis, { key: "t:cas" });
      assert.equal(await storage.storeIf(set(1), 0), false, "nothing stored is not 0");
      assert.equal(await storage.storeIf(set(1), null), true);
      assert.equal(await storage.storeIf(set(9), null), false);
      assert.equal(await storage.storeIf(set(2), 2), false);
      assert.equal(await storage.storeIf(set(2), 1), true);
      assert.deepEqual(await storage.fetch(), set(2));
    });

    test("storeIf is atomic under contention: one winner per generation", async () => {
      const clients = await Promise.all(Array.from({ length: 4 }, () => connect()));
      const key = "t:contention";
      await new RedisStorage(redis, { key }).store(set(0));
      for (let g = 1; g <= 10; g++) {
        const attempts = clients.flatMap((client, c) =>
          Array.from({ length: 5 }, (_, i) =>
            new RedisStorage(client, { key }).storeIf(
              { ...set(g), accessToken: `winner-${c}-${i}` },
              g - 1,
            ))
        );
        const results = await Promise.all(attempts);
        assert.equal(results.filter(Boolean).length, 1, `generation ${g}`);
        const stored = await new RedisStorage(redis, { key }).fetch();
        assert.equal(stored?.generation, g);
        const winner = results.indexOf(true);
        assert.equal(stored?.accessToken, `winner-${Math.floor(winner / 5)}-${winner % 5}`);
      }
    });

    test("the lease is exclusive, renewed and released by its owner only", async () => {
      const key = "t:lease";
      const a = new RedisStorage(redis, { key });
      const b = new RedisStorage(await connect(), { key });
      const leaseA = await a.acquireLease(60_000);
      assert.ok(leaseA);
      assert.equal(await b.acquireLease(60_000), null);
      assert.equal(await leaseA.renew!(60_000), true);
      const ttl = Number(await redis.send("PTTL", [`${key}:lease`]));
      assert.ok(ttl > 0 && ttl <= 60_000);

      // A's lease runs out: B takes it, and A can neither renew nor release B's.
      assert.equal(await leaseA.renew!(1), true);
      let leaseB = await b.acquireLease(60_000);
      while (!leaseB) leaseB = await b.acquireLease(60_000);
      assert.equal(await leaseA.renew!(60_000), false);
      await leaseA.release();
      assert.equal(await a.acquireLease(60_000), null, "B still holds it");
      assert.equal(await leaseB.renew!(60_000), true);
      await leaseB.release();
      await leaseB.release(); // twice is harmless
      const again = await a.acquireLease(60_000);
      assert.ok(again);
      await again.release();

      // Many instances at once: one holder.
      const clients = await Promise.all(Array.from({ length: 4 }, () => connect()));
      const leases = await Promise.all(
        clients.flatMap((client) =>
          Array.from({ length: 5 }, () => new RedisStorage(client, { key }).acquireLease(60_000))
        ),
      );
      assert.equal(leases.filter(Boolean).length, 1);
      await leases.find(Boolean)!.release();
    });

    test("bad input is a typed error before any command", async () => {
      const counted = counting(redis);
      const storage = new RedisStorage(counted, { key: "t:bad" });
      await assert.rejects(storage.acquireLease(0), MonzoArgumentError);
      await assert.rejects(storage.acquireLease(Number.NaN), MonzoArgumentError);
      await assert.rejects(storage.storeIf(set(1), -1), MonzoArgumentError);
      await assert.rejects(storage.storeIf(set(1), 1.5), MonzoArgumentError);
      await assertStorageError(
        storage.store({ ...set(1), generation: 1.5 }),
        /generation is not/,
        ["SECRET"],
      );
      await assertStorageError(
        storage.store({ ...set(1), accessToken: 5 } as unknown as Credentials),
        /accessToken is not a string/,
        ["SECRET"],
      );
      assert.deepEqual(counted.sent, []);
      assert.throws(() => new RedisStorage({} as RedisLike), MonzoArgumentError);
      assert.throws(() => new RedisStorage(redis, { key: "" }), MonzoArgumentError);
    });

    test("Redis errors and corrupt content: MonzoStorageError without a secret", async () => {
      await redis.send("HSET", ["t:corrupt", "credentials", "access-SECRET{"]);
      const corrupt = await assertStorageError(
        new RedisStorage(redis, { key: "t:corrupt" }).fetch(),
        /^RedisStorage\.fetch\(\) failed: the stored content is not valid JSON$/,
        ["SECRET"],
      );
      assert.equal(corrupt.cause, undefined);

      await redis.send("SET", ["t:string", "x"]);
      const wrongType = await assertStorageError(
        new RedisStorage(redis, { key: "t:string" }).store(set(1)),
        /^RedisStorage\.store\(\) failed: WRONGTYPE/,
        ["SECRET", "r1"],
      );
      assert.deepEqual(wrongType.params, { handler: "RedisStorage", operation: "store" });

      // Redis quotes the arguments of a command it refuses: none of it may show.
      const echoing: RedisLike = { send: (_command, args) => redis.send("HSETX", args) };
      await assertStorageError(
        new RedisStorage(echoing, { key: "t:echo" }).store(set(1)),
        /^RedisStorage\.store\(\) failed: ERR unknown command/,
        ["SECRET", "r1", "kept"],
      );
    });

    test("toJSON and inspect show no secret", async () => {
      const storage = new RedisStorage(redis, { key: "t:show" });
      await storage.store(set(1));
      assertNoSecrets(storage, "RedisStorage", ["SECRET", "r1"]);
      assert.deepEqual(storage.toJSON(), { storage: "RedisStorage", key: "t:show" });
    });

    test("Redis killed: MonzoStorageError; restarted: the login is still there", async () => {
      const own = await startRedis();
      try {
        const client = await connect(own.url);
        const storage = new RedisStorage(client);
        await storage.store(set(4));
        assert.equal(await storage.storeIf(set(5), 4), true);
        await own.kill();
        await assertStorageError(storage.fetch(), /^RedisStorage\.fetch\(\) failed: /, [
          "SECRET",
        ]);
        await assertStorageError(storage.storeIf(set(6), 5), /storeIf\(\) failed/, ["SECRET"]);
        await assertStorageError(storage.acquireLease(1000), /acquireLease\(\) failed/);
        await own.restart();
        let stored: Credentials | null | undefined;
        while (stored === undefined) {
          // Until the client has reconnected.
          stored = await storage.fetch().catch(() => sleep(20).then(() => undefined));
        }
        assert.deepEqual(stored, set(5));
        assert.equal(await storage.storeIf(set(6), 5), true);
      } finally {
        await own.stop();
      }
    });
  });
}
