// The seeded fault-schedule simulation of issue 8 (tests/_simulation.ts) over the two
// handlers for many machines: RedisStorage on a real redis-server (node-redis) and
// DurableObjectStorage reaching a real MonzoTokens object in workerd (miniflare). Each
// schedule gets a store of its own (its own Redis key, its own object).
//
// SIM_SCHEDULES_SHARED schedules per handler (default 50 under Deno, 15 under Bun and Node:
// the same code paths, the heavy count runs once), SIM_CONCURRENCY (default 2) at a time: the
// deadlines are 100 ms and the stores are real, so keep it low.
// Replay one schedule: SIM_SEED=<n> SIM_BACKENDS=<redis|durable-object> with the same command.

import assert from "node:assert/strict";
import process from "node:process";
import { after, before, describe, test } from "node:test";
import { Miniflare } from "miniflare";
import {
  type DurableObjectNamespaceLike,
  DurableObjectStorage,
} from "../src/handlers/durable_object.ts";
import { RedisStorage } from "../src/handlers/redis.ts";
import {
  type Backend,
  envInt,
  otherBackends,
  report,
  runMany,
  SimWorld,
  summary,
} from "./_simulation.ts";
import { bundleWorker } from "./fixtures/do_bundle.ts";
import {
  connectRedis,
  redisMissing,
  type RedisServer,
  startRedis,
} from "./fixtures/redis_server.ts";

const count = envInt("SIM_SCHEDULES_SHARED") ?? ("Deno" in globalThis ? 50 : 15);
const concurrency = envInt("SIM_CONCURRENCY") ?? 2;
const wanted = (process.env.SIM_BACKENDS ?? "redis,durable-object").split(",");

/** Runs the schedules of `backend` and checks that none broke an invariant. */
async function simulate(world: SimWorld, backend: Backend): Promise<void> {
  const totals = await runMany(world, backend, count, { concurrency });
  process.stdout.write(`# simulation ${summary(totals)}\n`);
  assert.equal(totals.failures.length, 0, `\n${report(totals)}`);
  assert.ok(totals.schedules >= 1);
}

describe("login safety simulation over RedisStorage and DurableObjectStorage", () => {
  let world: SimWorld;
  let schedules = 0;
  before(async () => {
    world = await SimWorld.start();
  });
  after(() => world.close());

  describe("RedisStorage", { skip: redisMissing }, () => {
    let server: RedisServer;
    let close = () => Promise.resolve();
    before(async () => {
      server = await startRedis();
      const connection = await connectRedis("node-redis", server.url);
      close = connection.close;
      // Warm the connection and the handler up: the simulation's store deadline is 100 ms.
      const warm = new RedisStorage(connection.redis, { key: "warm-up" });
      for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: 50 }, () => warm.fetch()));
      otherBackends.set("redis", () => {
        const key = `sim:${++schedules}`;
        const reader = new RedisStorage(connection.redis, { key });
        return Promise.resolve({
          open: () => Promise.resolve(new RedisStorage(connection.redis, { key })),
          read: () => reader.fetch(),
          close: () => Promise.resolve(),
        });
      });
    });
    after(async () => {
      otherBackends.delete("redis");
      await close();
      await server?.stop();
    });

    test(
      `${count} schedules`,
      { skip: !wanted.includes("redis") && "not in SIM_BACKENDS" },
      () => simulate(world, "redis"),
    );
  });

  describe("DurableObjectStorage", () => {
    let mf: Miniflare;
    before(async () => {
      mf = new Miniflare({
        modules: true,
        script: await bundleWorker("tests/fixtures/do_worker.ts"),
        compatibilityDate: "2026-04-01",
        bindings: { MONZO_OPTIONS: "{}" },
        durableObjects: { MONZO_TOKENS: "MonzoTokens" },
      });
      // The test's process reaches the objects through the Worker over HTTP (a Worker calling
      // its object), which is several times faster than miniflare's own binding proxy.
      const base = (await mf.ready).href;
      const namespace: DurableObjectNamespaceLike = {
        idFromName: (name) => name,
        get: (id) => ({
          fetch: (url, init) =>
            fetch(`${base}_do/${encodeURIComponent(String(id))}${new URL(url).pathname}`, init),
        }),
      };
      // Warm workerd and the HTTP path up: the simulation's store deadline is 100 ms.
      const warm = new DurableObjectStorage(namespace, { key: "warm-up" });
      for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: 50 }, () => warm.fetch()));
      otherBackends.set("durable-object", async () => {
        const key = `sim:${++schedules}`;
        const reader = new DurableObjectStorage(namespace, { key });
        await reader.fetch(); // the object starts before the schedule's clocks run
        return {
          open: () => Promise.resolve(new DurableObjectStorage(namespace, { key })),
          read: () => reader.fetch(),
          close: () => Promise.resolve(),
        };
      });
    });
    after(async () => {
      otherBackends.delete("durable-object");
      await mf?.dispose();
    });

    test(`${count} schedules`, {
      skip: !wanted.includes("durable-object") && "not in SIM_BACKENDS",
    }, () => simulate(world, "durable-object"));
  });
});
