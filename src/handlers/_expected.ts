// Private: the argument check of the compare-and-set of the Redis and Durable Object handlers.

import { MonzoArgumentError } from "../errors.ts";

/** Checks the `expected` generation of a compare-and-set: `null` or an integer >= 0. */
export function checkExpected(expected: unknown): asserts expected is number | null {
  if (expected !== null && !(Number.isSafeInteger(expected) && (expected as number) >= 0)) {
    throw new MonzoArgumentError("expected", "must be null or a generation (an integer >= 0)");
  }
}
