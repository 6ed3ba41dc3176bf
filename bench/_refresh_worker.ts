// A worker of the multi-process refresh benchmark (bench/refresh_load.ts): its own
// Authentication over a store shared with the other workers, calling `balance.get` in a loop.
// It prints "ready", starts on a line from stdin, stops after the given time and prints its
// totals as JSON.
// Usage: _refresh_worker.ts <deno-kv|bun-file> <path> <config as JSON>
import process from "node:process";
import { Authentication, type AuthenticationOptions, Monzo, type Storage } from "../mod.ts";
import { BunFileStorage } from "../src/handlers/bun_file.ts";
import { DenoKvStorage } from "../src/handlers/deno_kv.ts";

interface Config {
  options: AuthenticationOptions;
  accountId: string;
  durationMs: number;
}

const [kind, path, json] = process.argv.slice(2);
const config = JSON.parse(json) as Config;
let storage: Storage;
let close = () => {};
if (kind === "deno-kv") {
  const { Deno } = globalThis as unknown as {
    Deno: {
      openKv(
        path: string,
      ): Promise<ConstructorParameters<typeof DenoKvStorage>[0] & { close(): void }>;
    };
  };
  const kv = await Deno.openKv(path);
  storage = new DenoKvStorage(kv);
  close = () => kv.close();
} else {
  storage = new BunFileStorage(path);
}
const auth = await Authentication.fromStorage(storage, config.options);
const monzo = new Monzo(auth);
process.stdout.write("ready\n");
await new Promise((resolve) => process.stdin.once("data", resolve));

const deadline = Date.now() + config.durationMs;
const errors: Record<string, number> = {};
const messages: Record<string, string> = {}; // the first message of each kind of error
const tokens = new Set<string>();
let ok = 0;
while (Date.now() < deadline) {
  try {
    await monzo.balance.get(config.accountId);
    ok++;
    tokens.add(auth.accessToken ?? "");
  } catch (error) {
    const e = error as { name?: string; code?: string; message?: string };
    const key = `${e.name ?? "Error"} ${e.code ?? ""}`.trim();
    errors[key] = (errors[key] ?? 0) + 1;
    messages[key] ??= String(e.message ?? error);
  }
}
process.stdout.write(
  `${JSON.stringify({ pid: process.pid, ok, errors, messages, tokensUsed: tokens.size })}\n`,
);
process.stdin.destroy();
close();
process.exit(0);
