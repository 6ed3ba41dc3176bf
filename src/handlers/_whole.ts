// Private: the whole-object check of the Redis and Durable Object handlers. They store and
// return the whole credentials object, fields they do not know included.

import { MonzoArgumentError, MonzoStorageError } from "../errors.ts";
import type { Credentials } from "../storage.ts";
import { checkCredentials } from "./_common.ts";

/**
 * Checks the known fields of `value` (and its generation, when present) and returns a copy
 * of the whole object. Problems name the field, never its content.
 */
export function checkWhole(value: unknown, handler: string, operation: string): Credentials {
  const checked = checkCredentials(value, handler, operation);
  const generation = (value as { generation?: unknown }).generation;
  if (generation !== undefined && !isGeneration(generation)) {
    throw new MonzoStorageError(
      `${handler}.${operation}() failed: invalid credentials: generation is not an integer >= 0`,
      { params: { handler, operation } },
    );
  }
  return { ...(value as Credentials), ...checked };
}

/** Checks the `expected` generation of a compare-and-set: `null` or an integer >= 0. */
export function checkExpected(expected: unknown): asserts expected is number | null {
  if (expected !== null && !isGeneration(expected)) {
    throw new MonzoArgumentError("expected", "must be null or a generation (an integer >= 0)");
  }
}

/** Checks a lease's time to live: a positive number of milliseconds. Returns it rounded up. */
export function checkTtl(ttlMs: unknown): number {
  if (typeof ttlMs !== "number" || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new MonzoArgumentError("ttlMs", "must be a positive number of milliseconds");
  }
  return Math.ceil(ttlMs);
}

function isGeneration(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
