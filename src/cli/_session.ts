// The saved login, loaded for the data commands. Refreshed tokens go back to the same file
// (its lock file lets concurrent commands share one refresh).

import { Authentication } from "../authentication.ts";
import { BunFileStorage } from "../handlers/bun_file.ts";
import { Monzo } from "../monzo.ts";
import type { OptionSpec, Values } from "./_args.ts";
import { credentialsPath, DEFAULT_REDIRECT_URL, setting } from "./_config.ts";
import { CliError } from "./_errors.ts";

/** `--api-url`, for the data commands. */
export const API_URL_OPTION: OptionSpec = {
  type: "string",
  value: "<url>",
  description:
    "The API's base URL. Default: $MONZO_API_URL, else https://api.monzo.com (set it for an emulator).",
};

/** A client over the saved credentials, storing every refresh back into the file. */
export async function openSession(values: Values): Promise<Monzo> {
  const path = credentialsPath(values);
  const storage = new BunFileStorage(path);
  const stored = await storage.fetch();
  if (!stored) {
    throw new CliError(`Not logged in: there are no credentials at ${path}. Run \`login\` first.`);
  }
  const auth = new Authentication({
    clientId: stored.clientId,
    clientSecret: stored.clientSecret,
    redirectUrl: DEFAULT_REDIRECT_URL, // only a new login uses it
    accessToken: stored.accessToken,
    accessTokenExpiry: stored.expiry,
    refreshToken: stored.refreshToken,
    apiUrl: setting(values, "api-url", "MONZO_API_URL"),
  });
  auth.registerCallbackHandler(storage);
  return new Monzo(auth);
}
