// The login-safety simulation with real processes (issue 8): 2–3 child processes (the test's
// own runtime, tests/fixtures/login_safety_child.ts), each with its own Authentication over
// one shared store (the file handler; Deno KV under Deno), run a seeded schedule of
// requests, refreshes, logins and logouts while the parent moves Monzo's clock, delays token
// answers after Monzo applied them, stops children with SIGSTOP (longer than the lease) and
// resumes them with SIGCONT, and kills them with SIGKILL (then starts a new one). The
// emulator is served by the parent on loopback. At the end of each schedule the parent reads
// the storage and asks the emulator: the invariants of tests/_simulation.ts must hold.
//
// Counts: under Deno, SIM_PROCESS_SCHEDULES (default 50) per handler (file, Deno KV); under
// Bun and Node, SIM_PROCESS_SCHEDULES_LIGHT (default 10) for the file handler.
// Replay one: SIM_SEED=<n> with the same command.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { describe, test } from "node:test";
import type { Credentials } from "../mod.ts";
import { MonzoEmulator } from "../src/testing/mod.ts";
import { storedLogin } from "./_emulator.ts";
import { seeded, sleep, weighted, within } from "./_reliability.ts";
import { denoKv, envInt } from "./_simulation.ts";
import { openStorage } from "./fixtures/handlers_common.ts";
import {
  childCommand,
  type ChildReply,
  type GrantWatch,
  serveWatched,
  type SimChild,
  startSimChild,
} from "./fixtures/login_safety_common.ts";

const LIFETIME_S = 3_600;
const TIMING = {
  leaseTtlMs: 500,
  storeTimeoutMs: 500,
  grantTimeoutMs: 5_000,
  handoverWaitMs: 2_000,
  timeoutMs: 500,
  maxRetries: 1,
  retryDelayMs: 1,
};

type Step =
  | { op: "request" | "refresh" | "login" | "logout"; i: number }
  | { op: "stop"; i: number; ms: number }
  | { op: "kill"; i: number }
  | { op: "grantLate"; ms: number }
  | { op: "expire" }
  | { op: "gap"; ms: number };

interface Schedule {
  seed: number;
  kind: string;
  skews: number[];
  steps: Step[];
}

function makeSchedule(seed: number, kind: string): Schedule {
  const random = seeded(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const children = int(2, 3);
  const skews = Array.from(
    { length: children },
    () => weighted(random, [[0, 3], [int(-60, 60) * 1000, 1]]),
  );
  const steps: Step[] = [{ op: "expire" }];
  let stops = 0;
  let kills = 0;
  for (let n = int(5, 9); n > 0; n--) {
    const i = int(0, children - 1);
    const op = weighted(
      random,
      [
        ["request", 30],
        ["refresh", 8],
        ["login", 3],
        ["logout", 1],
        ["stop", 5],
        ["kill", 4],
        ["grantLate", 4],
        ["expire", 8],
        ["gap", 15],
      ] as const,
    );
    if (op === "stop") {
      if (stops++ < 1) steps.push({ op, i, ms: int(TIMING.leaseTtlMs + 100, 1_000) });
    } else if (op === "kill") {
      if (kills++ < 1) steps.push({ op, i });
    } else if (op === "grantLate") steps.push({ op, ms: int(TIMING.timeoutMs + 50, 900) });
    else if (op === "gap") steps.push({ op, ms: int(0, 60) });
    else if (op === "expire") steps.push({ op });
    else steps.push({ op, i });
  }
  return { seed, kind, skews, steps };
}

/** SIGCONT, unless the child is gone. */
function resume(child: SimChild): void {
  try {
    process.kill(child.child.pid!, "SIGCONT");
  } catch {
    // it exited
  }
}

function describeSchedule(schedule: Schedule): string {
  return [
    `seed ${schedule.seed}, ${schedule.kind}, skews (ms) ${JSON.stringify(schedule.skews)}`,
    ...schedule.steps.map((step, n) => `  ${n}: ${JSON.stringify(step)}`),
  ].join("\n");
}

/** One live child and what the parent knows of it. */
interface Slot {
  sim: SimChild;
  pending: Set<Promise<unknown>>;
  /** A token answer went to it while a command was pending. */
  grantWhileBusy: boolean;
  stopped: boolean;
  /** Logouts sent and not answered. */
  loggingOut: number;
}

async function runSchedule(schedule: Schedule): Promise<string[]> {
  const violations: string[] = [];
  const emulator = new MonzoEmulator({
    seed: schedule.seed,
    transactionsPerDay: 0,
    accessTokenLifetimeSeconds: LIFETIME_S,
  });
  const secrets = new Set<string>([emulator.client.secret]);
  const slots: Slot[] = [];
  const everyone: SimChild[] = [];
  let crashInWindow = false;
  let crashInLogout = false;
  let paused = false;
  const watch: GrantWatch = await serveWatched(emulator, (id) => {
    const slot = slots.find((s) => s.sim.id === id);
    if (slot && slot.pending.size > 0) slot.grantWhileBusy = true;
  });
  const dir = await mkdtemp(join(tmpdir(), "monzo-simproc-"));
  const path = join(dir, schedule.kind === "deno-kv" ? "kv.sqlite" : "credentials.json");
  const parent = await openStorage(schedule.kind, path);
  const read = () => parent.storage.fetch();
  let nextChild = 0;
  const options = {
    clientId: emulator.client.id,
    clientSecret: emulator.client.secret,
    redirectUrl: emulator.client.redirectUris[0],
    apiUrl: watch.url,
    authUrl: `${watch.url}/auth`,
    ...TIMING,
  };
  const spawnSlot = (i: number): Slot => {
    const sim = startSimChild(schedule.kind, path, `c${nextChild++}`, options, schedule.skews[i]);
    everyone.push(sim);
    return { sim, pending: new Set(), grantWhileBusy: false, stopped: false, loggingOut: 0 };
  };

  /** Sends a command; judges a request for a new login against what was stored before it. */
  const command = (slot: Slot, op: string): Promise<ChildReply | null> => {
    if (op === "logout") slot.loggingOut++;
    const promise = (async () => {
      const before = await read();
      let code: string | undefined;
      if (op === "login") secrets.add(code = emulator.authorize());
      const reply = await childCommand(slot.sim, { op, code });
      if (reply?.error) judge(reply, before, slot.sim.id);
      return reply;
    })();
    slot.pending.add(promise);
    void promise.finally(() => {
      if (op === "logout") slot.loggingOut--;
      slot.pending.delete(promise);
      if (slot.pending.size === 0) slot.grantWhileBusy = false;
    });
    return promise;
  };
  const errors: NonNullable<ChildReply["error"]>[] = [];
  /** The failed commands, for the failure report. */
  const outcomes: string[] = [];
  const activeSet = () => emulator.snapshot().tokens.find((t) => t.clientId === emulator.client.id);
  const judge = (reply: ChildReply, before: Credentials | null, id: string) => {
    const error = reply.error!;
    errors.push(error);
    outcomes.push(`${id} ${reply.op}: ${error.name}(${error.code})`);
    if (!error.monzo) violations.push(`${id} (${reply.op}) threw a raw ${error.name}`);
    if (!error.reauth) return;
    // A login whose code expired while it waited (the schedule moves Monzo's clock by hours).
    if (reply.op === "login" && error.code?.startsWith("bad_request.authorization_code")) return;
    const active = activeSet();
    if (active && before?.accessToken === active.accessToken) {
      violations.push(
        `${id} (${reply.op}) reported reauthorizationRequired (${error.code}) although the ` +
          "working set was stored before the command was sent",
      );
    }
  };

  try {
    const login = emulator.login();
    await parent.storage.store(storedLogin(emulator, login));
    for (let i = 0; i < schedule.skews.length; i++) slots[i] = spawnSlot(i);
    await within(30_000, "children ready", Promise.all(slots.map((s) => s.sim.ready)));

    for (const step of schedule.steps) {
      switch (step.op) {
        case "request":
        case "refresh":
        case "logout":
          void command(slots[step.i], step.op);
          break;
        case "stop": {
          const slot = slots[step.i];
          paused = true;
          slot.stopped = true;
          process.kill(slot.sim.child.pid!, "SIGSTOP");
          setTimeout(() => {
            if (!slot.stopped) return;
            slot.stopped = false;
            resume(slot.sim);
          }, step.ms);
          break;
        }
        case "kill": {
          const slot = slots[step.i];
          if ((watch.inflight.get(slot.sim.id) ?? 0) > 0 || slot.grantWhileBusy) {
            crashInWindow = true;
          }
          if (slot.loggingOut > 0) crashInLogout = true;
          slot.stopped = false;
          slot.sim.child.kill("SIGKILL");
          await slot.sim.exited;
          slots[step.i] = spawnSlot(step.i);
          await within(30_000, "a new child ready", slots[step.i].sim.ready);
          break;
        }
        case "grantLate":
          emulator.injectFault({ path: "/oauth2/token", after: true, delayMs: step.ms });
          break;
        case "expire":
          emulator.advanceTime(LIFETIME_S + 120);
          break;
        case "gap":
          await sleep(step.ms);
          break;
      }
      await sleep(5);
    }

    // Heal: resume everyone, no more faults, let every command end.
    emulator.clearFaults();
    for (const slot of slots) {
      if (slot.stopped) {
        slot.stopped = false;
        resume(slot.sim);
      }
    }
    await within(
      30_000,
      "the schedule's commands",
      Promise.all(slots.flatMap((s) => [...s.pending])),
    );
    const finals = await within(
      30_000,
      "the final requests",
      Promise.all(slots.map((slot) => command(slot, "request"))),
    );
    const closes = await within(
      30_000,
      "close()",
      Promise.all(slots.map((slot) => command(slot, "close"))),
    );
    for (const [n, reply] of closes.entries()) {
      if (!reply?.ok) {
        violations.push(
          `${slots[n].sim.id}: close() failed: ${JSON.stringify(reply?.error?.code)}`,
        );
      }
    }

    // The invariants.
    const stored = await read();
    const active = activeSet();
    const dropped = watch.dropped > 0;
    let lost = false;
    if (active) {
      if (stored?.accessToken !== active.accessToken) {
        if (crashInWindow || dropped) lost = true;
        else {
          violations.push(
            `storage holds ${
              stored?.loggedOut
                ? "a tombstone"
                : stored
                ? `a ${emulator.tokenStatus(stored.accessToken)} set`
                : "nothing"
            }, not the newest set Monzo issued`,
          );
        }
      }
    } else if (!stored?.loggedOut && !crashInLogout) {
      violations.push("no set is active (logged out) but storage holds no tombstone");
    }
    for (const [n, reply] of finals.entries()) {
      const id = slots[n].sim.id;
      if (reply?.ok) {
        if (!active) violations.push(`${id} made a request after a logout`);
        else if (!lost && reply.accessToken !== active.accessToken) {
          violations.push(`${id} holds a set that is not the newest`);
        }
      } else if (!lost && (!reply?.error?.reauth || active)) {
        violations.push(`${id}: the final request failed: ${reply?.error?.code ?? "no reply"}`);
      }
    }
    const reuses = emulator.counters.refreshReuses;
    if (reuses > 0 && !(paused || crashInWindow || dropped)) {
      violations.push(
        `${reuses} refresh token reuse(s) with no stop, kill in the window or lost answer`,
      );
    }
    for (const token of watch.tokens) secrets.add(token);
    const shown = [...errors.flatMap((e) => e.shown), ...everyone.flatMap((c) => c.logs)];
    for (const text of shown) {
      if ([...secrets].some((secret) => text.includes(secret))) {
        violations.push(`a secret was shown in: ${text.slice(0, 300)}`);
        break;
      }
    }
  } catch (error) {
    violations.push(`the schedule itself failed: ${(error as Error).stack}`);
  } finally {
    for (const child of everyone) {
      resume(child);
      child.child.kill("SIGKILL");
    }
    await Promise.all(everyone.map((c) => c.exited));
    parent.close();
    await watch.close();
    await rm(dir, { recursive: true, force: true });
  }
  if (violations.length > 0) violations.push(`(failed commands: ${outcomes.join("; ") || "none"})`);
  return violations;
}

const heavy = denoKv !== undefined;
const count = heavy
  ? envInt("SIM_PROCESS_SCHEDULES") ?? 50
  : envInt("SIM_PROCESS_SCHEDULES_LIGHT") ?? 10;

describe("login safety with real processes: SIGSTOP, SIGCONT and SIGKILL on a seeded schedule", () => {
  const kinds: [string, boolean][] = [["bun-file", true], ["deno-kv", heavy]];
  for (const [kind, runs] of kinds) {
    test(`${kind}: ${count} schedules`, { skip: runs ? false : "Deno KV needs Deno" }, async () => {
      const only = envInt("SIM_SEED");
      const seeds = only !== undefined ? [only] : Array.from({ length: count }, (_, n) => n + 1);
      const started = performance.now();
      const failures: string[] = [];
      for (const seed of seeds) {
        const schedule = makeSchedule(seed, kind);
        const violations = await runSchedule(schedule);
        if (violations.length > 0) {
          failures.push(
            `SIM_SEED=${seed} (${kind}) violated:\n  - ${violations.join("\n  - ")}\n${
              describeSchedule(schedule)
            }`,
          );
        }
      }
      process.stdout.write(
        `# processes ${kind}: ${seeds.length} schedules, ${failures.length} failing, ${
          ((performance.now() - started) / 1000).toFixed(1)
        } s wall\n`,
      );
      assert.equal(failures.length, 0, `\n${failures.join("\n\n")}`);
    });
  }
});
