// Shared by the reliability tests: the runtime, a served emulator that records every token
// set it issues and counts requests per path, a seeded generator, timeouts, and the
// Authentication options of a login.

import type { AuthenticationOptions } from "../mod.ts";
import type { EmulatorOptions, EmulatorTokenSet } from "../src/testing/mod.ts";
import { MonzoEmulator } from "../src/testing/mod.ts";
import { isDropped } from "../src/testing/faults.ts";
import { serveHandler } from "../src/testing/serve.ts";
import { authOptions } from "./_emulator.ts";

/** `Deno`, when running under Deno. */
export const deno = (globalThis as {
  Deno?: { inspect(value: unknown, options?: Record<string, unknown>): string };
}).Deno;

/** `Bun`, when running under Bun. */
export const bun = (globalThis as { Bun?: { inspect(value: unknown): string } }).Bun;

/** The runtime running the tests. */
export const runtime: "deno" | "bun" | "node" = deno ? "deno" : bun ? "bun" : "node";

/** A token set the emulator issued, through the token endpoint or `login()`. */
export interface IssuedSet {
  accessToken: string;
  refreshToken: string | undefined;
  via: "login" | "authorization_code" | "refresh_token";
}

/** A served emulator that records its token responses and its traffic per path. */
export interface RecordingEmulator {
  emulator: MonzoEmulator;
  url: string;
  /** Every token set issued, oldest first. */
  issued: IssuedSet[];
  /** Requests that reached the server, per path (faulted ones included). */
  hits: Map<string, number>;
  /** Requests being answered right now. */
  inflight(): number;
  /** Resolves once no request has been in flight for `quietMs`. */
  settle(quietMs?: number): Promise<void>;
  /** `emulator.login()`, recorded in `issued`. */
  login(approved?: boolean): EmulatorTokenSet;
  /** Authentication options for the default client, with the given extras. */
  options(extra?: Partial<AuthenticationOptions>): AuthenticationOptions;
  close(): Promise<void>;
}

/** Serves a fresh emulator on 127.0.0.1 through a recording wrapper. */
export async function startRecordingEmulator(
  options: EmulatorOptions = {},
): Promise<RecordingEmulator> {
  const emulator = new MonzoEmulator({ webhookRetryDelayMs: 0, ...options });
  const issued: IssuedSet[] = [];
  const hits = new Map<string, number>();
  let inflight = 0;
  let lastActivity = Date.now();
  const server = await serveHandler(async (request) => {
    inflight++;
    lastActivity = Date.now();
    const path = new URL(request.url).pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    try {
      let grant: string | null = null;
      if (path === "/oauth2/token" && request.method === "POST") {
        // Read the form here and hand the emulator a copy (Bun reports a tee'd request body
        // as an unhandled error when the connection is then reset).
        const body = await request.arrayBuffer();
        grant = new URLSearchParams(new TextDecoder().decode(body)).get("grant_type");
        request = new Request(request.url, {
          method: request.method,
          headers: request.headers,
          body,
          signal: request.signal,
        });
      }
      const response = await emulator.fetch(request);
      if (isDropped(response)) return response; // its body fails: nothing to record
      if (grant && response.status === 200) {
        const body = tokenBody(await response.clone().text());
        if (typeof body.access_token === "string") {
          issued.push({
            accessToken: body.access_token,
            refreshToken: typeof body.refresh_token === "string" ? body.refresh_token : undefined,
            via: grant === "authorization_code" ? "authorization_code" : "refresh_token",
          });
        }
      }
      return response;
    } finally {
      inflight--;
      lastActivity = Date.now();
    }
  });
  return {
    emulator,
    url: server.url,
    issued,
    hits,
    inflight: () => inflight,
    async settle(quietMs = 20) {
      while (inflight > 0 || Date.now() - lastActivity < quietMs) await sleep(5);
    },
    login(approved = true) {
      const tokens = emulator.login({ approved });
      issued.push({
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        via: "login",
      });
      return tokens;
    },
    options: (extra) => authOptions(emulator, server.url, extra),
    close: () => server.close(),
  };
}

/** The fields of a token response; none when it is not JSON (an injected raw body). */
function tokenBody(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" ? value : {};
  } catch {
    return {};
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects when `promise` has not settled within `ms`: nothing may hang. */
export async function within<T>(ms: number, label: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Settles `run()` (sync throws included) to its value or its error. */
export async function outcome<T>(
  run: () => Promise<T> | T,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A seeded generator (mulberry32): the same schedule on every run and runtime. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks from weighted choices with `random`. */
export function weighted<T>(random: () => number, choices: readonly [T, number][]): T {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [choice, weight] of choices) {
    roll -= weight;
    if (roll < 0) return choice;
  }
  return choices[choices.length - 1][0];
}

/** `{ name: count }` of the values, sorted by name, for diagnostics. */
export function tally(values: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of [...values].sort()) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
