// The options of `transactions.sync`, checked before any request.
import { MonzoArgumentError } from "../errors.ts";
import { checkNumber } from "../_validate.ts";
import type { SyncOptions } from "./types.ts";

/** Checked options, with their defaults. */
export interface Settings {
  cursor: string | null;
  windowDays: number;
  sweepEveryDays: number;
  maxChanges: number;
  deadline: number | undefined;
  concurrency: number;
  now: () => number;
  onProgress: SyncOptions["onProgress"];
  signal: AbortSignal | undefined;
}

function whole(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new MonzoArgumentError(name, `must be a whole number from ${min} to ${max}`);
  }
  return value as number;
}

function fn<T>(value: T | undefined, name: string): T | undefined {
  if (value !== undefined && typeof value !== "function") {
    throw new MonzoArgumentError(name, "must be a function");
  }
  return value;
}

/** Checks `options` of `sync`; throws a `MonzoArgumentError` naming the bad field. */
export function checkSyncOptions(options: unknown): Settings {
  if (options === undefined) options = {};
  if (options === null || typeof options !== "object") {
    throw new MonzoArgumentError("options", "must be an object");
  }
  const o = options as SyncOptions;
  if (o.cursor !== undefined && o.cursor !== null && typeof o.cursor !== "string") {
    throw new MonzoArgumentError("options.cursor", "must be the cursor string of the last sync");
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new MonzoArgumentError("options.signal", "must be an AbortSignal");
  }
  return {
    cursor: o.cursor || null,
    windowDays: whole(o.windowDays, "options.windowDays", 1, 89) ?? 14,
    sweepEveryDays: checkNumber(o.sweepEveryDays, "options.sweepEveryDays", 0) ?? 7,
    maxChanges: whole(o.maxChanges, "options.maxChanges", 100, 1_000_000) ?? 2000,
    deadline: checkNumber(o.deadline, "options.deadline", 0),
    concurrency: whole(o.concurrency, "options.concurrency", 1, 16) ?? 4,
    now: fn(o.now, "options.now") ?? Date.now,
    onProgress: fn(o.onProgress, "options.onProgress"),
    signal: o.signal,
  };
}
