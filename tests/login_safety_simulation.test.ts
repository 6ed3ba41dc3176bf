// The seeded fault-schedule simulation of issue 8 (see tests/_simulation.ts): thousands of
// random interleavings of 2–8 instances sharing one login, with crashes, pauses beyond the
// lease, failing, hanging and slow stores, late and lost token answers, clock skew and a
// moving Monzo clock. Every schedule must keep the invariants of the login safety model.
//
// Counts: under Deno, SIM_SCHEDULES (default 1000) schedules per backend: memory, file and
// Deno KV. Under Bun and Node, SIM_SCHEDULES_LIGHT (default 200) per backend: memory and
// file (the same code paths; the heavy counts run once, under Deno).
// Schedules run 32 at a time (8 under Node, whose event loop then stalls beyond the lease's
// time to live, and whose four file-system threads cannot flush more); SIM_CONCURRENCY
// overrides.
// Replay one schedule: SIM_SEED=<n> SIM_BACKENDS=<memory|file|kv> with the same command.

import assert from "node:assert/strict";
import process from "node:process";
import { after, before, describe, test } from "node:test";
import { type Backend, denoKv, envInt, report, runMany, SimWorld, summary } from "./_simulation.ts";
import { runtime } from "./_reliability.ts";

const heavy = denoKv !== undefined;
const count = heavy ? envInt("SIM_SCHEDULES") ?? 1000 : envInt("SIM_SCHEDULES_LIGHT") ?? 200;
const concurrency = envInt("SIM_CONCURRENCY") ?? 32;
/**
 * Under Node (through tsx) 32 schedules at a time stall the event loop beyond the lease's time
 * to live, and its four file-system threads cannot flush 32 schedules' files in time: 8.
 */
const concurrencyOf = (_backend: Backend) =>
  envInt("SIM_CONCURRENCY") ?? (runtime === "node" ? 8 : 32);
const wanted = (process.env.SIM_BACKENDS ?? "memory,file,kv").split(",");

describe("login safety simulation: seeded fault schedules keep every invariant", () => {
  let world: SimWorld;
  before(async () => {
    world = await SimWorld.start();
  });
  after(() => world.close());

  const backends: [Backend, boolean][] = [["memory", true], ["file", true], ["kv", heavy]];
  for (const [backend, runs] of backends) {
    test(`${backend}: ${count} schedules`, {
      skip: !runs
        ? "Deno KV needs Deno"
        : !wanted.includes(backend)
        ? "not in SIM_BACKENDS"
        : false,
    }, async () => {
      const totals = await runMany(world, backend, count, {
        concurrency: concurrencyOf(backend),
      });
      process.stdout.write(`# simulation ${summary(totals)}\n`);
      if (process.env.SIM_VERBOSE) {
        process.stdout.write(`# notes ${JSON.stringify(totals.notes, null, 1)}\n`);
      }
      assert.equal(totals.failures.length, 0, `\n${report(totals)}`);
      assert.ok(totals.schedules >= 1);
    });
  }
});

// Positive controls: the same checks, with a rule broken on purpose, must find violations.
describe("login safety simulation: the invariant checks catch broken rules", () => {
  let world: SimWorld;
  before(async () => {
    world = await SimWorld.start();
  });
  after(() => world.close());

  const expected = {
    "no-lease": /refresh token reuse/,
    "blind-write": /storage holds|not the newest|reauthorizationRequired/,
    "leak": /a secret/,
  };
  // Batches of schedules until the broken rule is caught: a slow machine interleaves
  // differently, so a fixed count may miss; the bound keeps a real regression visible.
  const batch = { "no-lease": 100, "blind-write": 300, "leak": 3 };
  const batches = 8;
  for (const sabotage of ["no-lease", "blind-write", "leak"] as const) {
    test(`${sabotage}: violations are found`, async () => {
      let caught = 0;
      for (let round = 0; round < batches && caught === 0; round++) {
        const totals = await runMany(world, "memory", batch[sabotage], {
          concurrency,
          sabotage,
          firstSeed: 100_000 + round * batch[sabotage],
        });
        process.stdout.write(`# sabotage ${sabotage}, batch ${round + 1}: ${summary(totals)}\n`);
        caught = totals.failures.filter((f) =>
          f.violations.some((v) => expected[sabotage].test(v))
        ).length;
      }
      assert.ok(caught > 0, "the broken rule went unnoticed");
    });
  }
});
