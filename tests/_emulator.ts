// Serves a fresh emulator on a loopback port and builds Authentication options, stored logins
// and second views for it.
import { Authentication, type AuthenticationOptions, type Credentials, Monzo } from "../mod.ts";
import {
  type EmulatorOptions,
  type EmulatorTokenSet,
  MonzoEmulator,
  serveEmulator,
} from "../src/testing/mod.ts";

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

/** What a handler stores for a fresh login of the emulator's default client (generation 1). */
export function storedLogin(
  emulator: MonzoEmulator,
  login: EmulatorTokenSet = emulator.login(),
): Credentials {
  return {
    accessToken: login.accessToken,
    clientId: emulator.client.id,
    clientSecret: emulator.client.secret,
    expiry: login.expiry,
    refreshToken: login.refreshToken,
    generation: 1,
  };
}

/** A client on another login of the same user: a second view of the data, to compare with. */
export function otherView(served: ServedEmulator): Monzo {
  const other = served.emulator.addClient({ redirectUris: ["http://127.0.0.1/cb"] });
  const tokens = served.emulator.login({ clientId: other.id });
  return new Monzo(
    new Authentication({
      ...served.options({ clientId: other.id, clientSecret: other.secret }),
      accessToken: tokens.accessToken,
      accessTokenExpiry: tokens.expiry,
    }),
  );
}
