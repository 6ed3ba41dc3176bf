// Serves a fresh emulator on a loopback port and builds Authentication options for it.
import type { AuthenticationOptions } from "../mod.ts";
import { type EmulatorOptions, MonzoEmulator, serveEmulator } from "../src/testing/mod.ts";

/** A served emulator and the options an `Authentication` needs to talk to it. */
export interface ServedEmulator {
  emulator: MonzoEmulator;
  url: string;
  options(extra?: Partial<AuthenticationOptions>): AuthenticationOptions;
  close(): Promise<void>;
}

/** Starts an emulator (webhook retries without delay) on 127.0.0.1 and a free port. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<ServedEmulator> {
  const emulator = new MonzoEmulator({ webhookRetryDelayMs: 0, ...options });
  const server = await serveEmulator(emulator);
  return {
    emulator,
    url: server.url,
    options: (extra) => authOptions(emulator, server.url, extra),
    close: () => server.close(),
  };
}

/** Options for an `Authentication` of the emulator's default client, served at `url`. */
export function authOptions(
  emulator: MonzoEmulator,
  url: string,
  extra: Partial<AuthenticationOptions> = {},
): AuthenticationOptions {
  return {
    clientId: emulator.client.id,
    clientSecret: emulator.client.secret,
    redirectUrl: emulator.client.redirectUris[0],
    apiUrl: url,
    authUrl: `${url}/auth`,
    retryDelayMs: 1,
    ...extra,
  };
}
