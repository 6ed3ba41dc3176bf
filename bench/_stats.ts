// Shared helpers of the benchmarks: statistics, the runtime's name, GC and heap, and the
// one-line result protocol that bench/run.mjs reads (`BENCH_RESULT {json}` on stdout).
import process from "node:process";

/** The median of some numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The smallest and largest of some numbers. */
export function range(values: readonly number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

/** `deno 2.9.6`, `bun 1.4.5` or `node v20…`. */
export function runtime(): { name: "deno" | "bun" | "node"; version: string } {
  const g = globalThis as unknown as {
    Deno?: { version: { deno: string } };
    Bun?: { version: string };
  };
  if (g.Deno) return { name: "deno", version: g.Deno.version.deno };
  if (g.Bun) return { name: "bun", version: g.Bun.version };
  return { name: "node", version: process.version };
}

/** A full, synchronous garbage collection, where the runtime exposes one. */
export function gc(): boolean {
  const g = globalThis as unknown as { Bun?: { gc(force: boolean): void }; gc?: () => void };
  if (g.Bun) {
    g.Bun.gc(true);
    return true;
  }
  if (typeof g.gc === "function") {
    g.gc();
    return true;
  }
  return false;
}

/** The JavaScript heap in use, in bytes. */
export function heapUsed(): number {
  return process.memoryUsage().heapUsed;
}

/** Prints the result line that bench/run.mjs collects. */
export function report(name: string, result: Record<string, unknown>): void {
  console.log(`BENCH_RESULT ${JSON.stringify({ bench: name, runtime: runtime(), ...result })}`);
}

/** The connection details of an emulator served by bench/_serve.ts, from BENCH_EMULATOR. */
export interface EmulatorInfo {
  url: string;
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  accountId: string;
}

/** Reads BENCH_EMULATOR (set by bench/run.mjs), or undefined when the script runs alone. */
export function emulatorFromEnv(): EmulatorInfo | undefined {
  const text = process.env.BENCH_EMULATOR;
  return text ? JSON.parse(text) as EmulatorInfo : undefined;
}

/** Reads a numeric environment setting. */
export function envNumber(name: string, fallback: number): number {
  const value = process.env[name];
  return value === undefined || value === "" ? fallback : Number(value);
}
