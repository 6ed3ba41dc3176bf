// The login-safety simulation (issue 8): N instances of Authentication, each with its own
// storage object over one shared backend (one MemoryStorage, one BunFileStorage file, or one
// Deno KV file), run a seeded random schedule of requests, refreshes, logins and logouts
// while the schedule crashes and pauses instances, fails, hangs and slows their stores,
// delays or loses token answers after Monzo applied them, skews their clocks and moves the
// emulator's clock. After each schedule the invariants of the login safety model are
// checked (see `checkInvariants`). A schedule is a pure function of its seed; only the
// interleaving of real timers and I/O varies between runs.
//
// Crashes and pauses are simulated per instance: every handler call and every fetch of the
// instance goes through its `Proc`, which blocks them during a pause and, after a crash,
// never lets them settle (a killed process does nothing more; what it had already sent still
// reaches the store or Monzo). A crashed instance is replaced by a fresh one from
// `Authentication.fromStorage`.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { format, inspect } from "node:util";
import {
  Authentication,
  type AuthenticationOptions,
  type Credentials,
  MemoryStorage,
  MonzoAuthenticationError,
  MonzoError,
  MonzoNetworkError,
  MonzoStorageError,
  type Storage,
  type StorageLease,
} from "../mod.ts";
import { BunFileStorage } from "../src/handlers/bun_file.ts";
import { type DenoKvLike, DenoKvStorage } from "../src/handlers/deno_kv.ts";
import { MonzoEmulator } from "../src/testing/mod.ts";
import { storedLogin } from "./_emulator.ts";
import { isDropped } from "../src/testing/faults.ts";
import { serveHandler } from "../src/testing/serve.ts";
import { bun, deno, seeded, sleep, weighted, within } from "./_reliability.ts";

/** The shared stores the simulation runs over (`redis` and `durable-object`: see `otherBackends`). */
export type Backend = "memory" | "file" | "kv" | "redis" | "durable-object";

/** The timeouts of the simulated instances: small, so that schedules run fast. */
export interface SimTiming {
  leaseTtlMs: number;
  storeTimeoutMs: number;
  grantTimeoutMs: number;
  handoverWaitMs: number;
  timeoutMs: number;
}

/** Memory: the tightest deadlines. */
const FAST: SimTiming = {
  leaseTtlMs: 300,
  storeTimeoutMs: 100,
  grantTimeoutMs: 2_000,
  handoverWaitMs: 1_000,
  timeoutMs: 150,
};

/** Stores that flush to disk (fsync, SQLite) or cross a network: room for a busy machine. */
const DURABLE: SimTiming = {
  leaseTtlMs: 400,
  storeTimeoutMs: 500,
  grantTimeoutMs: 2_000,
  handoverWaitMs: 1_200,
  timeoutMs: 400,
};

/** The deadlines the instances of a schedule over `backend` use. */
export function simTiming(backend: Backend): SimTiming {
  return backend === "memory" ? FAST : DURABLE;
}

/** The emulator's access token lifetime in the simulation. */
const LIFETIME_S = 3_600;

/** One step of a schedule. `i` is an instance slot (0 … instances - 1). */
export type Step =
  | { op: "request" | "refresh" | "login" | "logout"; i: number }
  | { op: "crash"; i: number }
  | { op: "pause"; i: number; ms: number }
  | { op: "storeFail"; i: number; count: number; sync: boolean }
  | { op: "storeHang"; i: number }
  | { op: "storeSlow"; i: number; ms: number }
  | { op: "grantLate"; ms: number }
  | { op: "grantLost" }
  | { op: "grantSlow"; ms: number }
  | { op: "grantError" }
  | { op: "expire" }
  | { op: "gap"; ms: number }
  | { op: "settle" };

/** A seeded schedule: how many instances, their clock skews, and the steps. */
export interface Schedule {
  seed: number;
  backend: Backend;
  /** Clock skew of each slot in milliseconds (a restarted instance keeps its slot's). */
  skews: number[];
  steps: Step[];
}

/** Builds the schedule of `seed`: the same on every run and runtime. */
export function makeSchedule(seed: number, backend: Backend): Schedule {
  const random = seeded(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const timing = simTiming(backend);
  const instances = int(2, 8);
  const skews = Array.from(
    { length: instances },
    () => weighted(random, [[0, 6], [int(-300, 300) * 1000, 3], [int(-20, 20) * 1000, 2]]),
  );
  const steps: Step[] = [];
  const length = int(6, 18);
  for (let n = 0; n < length; n++) {
    const i = int(0, instances - 1);
    const kind = weighted(
      random,
      [
        ["request", 30],
        ["refresh", 9],
        ["expire", 9],
        ["gap", 14],
        ["settle", 4],
        ["login", 4],
        ["logout", 2],
        ["crash", 4],
        ["pause", 2],
        ["storeFail", 5],
        ["storeHang", 2],
        ["storeSlow", 3],
        ["grantLate", 3],
        ["grantLost", 1],
        ["grantSlow", 2],
        ["grantError", 2],
      ] as const,
    );
    switch (kind) {
      case "request":
      case "refresh":
      case "login":
      case "logout":
      case "crash":
        steps.push({ op: kind, i });
        break;
      case "pause":
        steps.push({ op: "pause", i, ms: int(timing.leaseTtlMs + 100, 900) });
        break;
      case "storeFail":
        steps.push({ op: "storeFail", i, count: int(1, 3), sync: random() < 0.3 });
        break;
      case "storeHang":
        steps.push({ op: "storeHang", i });
        break;
      case "storeSlow":
        steps.push({ op: "storeSlow", i, ms: int(20, 250) });
        break;
      case "grantLate":
        steps.push({ op: "grantLate", ms: int(timing.timeoutMs + 50, 900) });
        break;
      case "grantSlow":
        steps.push({ op: "grantSlow", ms: int(timing.timeoutMs + 50, 700) });
        break;
      case "gap":
        steps.push({ op: "gap", ms: int(0, 25) });
        break;
      default:
        steps.push({ op: kind });
    }
  }
  return { seed, backend, skews, steps };
}

/** The schedule as text, one step a line, for a failure report. */
export function describeSchedule(schedule: Schedule): string {
  const head = `seed ${schedule.seed}, backend ${schedule.backend}, ${schedule.skews.length} ` +
    `instances, skews (ms) ${JSON.stringify(schedule.skews)}`;
  return [head, ...schedule.steps.map((step, n) => `  ${n}: ${JSON.stringify(step)}`)].join("\n");
}

// ---------------------------------------------------------------------------------------
// The world: one loopback server for every schedule, each schedule's emulator behind its own
// path prefix (`/s<id>/…`), so that late requests of a finished schedule reach only its own
// emulator.

interface Served {
  emulator: MonzoEmulator;
  inflight: number;
  /** Token answers lost by an `after` drop (the grant may have been applied). */
  droppedGrants: number;
}

/** The served emulators of the schedules. Start one per test file. */
export class SimWorld {
  readonly url: string;
  readonly #served = new Map<number, Served>();
  readonly #close: () => Promise<void>;
  #next = 1;

  private constructor(url: string, close: () => Promise<void>, served: Map<number, Served>) {
    this.url = url;
    this.#close = close;
    this.#served = served;
  }

  /** Serves the dispatcher on 127.0.0.1. */
  static async start(): Promise<SimWorld> {
    const served = new Map<number, Served>();
    const server = await serveHandler(async (request) => {
      const url = new URL(request.url);
      const match = /^\/s(\d+)(\/.*)$/.exec(url.pathname);
      const entry = match ? served.get(Number(match[1])) : undefined;
      if (!match || !entry) return new Response("unknown schedule", { status: 404 });
      entry.inflight++;
      try {
        const body = request.method === "GET" || request.method === "HEAD"
          ? undefined
          : await request.arrayBuffer();
        const forwarded = new Request(`${url.origin}${match[2]}${url.search}`, {
          method: request.method,
          headers: request.headers,
          body,
          signal: request.signal,
        });
        const response = await entry.emulator.fetch(forwarded);
        if (isDropped(response) && match[2] === "/oauth2/token") entry.droppedGrants++;
        return response;
      } finally {
        entry.inflight--;
      }
    });
    return new SimWorld(server.url, server.close, served);
  }

  /** A fresh emulator behind a fresh prefix. */
  add(seed: number): { id: number; served: Served; apiUrl: string } {
    const id = this.#next++;
    const served: Served = {
      emulator: new MonzoEmulator({
        seed,
        transactionsPerDay: 0,
        accessTokenLifetimeSeconds: LIFETIME_S,
        webhookRetryDelayMs: 0,
      }),
      inflight: 0,
      droppedGrants: 0,
    };
    this.#served.set(id, served);
    return { id, served, apiUrl: `${this.url}/s${id}` };
  }

  /** Forgets a schedule's emulator (its late requests then get 404). */
  remove(id: number): void {
    this.#served.delete(id);
  }

  close(): Promise<void> {
    return this.#close();
  }
}

// ---------------------------------------------------------------------------------------
// Backends: one shared store, one storage object per instance.

/** Shared stores that other test files provide: a fresh store per schedule. */
export const otherBackends: Map<Backend, () => Promise<SharedStore>> = new Map();

/** One store shared by a schedule's instances. */
export interface SharedStore {
  /** A new storage object for one instance. */
  open(): Promise<Storage>;
  /** What the store holds now, read through a storage object of its own. */
  read(): Promise<Credentials | null>;
  close(): Promise<void>;
}

interface DenoKvApi {
  openKv(path?: string): Promise<DenoKvLike & { close(): void }>;
}

/** The Deno namespace with `openKv`, under Deno. */
export const denoKv: DenoKvApi | undefined = (globalThis as { Deno?: DenoKvApi }).Deno;

async function openShared(backend: Backend): Promise<SharedStore> {
  const other = otherBackends.get(backend);
  if (other) return await other();
  if (backend === "memory") {
    const shared = new MemoryStorage();
    return {
      open: () => Promise.resolve(shared),
      read: () => shared.fetch(),
      close: () => Promise.resolve(),
    };
  }
  const dir = await mkdtemp(join(tmpdir(), "monzo-sim-"));
  if (backend === "file") {
    const path = join(dir, "credentials.json");
    const reader = new BunFileStorage(path);
    return {
      open: () => Promise.resolve(new BunFileStorage(path)),
      read: () => reader.fetch(),
      close: () => rm(dir, { recursive: true, force: true }),
    };
  }
  if (!denoKv) throw new Error("the kv backend needs Deno");
  const path = join(dir, "kv.sqlite");
  const kvs: { close(): void }[] = [];
  const openKv = async () => {
    const kv = await denoKv.openKv(path);
    kvs.push(kv);
    return new DenoKvStorage(kv);
  };
  const reader = await openKv();
  return {
    open: openKv,
    read: () => reader.fetch(),
    close: async () => {
      for (const kv of kvs) {
        try {
          kv.close();
        } catch {
          // already closed
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------
// A simulated process: one Authentication and the gate its I/O goes through.

const DOOMED = "simulated process ended";

/** One instance and its faults. */
export class Proc {
  readonly id: number;
  readonly slot: number;
  auth!: Authentication;
  crashed = false;
  /** Operations started on it and not settled. */
  readonly ops = new Set<Promise<unknown>>();
  /** Token requests sent and not answered. */
  tokenRequests = 0;
  /** Logouts started and not settled. */
  loggingOut = 0;
  /** A logout of it failed to store its tombstone, which it still holds to retry. */
  tombstonePending = false;
  /** Access tokens it received whose set no store has written yet. */
  readonly unstored = new Set<string>();
  /** Handler failures, hangs and slow writes waiting for its next writes. */
  readonly faults: ("fail" | "throw" | "hang" | number)[] = [];
  #pause: Promise<void> | null = null;
  #doom: Promise<never>;
  #kill!: (error: Error) => void;

  constructor(id: number, slot: number) {
    this.id = id;
    this.slot = slot;
    this.#doom = new Promise<never>((_, reject) => (this.#kill = reject));
    this.#doom.catch(() => {});
  }

  /** Waits out a pause; after a crash, never settles (until `kill`). */
  gate(): Promise<void> {
    if (this.crashed) return this.#doom;
    return this.#pause ?? Promise.resolve();
  }

  /** Resolves once no pause holds the instance. */
  async resumed(): Promise<void> {
    while (this.#pause) await this.#pause;
  }

  /** Blocks the instance's I/O for `ms`. */
  pause(ms: number): void {
    const previous = this.#pause ?? Promise.resolve();
    const until = previous.then(() => sleep(ms));
    this.#pause = until;
    void until.then(() => {
      if (this.#pause === until) this.#pause = null;
    });
  }

  /** The process dies: nothing it starts from now on settles. */
  crash(): void {
    this.crashed = true;
  }

  /** End of the schedule: the dead instance's pending calls fail, so it can be closed. */
  kill(): void {
    this.crashed = true;
    this.#kill(new Error(DOOMED));
  }
}

/** A storage object that breaks a rule (see {@link Sabotage}). */
function broken(inner: Storage, sabotage: "no-lease" | "blind-write"): Storage {
  const storage = {
    store: (credentials: Credentials) => inner.store(credentials),
    fetch: () => inner.fetch(),
  } as Storage;
  if (inner.storeIf) {
    // Blind writes on a slow disk: each lands late, whatever is stored by then.
    let writes = 0;
    storage.storeIf = sabotage === "blind-write"
      ? async (credentials) => {
        await sleep([0, 150, 40, 250][writes++ % 4]);
        await inner.store(credentials);
        return true;
      }
      : (credentials, expected) => inner.storeIf!(credentials, expected);
  }
  if (inner.acquireLease && sabotage !== "no-lease") {
    storage.acquireLease = (ttlMs) => inner.acquireLease!(ttlMs);
  }
  return storage;
}

/** Wraps one instance's storage object: its calls go through the instance's gate and faults. */
function wrapStorage(inner: Storage, proc: Proc, sim: ScheduleRun): Storage {
  const call = async <T>(run: () => Promise<T>): Promise<T> => {
    await proc.gate();
    const result = await run();
    await proc.gate();
    return result;
  };
  const write = (credentials: Credentials, run: () => Promise<boolean>): Promise<boolean> => {
    const fault = proc.crashed ? undefined : proc.faults.shift();
    if (fault === "throw") throw new Error("injected synchronous store failure");
    return call(async () => {
      if (fault === "fail") throw new Error("injected store failure");
      if (fault === "hang") return await new Promise<never>(() => {});
      if (typeof fault === "number") await sleep(fault);
      const wrote = await run();
      if (wrote) sim.noteStored(credentials);
      if (wrote && credentials.loggedOut) proc.tombstonePending = false;
      sim.log(
        proc,
        `${wrote ? "stored" : "refused to store"} g${credentials.generation} ${
          credentials.loggedOut ? "tombstone" : `refresh ${sim.name(credentials.refreshToken)}`
        }`,
      );
      return wrote;
    });
  };
  const storage: Storage = {
    store: (credentials: Credentials) =>
      write(credentials, async () => {
        await inner.store(credentials);
        return true;
      }).then(() => {}),
    fetch: () => call(() => inner.fetch()),
  } as Storage;
  if (inner.storeIf) {
    storage.storeIf = (credentials, expected) =>
      write(credentials, () => inner.storeIf!(credentials, expected));
  }
  if (inner.clear) storage.clear = () => call(() => inner.clear!());
  if (inner.acquireLease) {
    storage.acquireLease = (ttlMs) =>
      call(async () => {
        const lease = await inner.acquireLease!(ttlMs);
        if (!lease) return null;
        sim.log(proc, "took the lease");
        const wrapped: StorageLease = {
          tookOver: lease.tookOver,
          release: () => call(() => (sim.log(proc, "released the lease"), lease.release())),
        };
        if (lease.renew) {
          // A renewal that fails or takes most of the lease's life lets another instance take
          // the lease over: the store paused the holder as surely as SIGSTOP would.
          wrapped.renew = (ms) =>
            call(async () => {
              const started = performance.now();
              const renewed = await lease.renew!(ms);
              if (!renewed || performance.now() - started > (ms * 2) / 3) {
                sim.leaseSlipped = true;
                sim.log(proc, `renewal ${renewed ? "late" : "refused"}`);
              }
              return renewed;
            });
        }
        return wrapped;
      });
  }
  return storage;
}

/** The instance's fetch: through its gate, recording the tokens it receives. */
function wrapFetch(proc: Proc, sim: ScheduleRun): typeof fetch {
  return (input, init) => {
    if (proc.crashed) return proc.gate() as Promise<never>;
    const url = input instanceof Request ? input.url : String(input);
    const isToken = url.endsWith("/oauth2/token");
    if (isToken) {
      proc.tokenRequests++;
      const body = init?.body;
      if (typeof body === "string") {
        for (const [name, value] of new URLSearchParams(body)) {
          if (name === "refresh_token" || name === "code") sim.secrets.add(value);
          if (name === "refresh_token") sim.log(proc, `grant with refresh ${sim.name(value)}`);
          if (name === "code") sim.log(proc, "grant with a code");
        }
      }
    }
    return globalThis.fetch(input, init).then(async (response) => {
      const tokens = isToken ? await readTokens(response) : undefined;
      if (isToken && response.ok && !tokens) sim.lostAnswers++; // dropped mid-body
      await proc.gate();
      if (isToken) {
        proc.tokenRequests--;
        if (tokens) sim.noteReceived(tokens, proc);
        sim.log(
          proc,
          `token answer ${response.status}${
            tokens ? `: access ${sim.name(tokens.access)}, refresh ${sim.name(tokens.refresh)}` : ""
          }`,
        );
      }
      return response;
    }, async (error) => {
      await proc.gate();
      if (isToken) proc.tokenRequests--;
      throw error;
    });
  };
}

async function readTokens(
  response: Response,
): Promise<{ access: string; refresh?: string } | undefined> {
  try {
    const body = await response.clone().json() as {
      access_token?: unknown;
      refresh_token?: unknown;
    };
    if (typeof body.access_token !== "string") return undefined;
    return {
      access: body.access_token,
      refresh: typeof body.refresh_token === "string" ? body.refresh_token : undefined,
    };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Running one schedule.

/** What one schedule found. */
export interface ScheduleResult {
  seed: number;
  backend: Backend;
  /** Instances started (slots plus restarts after crashes). */
  instances: number;
  violations: string[];
  /** Allowed events, counted for the report. */
  notes: string[];
  /** A failing schedule's log of leases, grants and stores (tokens named t1, t2, …). */
  events: string[];
  ms: number;
}

/** Everything a schedule knows while it runs. */
class ScheduleRun {
  readonly secrets = new Set<string>();
  /** Access token → the instance that received it while alive (`null`: all of them). */
  readonly received = new Map<string, Proc | null>();
  /** Access token → when a store first wrote its set. */
  /** The access token of the set written last ("" for a tombstone). */
  lastStored = "";
  readonly violations: string[] = [];
  readonly notes: string[] = [];
  readonly errors: unknown[] = [];
  /** What the instances did with the lease and the token endpoint, for a failure report. */
  readonly events: string[] = [];
  readonly #start = performance.now();
  /** Token → a short name (`t3`), so that the event log shows no secret. */
  readonly #names = new Map<string, string>();

  /** Logs an event of `proc`. */
  log(proc: Proc, event: string): void {
    if (this.events.length < 400) {
      this.events.push(`${(performance.now() - this.#start).toFixed(0)}ms i${proc.id} ${event}`);
    }
  }

  /** A short stand-in for a token. */
  name(token: string | undefined): string {
    if (!token) return "-";
    let name = this.#names.get(token);
    if (!name) this.#names.set(token, name = `t${this.#names.size + 1}`);
    return name;
  }
  procs: Proc[] = [];
  crashInWindow = false;
  /** An instance died during its logout (Monzo may have revoked before the tombstone). */
  crashInLogout = false;
  /** Token answers that arrived broken (an `after` drop: the grant may have been applied). */
  lostAnswers = 0;
  paused = false;
  stalled = false;
  /** A lease renewal failed or came too late (a slow, locked store). */
  leaseSlipped = false;

  noteReceived(tokens: { access: string; refresh?: string }, proc: Proc): void {
    this.secrets.add(tokens.access);
    if (tokens.refresh) this.secrets.add(tokens.refresh);
    if (proc.crashed) return;
    this.received.set(tokens.access, proc);
    proc.unstored.add(tokens.access);
  }

  noteStored(credentials: Credentials): void {
    this.lastStored = credentials.accessToken; // "" for a tombstone
    if (!credentials.accessToken) return;
    for (const proc of this.procs) proc.unstored.delete(credentials.accessToken);
  }
}

/** Console lines written while the simulation runs (checked for secrets). */
const logLines: string[] = [];
const CONSOLE = ["log", "info", "warn", "error", "debug", "trace"] as const;

/** Captures console output until the returned function is called. */
export function captureConsole(): () => void {
  const saved = CONSOLE.map((name) => console[name]);
  for (const name of CONSOLE) {
    console[name] = (...args: unknown[]) => {
      if (logLines.length < 10_000) logLines.push(format(...args));
    };
  }
  return () => CONSOLE.forEach((name, n) => (console[name] = saved[n]));
}

/** Every way a value ends up printed. */
export function renderings(value: unknown): string[] {
  const out = [String(value), safeJson(value), inspect(value, { depth: 8, showHidden: true })];
  if (deno) out.push(deno.inspect(value, { depth: 8, showHidden: true }));
  if (bun) out.push(bun.inspect(value));
  if (value instanceof Error) {
    out.push(value.message, value.stack ?? "");
    if (value.cause !== undefined) out.push(...renderings(value.cause));
  }
  return out;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch (error) {
    return `unserialisable: ${(error as Error).message}`;
  }
}

/** A short name for an error, for the notes. */
function errorName(error: unknown): string {
  if (error instanceof MonzoError) return `${error.name}(${error.code})`;
  return error instanceof Error ? `raw ${error.name}: ${error.message}` : `raw ${String(error)}`;
}

/** Runs one schedule in `world` and checks the invariants. */
/**
 * Rules broken on purpose, to prove that the invariant checks catch them: `no-lease` hides
 * the lease (every instance refreshes on its own), `blind-write` makes the conditional write
 * ignore the generation, `leak` logs a token.
 */
export type Sabotage = "no-lease" | "blind-write" | "leak";

export async function runSchedule(
  world: SimWorld,
  schedule: Schedule,
  sabotage?: Sabotage,
): Promise<ScheduleResult> {
  const started = performance.now();
  const sim = new ScheduleRun();
  const timing = simTiming(schedule.backend);
  const { id, served, apiUrl } = world.add(schedule.seed);
  const { emulator } = served;
  sim.secrets.add(emulator.client.secret);
  const shared = await openShared(schedule.backend);
  let nextId = 0;

  // Event-loop stalls longer than a third of the lease are pauses too (the host stopped us).
  let lastTick = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    if (now - lastTick > timing.leaseTtlMs / 3 + 20) sim.stalled = true;
    lastTick = now;
  }, 10);

  const options = (proc: Proc, slot: number): AuthenticationOptions => ({
    clientId: emulator.client.id,
    clientSecret: emulator.client.secret,
    redirectUrl: emulator.client.redirectUris[0],
    apiUrl,
    authUrl: `${apiUrl}/auth`,
    maxRetries: 1,
    retryDelayMs: 1,
    now: () => emulator.now() + schedule.skews[slot],
    fetch: wrapFetch(proc, sim),
    ...timing,
  });

  const start = async (slot: number): Promise<Proc> => {
    const proc = new Proc(nextId++, slot);
    sim.procs.push(proc);
    let inner = await shared.open();
    if (sabotage === "no-lease" || sabotage === "blind-write") inner = broken(inner, sabotage);
    const storage = wrapStorage(inner, proc, sim);
    // A restarting process tries again when its first read misses the deadline (busy disk).
    for (let attempt = 1;; attempt++) {
      try {
        proc.auth = await Authentication.fromStorage(storage, options(proc, slot));
        return proc;
      } catch (error) {
        if (attempt === 3 || !(error instanceof MonzoStorageError)) throw error;
      }
    }
  };

  /** Starts an operation on the instance in `slot`, judged when it settles. */
  const launch = (slot: number, op: "request" | "refresh" | "login" | "logout"): void => {
    const proc = slots[slot];
    const storedAtStart = sim.lastStored;
    const run = async () => {
      switch (op) {
        case "request":
          return await proc.auth.request("GET", "/ping/whoami");
        case "refresh":
          return await proc.auth.refreshAccessToken();
        case "logout":
          return await proc.auth.logout();
        case "login": {
          const code = emulator.authorize();
          sim.secrets.add(code);
          return await proc.auth.authenticate(code, { state: "sim", expectedState: "sim" });
        }
      }
    };
    if (op === "logout") proc.loggingOut++;
    const promise = (async () => {
      try {
        await run();
      } catch (error) {
        if (proc.crashed) return;
        if (op === "logout" && error instanceof MonzoStorageError) proc.tombstonePending = true;
        judgeError(error, storedAtStart, op, proc);
      } finally {
        if (op === "logout") proc.loggingOut--;
      }
    })();
    proc.ops.add(promise);
    void promise.finally(() => proc.ops.delete(promise));
  };

  const activeSet = () => emulator.snapshot().tokens.find((t) => t.clientId === emulator.client.id);

  const judgeError = (error: unknown, storedAtStart: string, op: string, proc: Proc) => {
    sim.errors.push(error);
    sim.notes.push(`${op}: ${errorName(error)}`);
    if (!(error instanceof MonzoError)) {
      sim.violations.push(`instance ${proc.id} (${op}) threw a raw error: ${String(error)}`);
      return;
    }
    if (!(error instanceof MonzoAuthenticationError && error.reauthorizationRequired)) return;
    // A login whose code expired while it waited (the schedule moves Monzo's clock by hours)
    // failed as a login attempt; the login in place is not in question.
    if (op === "login" && error.code.startsWith("bad_request.authorization_code")) return;
    const active = activeSet();
    if (!active) return; // logged out, or the newest set is lost
    // Logged out while the operation ran: right, unless the logout left a set active at Monzo
    // (the final checks report that).
    if (error.code === "oauth.logged_out" && sim.lastStored === "") return;
    if (storedAtStart === active.accessToken) {
      sim.violations.push(
        `instance ${proc.id} (slot ${proc.slot}, ${op}) reported reauthorizationRequired ` +
          `(${error.code}) although the working set was the stored one when the operation began`,
      );
    } else if (sim.received.has(active.accessToken)) {
      sim.notes.push("soft: reauthorizationRequired while another instance held the working set");
    }
  };

  const slots: Proc[] = [];
  try {
    // The login everyone shares, stored before the instances start (logins that race with
    // the rest are steps of the schedule).
    const login = emulator.login();
    for (const token of [login.accessToken, login.refreshToken!]) sim.secrets.add(token);
    await (await shared.open()).store(storedLogin(emulator, login));
    sim.lastStored = login.accessToken;
    for (let slot = 0; slot < schedule.skews.length; slot++) slots[slot] = await start(slot);
    sim.received.set(login.accessToken, null); // every instance loaded it
    if (sabotage === "leak") console.warn(`token ${slots[0].auth.accessToken}`);

    for (const step of schedule.steps) {
      switch (step.op) {
        case "request":
        case "refresh":
        case "login":
        case "logout":
          launch(step.i, step.op);
          await sleep(0);
          break;
        case "crash": {
          const proc = slots[step.i];
          if (proc.tokenRequests > 0 || proc.unstored.size > 0) sim.crashInWindow = true;
          if (proc.loggingOut > 0 || proc.tombstonePending) sim.crashInLogout = true;
          proc.crash();
          slots[step.i] = await start(step.i);
          break;
        }
        case "pause":
          sim.paused = true;
          slots[step.i].pause(step.ms);
          break;
        case "storeFail":
          for (let n = 0; n < step.count; n++) {
            slots[step.i].faults.push(step.sync && n === 0 ? "throw" : "fail");
          }
          break;
        case "storeHang":
          slots[step.i].faults.push("hang");
          break;
        case "storeSlow":
          slots[step.i].faults.push(step.ms);
          break;
        case "grantLate":
          emulator.injectFault({ path: "/oauth2/token", after: true, delayMs: step.ms });
          break;
        case "grantLost":
          emulator.injectFault({ path: "/oauth2/token", after: true, drop: true });
          break;
        case "grantSlow":
          emulator.injectFault({ path: "/oauth2/token", delayMs: step.ms });
          break;
        case "grantError":
          emulator.injectFault({ path: "/oauth2/token", status: 503 });
          break;
        case "expire":
          emulator.advanceTime(LIFETIME_S + 120);
          break;
        case "gap":
          await sleep(step.ms);
          break;
        case "settle":
          await Promise.race([
            Promise.all(slots.filter((p) => !p.crashed).flatMap((p) => [...p.ops])),
            sleep(timing.grantTimeoutMs),
          ]);
          break;
      }
    }

    // Heal: no more faults; let every live operation end.
    emulator.clearFaults();
    for (const proc of slots) proc.faults.length = 0;
    const bound = timing.grantTimeoutMs + timing.handoverWaitMs + 8_000;
    const live = () => slots.filter((p) => !p.crashed);
    await Promise.all(live().map((p) => p.resumed()));
    try {
      await within(
        bound,
        "the schedule's operations",
        Promise.all(live().flatMap((p) => [...p.ops])),
      );
    } catch (error) {
      sim.violations.push(String((error as Error).message));
    }
    while (served.inflight > 0) await sleep(5);

    // Every live instance makes one more request, then closes (flushing what is unsaved).
    const finals = await Promise.all(
      live().map(async (proc) => {
        // A request or handler call that timed out on a busy host is tried again, as an app
        // would.
        for (let attempt = 1;; attempt++) {
          try {
            await within(
              bound,
              `instance ${proc.id}: final request`,
              proc.auth.request("GET", "/ping/whoami"),
            );
            return { proc, error: undefined as unknown };
          } catch (error) {
            sim.errors.push(error);
            const timedOut = error instanceof MonzoNetworkError ||
              (error instanceof MonzoStorageError && /no answer within/.test(error.message));
            if (attempt < 3 && timedOut) continue;
            return { proc, error };
          }
        }
      }),
    );
    for (const proc of live()) {
      try {
        await within(bound, `instance ${proc.id}: close()`, proc.auth.close());
      } catch (error) {
        sim.errors.push(error);
        sim.violations.push(
          `instance ${proc.id}: close() failed after healing: ${errorName(error)}`,
        );
      }
    }
    await checkInvariants(sim, emulator, served, shared, finals, activeSet());
  } catch (error) {
    sim.violations.push(
      `the schedule itself failed: ${errorName(error)}\n${(error as Error).stack}`,
    );
  } finally {
    clearInterval(ticker);
    // Dead instances: their pending calls fail now, so that they can be closed too.
    for (const proc of sim.procs.filter((p) => p.crashed)) {
      proc.kill();
      await within(5_000, "close() of a crashed instance", proc.auth.close()).catch(() => {});
    }
    await shared.close().catch(() => {});
    world.remove(id);
  }
  return {
    seed: schedule.seed,
    backend: schedule.backend,
    instances: sim.procs.length,
    violations: sim.violations,
    notes: sim.stalled ? [...sim.notes, "the event loop stalled (host pause)"] : sim.notes,
    events: sim.violations.length > 0 ? sim.events : [],
    ms: performance.now() - started,
  };
}

/** The invariants of the login safety model, checked once the schedule has healed. */
async function checkInvariants(
  sim: ScheduleRun,
  emulator: MonzoEmulator,
  served: Served,
  shared: SharedStore,
  finals: { proc: Proc; error: unknown }[],
  active: { accessToken: string } | undefined,
): Promise<void> {
  const stored = await shared.read();
  const dropped = served.droppedGrants > 0 || sim.lostAnswers > 0;
  const reuses = emulator.counters.refreshReuses;

  // 1. Storage holds the newest set Monzo issued, or the logout tombstone (no set active).
  let lost = false;
  if (active) {
    const receiver = sim.received.get(active.accessToken);
    const storedIt = stored?.accessToken === active.accessToken;
    if (!storedIt && receiver !== null && (!receiver || receiver.crashed)) {
      // Nobody alive ever held the newest set: its answer was lost or its holder died.
      lost = true;
      if (sim.crashInWindow || dropped) sim.notes.push("allowed: login lost in the grant window");
      else {
        sim.violations.push(
          `the newest set Monzo issued was ${
            receiver
              ? "received by an instance that then crashed outside the grant window"
              : "never received by any instance"
          }, with no crash in the grant window and no lost answer`,
        );
      }
    } else if (!storedIt) {
      sim.violations.push(
        `storage holds ${describeStored(stored, emulator)}, not the newest set Monzo issued ` +
          `(held in memory by ${receiver ? `instance ${receiver.id}` : "every instance"})`,
      );
    }
    if (stored?.loggedOut && !lost) {
      sim.violations.push("storage holds a logout tombstone while a set is active");
    }
  } else if (!stored?.loggedOut) {
    if (sim.crashInLogout) sim.notes.push("allowed: logout revoked, its tombstone died with it");
    else {
      sim.violations.push(
        `no set is active at Monzo (logged out) but storage holds ${
          describeStored(stored, emulator)
        }`,
      );
    }
  }

  // Memory: every live instance that made its final request holds the stored set.
  for (const { proc, error } of finals) {
    if (error === undefined) {
      if (active && !lost && proc.auth.accessToken !== active.accessToken) {
        sim.violations.push(`instance ${proc.id} answered with a set that is not the newest one`);
      }
      if (!active) sim.violations.push(`instance ${proc.id} made a request after a logout`);
    } else {
      const reauth = error instanceof MonzoAuthenticationError && error.reauthorizationRequired;
      if (!reauth && (lost || !active)) {
        // No working set: any error will do, but the app cannot tell that it must log in.
        sim.notes.push(`no working login, reported as ${errorName(error)}`);
      } else if (active && !lost) {
        sim.violations.push(
          `instance ${proc.id}: the final request failed after healing: ${errorName(error)}: ` +
            `${(error as Error).message}${
              (error as Error).cause ? ` (cause: ${((error as Error).cause as Error).message})` : ""
            }`,
        );
      }
    }
  }

  // 2. No refresh token reused, but after a pause beyond the lease or a crash in the window.
  if (reuses > 0) {
    if (sim.paused || sim.crashInWindow || dropped || sim.stalled || sim.leaseSlipped) {
      sim.notes.push(
        `allowed: ${reuses} refresh reuse(s) after a pause, stall, late lease renewal, crash or lost answer`,
      );
    } else {
      sim.violations.push(`${reuses} refresh token reuse(s) with no pause, crash or lost answer`);
    }
  }

  // 4. No secret in any error or instance, however printed, nor in any log line.
  const secrets = [...sim.secrets].filter((s) => s.length >= 8);
  const shown = [
    ...sim.errors.flatMap(renderings),
    ...sim.procs.flatMap((p) => renderings(p.auth)),
    ...logLines,
  ];
  for (const text of shown) {
    const secret = secrets.find((s) => text.includes(s));
    if (secret) {
      sim.violations.push(`a secret (${secret.slice(0, 6)}…) was shown in: ${text.slice(0, 300)}`);
      break;
    }
  }
}

function describeStored(stored: Credentials | null, emulator: MonzoEmulator): string {
  if (!stored) return "nothing";
  if (stored.loggedOut) return `a tombstone (generation ${stored.generation})`;
  return `a set of generation ${stored.generation} whose token is ${
    emulator.tokenStatus(stored.accessToken) ?? "unknown"
  }`;
}

// ---------------------------------------------------------------------------------------
// Many schedules.

/** Totals of a run of many schedules. */
export interface RunTotals {
  backend: Backend;
  schedules: number;
  instances: number;
  failures: ScheduleResult[];
  notes: Record<string, number>;
  wallMs: number;
  slowestMs: number;
}

/** Reads a positive integer from the environment. */
export function envInt(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be an integer`);
  return n;
}

/**
 * Runs `count` schedules of `backend` from `firstSeed` on, `concurrency` at a time (each in
 * its own emulator and store). `SIM_SEED=<n>` replays that one schedule instead,
 * `SIM_SEEDS=<a>,<b>,…` those schedules (together, as they ran).
 */
export async function runMany(
  world: SimWorld,
  backend: Backend,
  count: number,
  { firstSeed = 1, concurrency = 8, sabotage }: {
    firstSeed?: number;
    concurrency?: number;
    sabotage?: Sabotage;
  } = {},
): Promise<RunTotals> {
  const only = envInt("SIM_SEED");
  const listed = process.env.SIM_SEEDS?.split(",").map(Number).filter(Number.isInteger);
  const seeds = only !== undefined
    ? [only]
    : listed?.length
    ? listed
    : Array.from({ length: count }, (_, n) => firstSeed + n);
  const started = performance.now();
  const totals: RunTotals = {
    backend,
    schedules: 0,
    instances: 0,
    failures: [],
    notes: {},
    wallMs: 0,
    slowestMs: 0,
  };
  const restore = captureConsole();
  try {
    let next = 0;
    const worker = async () => {
      while (next < seeds.length) {
        const schedule = makeSchedule(seeds[next++], backend);
        const result = await runSchedule(world, schedule, sabotage);
        totals.schedules++;
        totals.instances += result.instances;
        totals.slowestMs = Math.max(totals.slowestMs, result.ms);
        for (const note of result.notes) totals.notes[note] = (totals.notes[note] ?? 0) + 1;
        if (result.violations.length > 0) totals.failures.push(result);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, seeds.length) }, worker));
  } finally {
    restore();
    logLines.length = 0;
  }
  totals.wallMs = performance.now() - started;
  return totals;
}

/**
 * A failure report: each failing schedule's seed, violations and steps, and with
 * `SIM_EVENTS=1` its log of leases, grants and stores.
 */
export function report(totals: RunTotals): string {
  return totals.failures.map((result) =>
    `SIM_SEED=${result.seed} (${result.backend}) violated:\n  - ${
      result.violations.join("\n  - ")
    }\n  (operations failed: ${[...new Set(result.notes)].join("; ") || "none"})\n${
      describeSchedule(makeSchedule(result.seed, result.backend))
    }${
      process.env.SIM_EVENTS && result.events.length
        ? `\n  events:\n    ${result.events.join("\n    ")}`
        : ""
    }`
  ).join("\n\n");
}

/** One line of totals for the test output. */
export function summary(totals: RunTotals): string {
  return `${totals.backend}: ${totals.schedules} schedules, ${totals.instances} instances, ` +
    `${totals.failures.length} failing, ${(totals.wallMs / 1000).toFixed(1)} s wall, slowest ` +
    `${totals.slowestMs.toFixed(0)} ms`;
}
