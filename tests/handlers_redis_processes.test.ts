// Eight server processes on two runtimes (four under Bun with Bun's RedisClient, four under
// Node with node-redis) share one login through RedisStorage on a real redis-server, against
// the emulator served on loopback. Across several expiries: one grant per expiry, no
// refresh-token reuse, no failed request. Then Redis is killed mid-run: requests that need
// the store fail with MonzoStorageError, no token is requested without the lease, and once
// Redis is back (its append-only file on) the login is still there and one grant renews it.
// Runs under Node only (it starts Bun and Node children itself).

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { describe, test } from "node:test";
import { RedisStorage } from "../src/handlers/redis.ts";
import { runtime, sleep, startRecordingEmulator, within } from "./_reliability.ts";
import { root } from "./fixtures/handlers_common.ts";
import {
  connectRedis,
  type RedisClientKind,
  redisMissing,
  startRedis,
} from "./fixtures/redis_server.ts";

const PER_RUNTIME = 4;
const EXPIRIES = 3;

/** The phase of the run, as fail lines are tagged with it. */
let phase = "up";

/** One child process and what it said. */
interface Child {
  name: string;
  process: ChildProcess;
  oks: number;
  /** `fail <name> <code>` lines, with the phase they arrived in. */
  fails: { line: string; phase: string }[];
  ready: Promise<void>;
  done: Promise<void>;
  /** Its stderr so far. */
  output(): string;
}

function startChild(kind: RedisClientKind, index: number, url: string, options: string): Child {
  const script = join(root, "tests", "fixtures", "redis_child.ts");
  const [command, args] = kind === "bun"
    ? [join(root, "node_modules", ".bin", "bun"), [script]]
    : [process.execPath, ["--import", "tsx", script]];
  const child = spawn(command, [...args, kind, url, options], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  let markReady = () => {};
  const state: Child = {
    name: `${kind}#${index}`,
    process: child,
    oks: 0,
    fails: [],
    output: () => output,
    ready: new Promise((resolve) => (markReady = resolve)),
    done: new Promise((resolve, reject) => {
      child.on("close", (code) => {
        if (code === 0) resolve();
        else reject(new Error(`${kind}#${index} exited with ${code}: ${output.slice(-2000)}`));
      });
    }),
  };
  let pending = "";
  child.stdout!.on("data", (chunk) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      if (line === "ready") markReady();
      else if (line === "ok") state.oks++;
      else if (line.startsWith("fail ")) state.fails.push({ line, phase });
    }
  });
  child.stderr!.on("data", (chunk) => (output += chunk));
  state.done.catch(() => {}); // awaited at the end; killed children must not be unhandled
  return state;
}

/** Set when the test ends, so that no wait outlives it. */
let stopped = false;

/** Resolves once every child has answered `count` more requests with ok. */
async function progress(children: Child[], count: number): Promise<void> {
  const marks = children.map((child) => child.oks);
  while (!stopped && children.some((child, i) => child.oks < marks[i] + count)) await sleep(10);
}

/** What each child has said so far, for a failure message. */
function status(children: Child[]): string {
  return children.map((child) =>
    `${child.name}: ${child.oks} ok, ${child.fails.length} failed` +
    (child.fails.length ? ` (last: ${child.fails.at(-1)!.line})` : "") +
    (child.process.exitCode !== null ? `, exited ${child.process.exitCode}` : "") +
    (child.output() ? `, stderr: ${child.output().slice(-300)}` : "")
  ).join("\n");
}

/** `within`, with the children's state in the message when it times out. */
function watched<T>(
  children: Child[],
  ms: number,
  label: string,
  promise: Promise<T>,
): Promise<T> {
  return within(ms, label, promise).catch((error) => {
    throw new Error(`${(error as Error).message}\n${status(children)}`);
  });
}

describe("processes on Bun and Node share one login through Redis", {
  skip: redisMissing ?? (runtime !== "node" && "runs under Node only (it starts Bun and Node)"),
}, () => {
  test("one grant per expiry, no reuse, no failure; Redis restarted without losing the login", async () => {
    const served = await startRecordingEmulator();
    const server = await startRedis();
    const admin = await connectRedis("node-redis", server.url);
    const children: Child[] = [];
    try {
      const { emulator } = served;
      const storage = new RedisStorage(admin.redis);
      const tokens = served.login();
      await storage.store({
        accessToken: tokens.accessToken,
        clientId: emulator.client.id,
        clientSecret: emulator.client.secret,
        expiry: tokens.expiry,
        refreshToken: tokens.refreshToken,
        generation: 1,
      });
      const options = JSON.stringify(served.options({ storeTimeoutMs: 2_000 }));
      for (const kind of ["bun", "node-redis"] as const) {
        for (let i = 0; i < PER_RUNTIME; i++) {
          children.push(startChild(kind, i, server.url, options));
        }
      }
      await watched(children, 60_000, "children ready", Promise.all(children.map((c) => c.ready)));
      await watched(children, 30_000, "warm-up", progress(children, 3));

      for (let expiry = 1; expiry <= EXPIRIES; expiry++) {
        const grants = emulator.counters.grants.refresh_token;
        const generation = (await storage.fetch())!.generation!;
        emulator.advanceTime(tokens.expiresIn + 60);
        await watched(children, 30_000, `expiry ${expiry}`, progress(children, 5));
        assert.equal(emulator.counters.grants.refresh_token, grants + 1, `expiry ${expiry}`);
        assert.equal(emulator.counters.refreshReuses, 0);
        assert.equal((await storage.fetch())!.generation, generation + 1);
      }

      // Redis dies; the token expires meanwhile. Nothing may be granted without the lease.
      const grants = emulator.counters.grants.refresh_token;
      const beforeKill = (await storage.fetch())!;
      phase = "down";
      await server.kill();
      emulator.advanceTime(tokens.expiresIn + 60);
      const failsAt = children.map((child) => child.fails.length);
      await watched(
        children,
        30_000,
        "storage errors while Redis is down",
        (async () => {
          while (!stopped && children.some((child, i) => child.fails.length === failsAt[i])) {
            await sleep(10);
          }
        })(),
      );
      assert.equal(emulator.counters.grants.refresh_token, grants, "no grant without the lease");
      phase = "recovering";
      await server.restart();
      await watched(children, 30_000, "recovery", progress(children, 5));
      phase = "up";
      assert.equal(emulator.counters.grants.refresh_token, grants + 1);
      assert.equal(emulator.counters.refreshReuses, 0);
      const afterRestart = (await storage.fetch().catch(async () => {
        await sleep(500); // the admin client reconnects too
        return await storage.fetch();
      }))!;
      assert.equal(afterRestart.generation, beforeKill.generation! + 1, "no login lost");
      assert.equal(emulator.tokenStatus(afterRestart.accessToken), "active");

      await watched(children, 30_000, "after the restart", progress(children, 3));
      for (const child of children) child.process.stdin!.write("stop\n");
      await watched(children, 30_000, "children done", Promise.all(children.map((c) => c.done)));

      const fails = children.flatMap((child) =>
        child.fails.map((fail) => ({ ...fail, child: child.name }))
      );
      assert.deepEqual(
        fails.filter((fail) => fail.phase === "up"),
        [],
        "no failed request while Redis is up",
      );
      for (const fail of fails) {
        assert.match(fail.line, /^fail MonzoStorageError storage\./, fail.child);
      }
      assert.equal(emulator.counters.grants.refresh_token, EXPIRIES + 1);
      assert.equal(emulator.counters.refreshReuses, 0);
      console.log(
        `redis shared login: ${children.length} processes (bun ${PER_RUNTIME}, node ${PER_RUNTIME}), ` +
          `${EXPIRIES} expiries + 1 during a Redis restart: refresh grants ${emulator.counters.grants.refresh_token}, ` +
          `reuses ${emulator.counters.refreshReuses}, requests ok ${
            children.reduce((n, c) => n + c.oks, 0)
          }, ` +
          `failed while Redis was up ${fails.filter((f) => f.phase === "up").length}, ` +
          `MonzoStorageError while down or reconnecting ${fails.length}`,
      );
    } finally {
      stopped = true;
      for (const child of children) {
        if (child.process.exitCode === null) child.process.kill("SIGKILL");
      }
      await admin.close();
      await server.stop();
      await served.close();
    }
  });
});
