// The crash window: from the moment a refresh grant is sent to the moment the new set is
// durably stored. A process that dies inside it loses the login (Monzo rotated the refresh
// token, the new one was never written); it is the only way left to lose one. Measured per
// handler against the emulator served on loopback (so the round trip is a loopback one: add
// your real round trip to Monzo), as the sum of the token round trip and the local part (the
// answer read and checked, then the compare-and-set write through the handler).
//
//   deno run -A bench/crash_window.ts     (memory, file, Deno KV on a file)
//   bun bench/crash_window.ts             (memory, file)
//   node --import tsx bench/crash_window.ts
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Authentication, MemoryStorage, type Storage } from "../mod.ts";
import { BunFileStorage } from "../src/handlers/bun_file.ts";
import { type DenoKvLike, DenoKvStorage } from "../src/handlers/deno_kv.ts";
import { MonzoEmulator, serveEmulator } from "../src/testing/mod.ts";
import { median, runtime } from "./_stats.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 300);

declare const Deno: { openKv(path: string): Promise<DenoKvLike & { close(): void }> } | undefined;

interface Timings {
  roundTrip: number[];
  local: number[];
}

/** Refreshes ROUNDS times through `storage`, timing each grant and its store. */
async function measure(url: string, emulator: MonzoEmulator, storage: Storage): Promise<Timings> {
  const timings: Timings = { roundTrip: [], local: [] };
  let sent = 0, answered = 0;
  const timedFetch: typeof fetch = async (input, init) => {
    const isGrant = String(input).endsWith("/oauth2/token");
    if (isGrant) sent = performance.now();
    const response = await fetch(input, init);
    if (isGrant) answered = performance.now();
    return response;
  };
  const tokens = emulator.login();
  const auth = new Authentication({
    clientId: emulator.client.id,
    clientSecret: emulator.client.secret,
    redirectUrl: emulator.client.redirectUris[0],
    apiUrl: url,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessTokenExpiry: tokens.expiry,
    fetch: timedFetch,
  });
  auth.registerCallbackHandler(storage);
  for (let i = 0; i < ROUNDS; i++) {
    await auth.refreshAccessToken();
    const stored = performance.now();
    timings.roundTrip.push(answered - sent);
    timings.local.push(stored - answered);
  }
  return timings;
}

const p99 = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)];

const emulator = new MonzoEmulator();
const server = await serveEmulator(emulator);
const dir = await mkdtemp(join(tmpdir(), "monzo-crash-window-"));
const subjects: [string, () => Promise<Storage>][] = [
  ["MemoryStorage", () => Promise.resolve(new MemoryStorage())],
  ["BunFileStorage", () => Promise.resolve(new BunFileStorage(join(dir, "tokens.json")))],
];
let kv: { close(): void } | undefined;
if (typeof Deno !== "undefined") {
  subjects.push(["DenoKvStorage (file)", async () => {
    const opened = await Deno.openKv(join(dir, "tokens.db"));
    kv = opened;
    return new DenoKvStorage(opened);
  }]);
}
const { name, version } = runtime();
console.log(`Crash window on ${name} ${version}, ${ROUNDS} refreshes per handler (ms):`);
console.log(
  "| handler | token round trip (loopback), median | local part, median | p99 | window, median |",
);
console.log("|---|---|---|---|---|");
try {
  for (const [label, make] of subjects) {
    const t = await measure(server.url, emulator, await make());
    const window = t.roundTrip.map((r, i) => r + t.local[i]);
    const f = (n: number) => n.toFixed(2);
    console.log(
      `| ${label} | ${f(median(t.roundTrip))} | ${f(median(t.local))} | ${f(p99(t.local))} | ${
        f(median(window))
      } |`,
    );
  }
} finally {
  kv?.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
