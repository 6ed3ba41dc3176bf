// Private helpers shared by the credential handlers: errors, validation, inspection.

import { MonzoError, MonzoStorageError } from "../errors.ts";
import type { Credentials } from "../storage.ts";

/** A storage error naming the handler and the operation, and never a stored value. */
function storageError(
  handler: string,
  operation: string,
  problem: string,
  cause?: unknown,
): MonzoStorageError {
  return new MonzoStorageError(`${handler}.${operation}() failed: ${problem}`, {
    cause,
    params: { handler, operation },
  });
}

/** Runs a handler operation; any failure that is not already ours becomes a storage error. */
export async function guard<T>(
  handler: string,
  operation: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof MonzoError) throw error;
    throw storageError(
      handler,
      operation,
      error instanceof Error ? error.message : String(error),
      error,
    );
  }
}

/**
 * Checks that `value` is a credentials object and returns a copy of the whole object (fields
 * this version does not know are kept: handlers store sets whole). Problems name the field,
 * never its content.
 */
export function checkCredentials(value: unknown, handler: string, operation: string): Credentials {
  const fail = (problem: string) =>
    storageError(handler, operation, `invalid credentials: ${problem}`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw fail("not an object");
  }
  const record = { ...value } as Record<string, unknown>;
  for (const field of ["accessToken", "clientId", "clientSecret"]) {
    if (typeof record[field] !== "string") throw fail(`${field} is not a string`);
  }
  if (typeof record.expiry !== "number" || !Number.isFinite(record.expiry)) {
    throw fail("expiry is not a finite number");
  }
  if (record.refreshToken === null) delete record.refreshToken;
  if (record.refreshToken !== undefined && typeof record.refreshToken !== "string") {
    throw fail("refreshToken is not a string");
  }
  if (
    record.generation !== undefined &&
    !(Number.isSafeInteger(record.generation) && (record.generation as number) >= 0)
  ) {
    throw fail("generation is not an integer");
  }
  if (record.loggedOut !== undefined && typeof record.loggedOut !== "boolean") {
    throw fail("loggedOut is not a boolean");
  }
  return record as unknown as Credentials;
}

/**
 * Parses stored JSON text. The parser's own message can quote the text (a token), so the
 * error carries no cause.
 */
export function parseJson(text: string, handler: string, operation: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw storageError(handler, operation, "the stored content is not valid JSON");
  }
}

export { sleep } from "../http.ts";

const INSPECT_KEYS = [Symbol.for("nodejs.util.inspect.custom"), Symbol.for("Deno.customInspect")];

/**
 * Makes `node:util` inspect, `Deno.inspect`, `Bun.inspect` and `console.log` show a handler
 * as its `toJSON()` summary, which holds no secret.
 */
export function inspectAsSummary(
  handler: { prototype: { toJSON(): Record<string, unknown> } },
): void {
  for (const key of INSPECT_KEYS) {
    Object.defineProperty(handler.prototype, key, {
      configurable: true,
      writable: true,
      value(this: { toJSON(): Record<string, unknown> }): string {
        const { storage, ...rest } = this.toJSON();
        const fields = Object.entries(rest).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
        return `${storage} { ${fields.join(", ")} }`;
      },
    });
  }
}
