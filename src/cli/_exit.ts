// The one place that runs before the CLI exits, whatever the command and however it ended.
//
// The login safety model (design.md, rule 5): the CLI never exits with an unsaved token set.
// Every Authentication the CLI creates is registered with `track`; `beforeExit` closes each
// (which stores a set not saved yet, or throws), and when a set is still unsaved (a full
// disk, say) writes a rescue copy, mode 0600, beside the credentials file, or in the temporary
// directory when that one cannot be written either, and says where it is.

import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Authentication } from "../authentication.ts";
import { MonzoStorageError } from "../errors.ts";

interface Tracked {
  /** The credentials file the login belongs to. */
  path: string;
  clientSecret: string;
}

const open = new Map<Authentication, Tracked>();

/** Registers an Authentication to settle before the CLI exits. */
export function track(auth: Authentication, login: Tracked): void {
  open.set(auth, login);
}

/**
 * Settles every tracked Authentication. Errors are returned as lines for stderr, never
 * thrown.
 */
export async function beforeExit(): Promise<string[]> {
  const problems: string[] = [];
  for (const [auth, login] of open) {
    try {
      await auth.close();
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
      if (error instanceof MonzoStorageError && auth.accessToken) {
        problems.push(await rescue(auth, login));
      }
    }
  }
  open.clear();
  return problems;
}

/** Writes the unsaved set as a credentials file (0600) and says how to put it back. */
async function rescue(auth: Authentication, login: Tracked): Promise<string> {
  const credentials = {
    accessToken: auth.accessToken,
    clientId: auth.clientId,
    clientSecret: login.clientSecret,
    expiry: auth.accessTokenExpiry,
    refreshToken: auth.refreshToken,
    generation: auth.generation,
  };
  const name = `monzo-rescue-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
  for (const dir of [dirname(login.path), tmpdir()]) {
    const path = join(dir, name);
    try {
      await writeFile(path, `${JSON.stringify(credentials, null, 2)}\n`, {
        mode: 0o600,
        flag: "wx",
      });
      return `The newest login could not be saved to ${login.path}; a rescue copy is at ` +
        `${path} (readable by you only). Once there is room, move it over ${login.path}; ` +
        "without it you will have to log in again.";
    } catch {
      // Try the next place.
    }
  }
  return "The newest login could not be saved anywhere: you will have to log in again.";
}
