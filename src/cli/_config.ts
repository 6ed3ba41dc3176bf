// Settings that come from a flag or else from the environment, where the CLI keeps its files,
// and which API a saved login belongs to.

import { chmod, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import process from "node:process";
import type { OptionSpec, Values } from "./_args.ts";
import { CliError } from "./_errors.ts";

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

/** The CLI's own directory: `$XDG_CONFIG_HOME/monzo-api`, else `~/.config/monzo-api`. */
export function configDir(): string {
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), ".config"), "monzo-api");
}

/** The credentials file: `--credentials`, `$MONZO_CREDENTIALS`, or `credentials.json` in the config directory. */
export function credentialsPath(values: Values): string {
  const configured = setting(values, "credentials", "MONZO_CREDENTIALS");
  return configured ? resolve(configured) : join(configDir(), "credentials.json");
}

/**
 * Makes sure no other user can write to `dir`, where a login is kept (they could swap the
 * file): creates it 0700 when missing, tightens our own directory when it is group- or
 * world-writable, refuses someone else's. Returns a line to tell the user, if any.
 */
export async function privateDir(dir: string): Promise<string | undefined> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (process.platform === "win32") return undefined;
  const info = await stat(dir);
  const mode = info.mode & 0o777;
  if ((mode & 0o022) === 0) return undefined;
  if (info.uid !== process.getuid?.()) {
    throw new CliError(
      `${dir} can be written by other users (mode ${mode.toString(8)}) and is not yours, so a ` +
        "login kept there could be replaced. Choose another place with --credentials.",
    );
  }
  await chmod(dir, 0o700);
  return `${dir} could be written by other users (mode ${mode.toString(8)}): changed it to 700.`;
}

/** Which API a saved login belongs to: the emulator of `monzo emulator`, or an API URL. */
export type ApiRecord = { api: "emulator" } | { api: "url"; url: string };

/** The file beside the credentials that records their API (`credentials.api.json`). */
function recordPath(credentials: string): string {
  const name = basename(credentials).replace(/\.json$/i, "");
  return join(dirname(credentials), `${name}.api.json`);
}

/** The API recorded for a credentials file, or undefined (then: Monzo). */
export async function readApiRecord(credentials: string): Promise<ApiRecord | undefined> {
  const text = await readFile(recordPath(credentials), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  const record = JSON.parse(text);
  if (record?.api === "emulator") return { api: "emulator" };
  if (record?.api === "url" && typeof record.url === "string") return record;
  return undefined;
}

/** Records (or with `undefined`, forgets) the API of a credentials file. */
export async function writeApiRecord(
  credentials: string,
  record: ApiRecord | undefined,
): Promise<void> {
  const path = recordPath(credentials);
  if (record === undefined) await rm(path, { force: true });
  else await writeFile(path, `${JSON.stringify(record)}\n`, { mode: 0o600 });
}
