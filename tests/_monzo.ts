// A `Monzo` logged in to a fresh emulator on a loopback port, and assertions shared by the
// endpoint tests.
import assert from "node:assert/strict";
import { Authentication, Monzo, MonzoArgumentError } from "../mod.ts";
import type { EmulatorOptions, EmulatorRequest, MonzoEmulator } from "../src/testing/mod.ts";
import { type ServedEmulator, startEmulator } from "./_emulator.ts";

/** A served emulator and a client logged in to it. */
export interface Session extends ServedEmulator {
  monzo: Monzo;
  accessToken: string;
}

/** Runs `test` against a fresh emulator and a logged-in client, then stops the server. */
export async function withMonzo(
  test: (session: Session) => Promise<void>,
  options: { approved?: boolean; emulator?: EmulatorOptions } = {},
): Promise<void> {
  const served = await startEmulator(options.emulator);
  const { emulator } = served;
  try {
    const tokens = emulator.login({ approved: options.approved ?? true });
    const auth = new Authentication(served.options({
      accessToken: tokens.accessToken,
      accessTokenExpiry: tokens.expiry,
      refreshToken: tokens.refreshToken,
      now: () => emulator.now(),
    }));
    await test({ ...served, monzo: new Monzo(auth), accessToken: tokens.accessToken });
  } finally {
    await served.close();
  }
}

/** The last request the emulator received for `method path`. */
export function lastRequest(
  emulator: MonzoEmulator,
  method: string,
  path: string,
): EmulatorRequest {
  const request = emulator.requests.findLast((r) => r.method === method && r.path === path);
  assert.ok(request, `no ${method} ${path} reached the emulator`);
  return request;
}

/** The request's query parameters, as a plain object (repeated keys keep the last value). */
export function queryOf(request: EmulatorRequest): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(request.query));
}

/** The request's form body, as a plain object. */
export function formOf(request: EmulatorRequest): Record<string, string> {
  assert.equal(request.contentType, "application/x-www-form-urlencoded");
  return Object.fromEntries(new URLSearchParams(request.body));
}

/** Asserts a GET-style request: parameters in the query, no body. */
export function assertNoBody(request: EmulatorRequest): void {
  assert.equal(request.body, "");
  assert.equal(request.contentType, null);
}

/**
 * Asserts that `run` fails with a `MonzoArgumentError` naming `argument`, and that no request
 * reached the emulator.
 */
export async function rejectsArgument(
  emulator: MonzoEmulator,
  argument: string,
  run: () => unknown,
): Promise<void> {
  const before = emulator.counters.requests;
  await assert.rejects(async () => {
    await run();
  }, (error: unknown) => {
    assert.ok(error instanceof MonzoArgumentError, `expected MonzoArgumentError, got ${error}`);
    assert.equal(error.argument, argument);
    return true;
  });
  assert.equal(emulator.counters.requests, before, "a request was sent");
}
