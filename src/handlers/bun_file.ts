/**
 * {@link BunFileStorage}: credentials in a JSON file (mode 0600), replaced atomically, with
 * a refresh lease held as a lock file beside it.
 *
 * Safe for many instances and processes on one machine: the lock file (`<path>.lock`,
 * created exclusively, never seen half written) lets one process at a time refresh. A lock
 * whose process no longer runs (killed mid-refresh) is taken over at once. It is not for machines sharing a
 * network file system. Named for Bun, it only needs `node:fs`, so it works in any runtime
 * that has it (Bun, Deno, Node).
 *
 * Each store writes a temporary file in the same directory (`.<name>.<uuid>.tmp`, mode
 * 0600), flushes it to disk and renames it over the target: a crash at any moment leaves
 * either the old or the new complete file. A process killed mid-write can leave its
 * temporary file behind.
 *
 * @example
 * ```ts
 * import { Authentication } from "@monzo-api/client";
 * import { BunFileStorage } from "@monzo-api/client/handlers/bun-file";
 *
 * const auth = await Authentication.fromStorage(new BunFileStorage("./monzo-tokens.json"), {
 *   clientId: "oauth2client_123",
 *   clientSecret: "secret",
 *   redirectUrl: "http://localhost:8000/callback",
 * });
 * ```
 *
 * @module
 */

import { chmod, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { MonzoArgumentError } from "../errors.ts";
import { type Credentials, Storage, type StorageLease } from "../storage.ts";
import { checkCredentials, guard, inspectAsSummary, parseJson } from "./_common.ts";
import { acquireFileLock, errorCode } from "./_file_lock.ts";

/** Options of {@link BunFileStorage}. */
export interface BunFileStorageOptions {
  /**
   * A lock file older than this is stale whatever its `expiresAt` says (this also clears a
   * lock left empty by a crash). Keep it above the lease's time to live. 300 000 ms (five
   * minutes) by default.
   */
  lockStaleMs?: number;
}

const NAME = "BunFileStorage";

/**
 * Stores credentials in a JSON file readable by its owner only, and coordinates refreshes
 * between processes with a lock file.
 *
 * @example Take the lease by hand
 * ```ts
 * import { BunFileStorage } from "@monzo-api/client/handlers/bun-file";
 *
 * const storage = new BunFileStorage("./monzo-tokens.json");
 * const lease = await storage.acquireLease(30_000);
 * if (lease) {
 *   try {
 *     console.log(await storage.fetch());
 *   } finally {
 *     await lease.release();
 *   }
 * }
 * ```
 */
export class BunFileStorage extends Storage {
  #path: string;
  #lockStaleMs: number;

  /**
   * Creates the handler. Nothing is read or written until the first call.
   *
   * @param path The JSON file; its directory must exist.
   * @param options When a lock file counts as stale.
   * @throws {MonzoArgumentError} When `path` is empty or `lockStaleMs` is not positive.
   */
  constructor(path: string, options: BunFileStorageOptions = {}) {
    super();
    const lockStaleMs = options.lockStaleMs ?? 300_000;
    if (typeof lockStaleMs !== "number" || !(lockStaleMs > 0)) {
      throw new MonzoArgumentError(
        "options.lockStaleMs",
        "must be a positive number of milliseconds",
      );
    }
    if (typeof path !== "string" || path === "") {
      throw new MonzoArgumentError("path", "must be a non-empty string");
    }
    this.#path = path;
    this.#lockStaleMs = lockStaleMs;
  }

  /**
   * Replaces the file with the credentials, atomically, mode 0600.
   *
   * @param credentials The new token set.
   */
  store(credentials: Credentials): Promise<void> {
    return guard(NAME, "store", async () => {
      const checked = checkCredentials(credentials, NAME, "store");
      await replaceFile(this.#path, `${JSON.stringify(checked, null, 2)}\n`);
    });
  }

  /**
   * Reads the file and checks its content.
   *
   * @returns The credentials, or `null` when the file does not exist.
   */
  fetch(): Promise<Credentials | null> {
    return guard(NAME, "fetch", async () => {
      let text: string;
      try {
        text = await readFile(this.#path, "utf8");
      } catch (error) {
        if (errorCode(error) === "ENOENT") return null;
        throw error;
      }
      return checkCredentials(parseJson(text, NAME, "fetch"), NAME, "fetch");
    });
  }

  /** Deletes the file. */
  override clear(): Promise<void> {
    return guard(NAME, "clear", () => rm(this.#path, { force: true }));
  }

  /**
   * Takes the refresh lease by creating `<path>.lock`, or by taking over a stale one.
   *
   * @param ttlMs How long the lease lasts if it is never released.
   * @returns The lease, or `null` while another process holds it.
   */
  override async acquireLease(ttlMs: number): Promise<StorageLease | null> {
    const lease = await guard(
      NAME,
      "acquireLease",
      () => acquireFileLock(`${this.#path}.lock`, ttlMs, this.#lockStaleMs),
    );
    return lease && { release: () => guard(NAME, "release", () => lease.release()) };
  }

  /**
   * A summary without secrets.
   *
   * @returns The handler's name and file path.
   */
  toJSON(): { storage: string; path: string } {
    return { storage: NAME, path: this.#path };
  }
}

inspectAsSummary(BunFileStorage);

/** Writes a temporary file beside `path`, flushes it, then renames it over `path`. */
async function replaceFile(path: string, text: string): Promise<void> {
  const directory = dirname(path);
  const temp = join(directory, `.${basename(path)}.${crypto.randomUUID()}.tmp`);
  try {
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, 0o600); // in case the file system ignored the mode
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(directory);
}

/** Flushes a directory entry (the rename) to disk, where the platform allows it. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not every platform can open or fsync a directory; the rename itself is still atomic.
  }
}
