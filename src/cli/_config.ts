// Settings that come from a flag or else from the environment, and where the credentials
// file lives.

import { homedir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import type { OptionSpec, Values } from "./_args.ts";

/** The redirect URL `login` listens on unless told otherwise; register it in the portal. */
export const DEFAULT_REDIRECT_URL = "http://localhost:8000/callback";

/** `--credentials`, shared by every command. */
export const CREDENTIALS_OPTION: OptionSpec = {
  type: "string",
  value: "<path>",
  description:
    "The credentials file. Default: $MONZO_CREDENTIALS, else ~/.config/monzo-api/credentials.json.",
};

/** A flag's value, else the environment variable's; empty strings count as unset. */
export function setting(values: Values, option: string, env: string): string | undefined {
  const value = values[option];
  if (typeof value === "string" && value !== "") return value;
  return process.env[env] || undefined;
}

/** The credentials file: `--credentials`, `$MONZO_CREDENTIALS`, or `fallback` in the config directory. */
export function credentialsPath(values: Values, fallback = "credentials.json"): string {
  const configured = setting(values, "credentials", "MONZO_CREDENTIALS");
  if (configured) return resolve(configured);
  const configHome = process.env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(configHome, "monzo-api", fallback);
}
