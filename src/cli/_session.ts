// The saved login, loaded for the data commands, pointed at the API it belongs to (as `login`
// recorded it, unless --api-url says otherwise). Refreshed tokens go back to the same file (its
// lock file lets concurrent commands share one refresh).

import { Authentication } from "../authentication.ts";
import type { Credentials } from "../storage.ts";
import { BunFileStorage } from "../handlers/bun_file.ts";
import { Monzo } from "../monzo.ts";
import type { OptionSpec, Values } from "./_args.ts";
import {
  credentialsPath,
  DEFAULT_REDIRECT_URL,
  privateDir,
  readApiRecord,
  setting,
} from "./_config.ts";
import { openCliEmulator, runningEmulator } from "./_emulator.ts";
import { CliError } from "./_errors.ts";
import { track } from "./_exit.ts";
import { dirname } from "node:path";

/** `--api-url`, for the data commands. */
export const API_URL_OPTION: OptionSpec = {
  type: "string",
  value: "<url>",
  description:
    "The API's base URL. Default: $MONZO_API_URL, else the one the login was made with (api.monzo.com, or the emulator).",
};

/** An open session: the client, its Authentication, and where its login lives. */
export interface Session {
  monzo: Monzo;
  auth: Authentication;
  /** The credentials file. */
  path: string;
  /** What was stored there when the session opened. */
  stored: Credentials;
  /** Which API it talks to, in words. */
  api: string;
}

/** A client over the saved credentials, storing every refresh back into the file. */
export async function openSession(values: Values): Promise<Session> {
  const path = credentialsPath(values);
  const storage = new BunFileStorage(path);
  const stored = await storage.fetch();
  if (!stored) {
    throw new CliError(
      `Not logged in: there are no credentials at ${path}. Run \`monzo login\` first (or ` +
        "`monzo login --emulator` to rehearse with made-up data).",
    );
  }
  await privateDir(dirname(path));
  const target = await apiOf(values, path);
  const auth = new Authentication({
    clientId: stored.clientId,
    clientSecret: stored.clientSecret,
    redirectUrl: DEFAULT_REDIRECT_URL, // only a new login uses it
    accessToken: stored.accessToken,
    accessTokenExpiry: stored.expiry,
    refreshToken: stored.refreshToken,
    apiUrl: target.apiUrl,
    fetch: target.fetch,
  });
  auth.registerCallbackHandler(storage);
  track(auth, { path, clientSecret: stored.clientSecret });
  return { monzo: new Monzo(auth), auth, path, stored, api: target.description };
}

/** Where the API of a saved login is, and how to reach it. */
async function apiOf(
  values: Values,
  path: string,
): Promise<{ apiUrl?: string; fetch?: typeof fetch; description: string }> {
  const explicit = setting(values, "api-url", "MONZO_API_URL");
  if (explicit) return { apiUrl: explicit, description: explicit };
  const record = await readApiRecord(path);
  if (record?.api === "url") return { apiUrl: record.url, description: record.url };
  if (record?.api !== "emulator") return { description: "Monzo (api.monzo.com)" };
  const url = await runningEmulator();
  if (url) return { apiUrl: url, description: `the Monzo emulator at ${url}` };
  // No `monzo emulator` running: the same emulator, in this process.
  const persistent = await openCliEmulator();
  return {
    apiUrl: "http://emulator.localhost",
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const response = await persistent.fetch(request);
      // Saved before the answer is used: this process may exit right after.
      if (request.method !== "GET") await persistent.save();
      return response;
    },
    description: "the Monzo emulator (in-process; `monzo emulator` serves it)",
  };
}
