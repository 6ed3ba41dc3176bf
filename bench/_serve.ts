// Serves a MonzoEmulator on loopback for the benchmarks, in a process of its own (so that the
// emulator's work does not share the measured client's thread), with one extra route:
// `POST /_bench/login` answers a fresh approved token set (the 5-minute full-history window
// opens). Run by bench/run.mjs:
//   deno run -A bench/_serve.ts [transactionsPerDay]
// It prints `BENCH_SERVER {json}` (see EmulatorInfo) and serves until its stdin closes.
import process from "node:process";
import { Authentication, Monzo } from "../mod.ts";
import { MonzoEmulator, serveEmulator } from "../src/testing/mod.ts";
import type { EmulatorOptions, EmulatorTokenSet } from "../src/testing/mod.ts";
import { emulatorFromEnv, type EmulatorInfo } from "./_stats.ts";

/** A served emulator: what a client needs, and `close()` (a no-op when it is remote). */
export interface BenchEmulator {
  info: EmulatorInfo;
  /** The emulator object, when it runs in this process. */
  emulator?: MonzoEmulator;
  close(): Promise<void>;
}

/** Starts an emulator in this process, served on 127.0.0.1 with the `/_bench/` routes. */
export async function serveBenchEmulator(options: EmulatorOptions = {}): Promise<BenchEmulator> {
  const emulator = new MonzoEmulator({ webhookRetryDelayMs: 0, ...options });
  const handler = emulator.fetch;
  // serveEmulator serves `emulator.fetch`; give it a wrapper with the login route.
  const wrapped = {
    fetch: (request: Request): Promise<Response> => {
      if (request.method === "POST" && new URL(request.url).pathname === "/_bench/login") {
        return Promise.resolve(Response.json(emulator.login()));
      }
      return handler(request);
    },
  } as unknown as MonzoEmulator;
  const server = await serveEmulator(wrapped);
  return {
    info: {
      url: server.url,
      clientId: emulator.client.id,
      clientSecret: emulator.client.secret,
      redirectUrl: emulator.client.redirectUris[0],
      accountId: emulator.accounts.current,
    },
    emulator,
    close: () => server.close(),
  };
}

/** The emulator that bench/run.mjs started (BENCH_EMULATOR), or a new one in this process. */
export async function connect(options: EmulatorOptions = {}): Promise<BenchEmulator> {
  const info = emulatorFromEnv();
  if (info) return { info, close: () => Promise.resolve() };
  return await serveBenchEmulator(options);
}

/** A fresh, approved login (it evicts the previous token set of the client). */
export async function login(info: EmulatorInfo): Promise<EmulatorTokenSet> {
  const response = await fetch(`${info.url}/_bench/login`, { method: "POST" });
  if (!response.ok) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  return await response.json() as EmulatorTokenSet;
}

/** A client with a fresh, approved login; also returns the token set it holds. */
export async function loggedInClient(
  info: EmulatorInfo,
): Promise<{ monzo: Monzo; tokens: EmulatorTokenSet }> {
  const tokens = await login(info);
  const auth = new Authentication({
    clientId: info.clientId,
    clientSecret: info.clientSecret,
    redirectUrl: info.redirectUrl,
    apiUrl: info.url,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessTokenExpiry: tokens.expiry,
  });
  return { monzo: new Monzo(auth), tokens };
}

if (import.meta.main) {
  const perDay = process.argv[2] ? Number(process.argv[2]) : undefined;
  const served = await serveBenchEmulator(perDay ? { transactionsPerDay: perDay } : {});
  console.log(`BENCH_SERVER ${JSON.stringify(served.info)}`);
  process.stdin.on("data", () => {});
  process.stdin.on("end", () => {
    served.close().finally(() => process.exit(0));
  });
  process.stdin.resume();
}
