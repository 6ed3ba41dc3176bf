// 4. Refresh under load.
//
// `concurrent` (run under Deno and Bun): 1,000 concurrent `balance.get` calls on one
// Authentication whose token has expired, (a) known to the client (its expiry is past) and
// (b) known only to the server (the emulator's clock moved past the expiry: every call gets
// a 401 first). The figure is the number of token requests (target: one), and the time
// against 1,000 concurrent calls with a live token, measured in the same run.
//
// `processes` (run under Deno, the orchestrator): the emulator in this process, 8 worker
// processes sharing one Deno KV file (Deno workers), then 8 sharing one BunFileStorage file
// (Bun workers), each calling `balance.get` in a loop while the emulator's clock moves past
// the token's expiry every 2 s. Counts refresh grants per expiry and refresh-token reuses.
//
//   deno run -A bench/refresh_load.ts concurrent      bun bench/refresh_load.ts concurrent
//   deno run -A --unstable-kv bench/refresh_load.ts processes
import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Authentication, MemoryStorage, Monzo, type Storage } from "../mod.ts";
import { BunFileStorage } from "../src/handlers/bun_file.ts";
import { DenoKvStorage } from "../src/handlers/deno_kv.ts";
import type { MonzoEmulator } from "../src/testing/mod.ts";
import { envNumber, median, report } from "./_stats.ts";
import { serveBenchEmulator } from "./_serve.ts";

const CALLS = envNumber("BENCH_REFRESH_CALLS", 1_000);
const ROUNDS = envNumber("BENCH_REFRESH_ROUNDS", 3);
const WORKERS = envNumber("BENCH_REFRESH_WORKERS", 8);
const DURATION_MS = envNumber("BENCH_REFRESH_DURATION_MS", 12_000);
const EXPIRE_EVERY_MS = envNumber("BENCH_REFRESH_EXPIRE_EVERY_MS", 2_000);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");

const served = await serveBenchEmulator();
const emulator = served.emulator!;
const { info } = served;
const options = {
  clientId: info.clientId,
  clientSecret: info.clientSecret,
  redirectUrl: info.redirectUrl,
  apiUrl: info.url,
};
const lifetime = emulator.login().expiresIn;

/** Moves the emulator's clock past the current token's expiry. */
const expire = () => emulator.advanceTime(lifetime + 60);

function counters(e: MonzoEmulator) {
  return {
    tokenRequests: e.counters.tokenRequests,
    grants: e.counters.grants.refresh_token,
    reuses: e.counters.refreshReuses,
  };
}

async function burst(kind: "live" | "client-expired" | "server-expired") {
  const tokens = emulator.login();
  const storage = new MemoryStorage();
  const nowS = Math.floor(Date.now() / 1000);
  const auth = new Authentication({
    ...options,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessTokenExpiry: kind === "client-expired" ? nowS - 1 : nowS + tokens.expiresIn,
  });
  auth.registerCallbackHandler(storage);
  const monzo = new Monzo(auth);
  if (kind === "server-expired") expire();
  const before = counters(emulator);
  const start = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: CALLS }, () => monzo.balance.get(info.accountId)),
  );
  const ms = performance.now() - start;
  const after = counters(emulator);
  const failed = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
  return {
    ms,
    tokenRequests: after.tokenRequests - before.tokenRequests,
    reuses: after.reuses - before.reuses,
    failed: failed.length,
    firstError: failed[0] ? String(failed[0].reason?.message ?? failed[0].reason) : undefined,
  };
}

async function concurrent(): Promise<void> {
  await burst("live"); // warm-up: connections, JIT
  const cases = ["live", "client-expired", "server-expired"] as const;
  const runs: Record<string, Awaited<ReturnType<typeof burst>>[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...cases].reverse() : cases;
    for (const kind of order) (runs[kind] ??= []).push(await burst(kind));
  }
  const live = median(runs.live.map((r) => r.ms));
  const summary = (kind: string) => {
    const list = runs[kind];
    return {
      ms: median(list.map((r) => r.ms)),
      ratio: median(list.map((r, i) => r.ms / runs.live[i].ms)),
      tokenRequests: list.map((r) => r.tokenRequests),
      reuses: list.reduce((n, r) => n + r.reuses, 0),
      failed: list.reduce((n, r) => n + r.failed, 0),
      firstError: list.find((r) => r.firstError)?.firstError,
    };
  };
  report("refresh_concurrent", {
    calls: CALLS,
    rounds: ROUNDS,
    liveMs: live,
    liveTokenRequests: runs.live.map((r) => r.tokenRequests),
    clientExpired: summary("client-expired"),
    serverExpired: summary("server-expired"),
  });
}

interface WorkerResult {
  ok: number;
  errors: Record<string, number>;
  messages: Record<string, string>;
  tokensUsed: number;
}

/** Starts a worker; `ready` when it printed "ready", `done` with its totals. */
function startWorker(kind: string, path: string, config: unknown) {
  const script = join(here, "_refresh_worker.ts");
  const [cmd, args] = kind === "deno-kv"
    ? [join(root, "node_modules/.bin/deno"), ["run", "-A", "--unstable-kv", "--no-check", script]]
    : [join(root, "node_modules/.bin/bun"), [script]];
  const child = spawn(cmd, [...args, kind, path, JSON.stringify(config)], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  let out = "";
  let err = "";
  let markReady = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout!.on("data", (chunk) => {
    out += chunk;
    if (out.includes("ready\n")) markReady();
  });
  child.stderr!.on("data", (chunk) => (err += chunk));
  const done = new Promise<WorkerResult>((resolve, reject) => {
    child.on("close", (code) => {
      const last = out.trim().split("\n").at(-1) ?? "";
      if (code === 0 && last.startsWith("{")) resolve(JSON.parse(last));
      else reject(new Error(`worker exited with ${code}: ${out}${err}`));
    });
  });
  return { child, ready: Promise.race([ready, done.then(() => {})]), done };
}

async function openStore(kind: string, path: string): Promise<{ storage: Storage; close(): void }> {
  if (kind !== "deno-kv") return { storage: new BunFileStorage(path), close: () => {} };
  const { Deno } = globalThis as unknown as {
    Deno: {
      openKv(
        path: string,
      ): Promise<ConstructorParameters<typeof DenoKvStorage>[0] & { close(): void }>;
    };
  };
  const kv = await Deno.openKv(path);
  return { storage: new DenoKvStorage(kv), close: () => kv.close() };
}

async function processes(kind: "deno-kv" | "bun-file") {
  const dir = join(here, ".tmp", `refresh-${kind}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const path = join(dir, kind === "deno-kv" ? "kv.sqlite" : "credentials.json");
  const tokens = emulator.login();
  const store = await openStore(kind, path);
  await store.storage.store({
    accessToken: tokens.accessToken,
    clientId: info.clientId,
    clientSecret: info.clientSecret,
    expiry: Math.floor(Date.now() / 1000) + tokens.expiresIn, // the clients' clock
    refreshToken: tokens.refreshToken,
  });
  const config = { options, accountId: info.accountId, durationMs: DURATION_MS };
  const workers = Array.from({ length: WORKERS }, () => startWorker(kind, path, config));
  await Promise.all(workers.map((w) => w.ready));
  const before = counters(emulator);
  for (const w of workers) w.child.stdin!.write("go\n");
  // Expire the token every EXPIRE_EVERY_MS, leaving the last interval for the last refresh.
  let expiries = 0;
  const start = Date.now();
  for (let at = EXPIRE_EVERY_MS; at <= DURATION_MS - EXPIRE_EVERY_MS; at += EXPIRE_EVERY_MS) {
    await new Promise((resolve) => setTimeout(resolve, start + at - Date.now()));
    expire();
    expiries++;
  }
  const results = await Promise.all(workers.map((w) => w.done));
  const after = counters(emulator);
  // A newcomer loads what was stored and works without another grant.
  const newcomer = new Monzo(await Authentication.fromStorage(store.storage, options));
  await newcomer.balance.get(info.accountId);
  const afterNewcomer = counters(emulator);
  store.close();
  rmSync(dir, { recursive: true, force: true });
  const errors: Record<string, number> = {};
  const messages: Record<string, string> = {};
  for (const r of results) {
    for (const [k, n] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + n;
    Object.assign(messages, r.messages);
  }
  const grants = after.grants - before.grants;
  return {
    store: kind,
    workers: WORKERS,
    workerRuntime: kind === "deno-kv" ? "deno" : "bun",
    seconds: DURATION_MS / 1000,
    expiries,
    grants,
    grantsPerExpiry: grants / expiries,
    tokenRequests: after.tokenRequests - before.tokenRequests,
    reuses: after.reuses - before.reuses,
    calls: results.reduce((n, r) => n + r.ok, 0),
    failedCalls: Object.values(errors).reduce((a, b) => a + b, 0),
    errors,
    messages,
    newcomerGrants: afterNewcomer.grants - after.grants,
  };
}

try {
  const mode = process.argv[2] ?? "concurrent";
  if (mode === "concurrent") await concurrent();
  else if (mode === "processes") {
    for (
      const kind of (process.argv[3] ? [process.argv[3]] : ["deno-kv", "bun-file"]) as (
        | "deno-kv"
        | "bun-file"
      )[]
    ) {
      report("refresh_processes", await processes(kind));
    }
  } else throw new Error(`unknown mode ${mode}`);
} finally {
  await served.close();
}
