/**
 * {@link BunFileStorage}: credentials in a JSON file (mode 0600), replaced atomically, with
 * a refresh lease held as a lock file beside it.
 *
 * Safe for many instances and processes on one machine: the lock file (`<path>.lock`,
 * created exclusively, never seen half written) lets one process at a time refresh; it lives
 * by its time to live, renewed by its holder. Every write can be a compare-and-set on the
 * set's generation (`storeIf`: read, compare and rename under a short guard file), so a stale
 * writer never overwrites a newer set. It is not for machines sharing a network file system.
 * Named for Bun, it only needs `node:fs`, so it works in any runtime that has it (Bun, Deno,
 * Node).
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

import { readFile, rm } from "node:fs/promises";
import { MonzoArgumentError } from "../errors.ts";
import { type Credentials, Storage, type StorageLease, storedGeneration } from "../storage.ts";
import { checkCredentials, guard, inspectAsSummary, parseJson } from "./_common.ts";
import { replaceFile, replaceFileIf } from "./_atomic_file.ts";
import { acquireFileLock, errorCode, underGuard } from "./_file_lock.ts";

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

  /**
   * Creates the handler. Nothing is read or written until the first call.
   *
   * @param path The JSON file; its directory must exist.
   * @throws {MonzoArgumentError} When `path` is empty.
   */
  constructor(path: string) {
    super();
    if (typeof path !== "string" || path === "") {
      throw new MonzoArgumentError("path", "must be a non-empty string");
    }
    this.#path = path;
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
   * Replaces the file with the credentials if the stored generation is `expected`: the new
   * file is written and flushed first, then read, compare and rename happen under a guard
   * file (held for a moment), so that no other writer gets in between.
   *
   * @param credentials The new token set.
   * @param expected The generation that must be stored now, or `null` for none.
   * @returns Whether it was written.
   */
  override storeIf(credentials: Credentials, expected: number | null): Promise<boolean> {
    return guard(NAME, "storeIf", async () => {
      const checked = checkCredentials(credentials, NAME, "storeIf");
      return await replaceFileIf(
        this.#path,
        `${JSON.stringify(checked, null, 2)}\n`,
        (commit) =>
          underGuard(`${this.#path}.guard`, async () => {
            if (storedGeneration(await readCredentials(this.#path, "storeIf")) !== expected) {
              return false;
            }
            await commit();
            return true;
          }),
      );
    });
  }

  /**
   * Reads the file and checks its content.
   *
   * @returns The credentials, or `null` when the file does not exist.
   */
  fetch(): Promise<Credentials | null> {
    return guard(NAME, "fetch", () => readCredentials(this.#path, "fetch"));
  }

  /** Deletes the file. */
  override clear(): Promise<void> {
    return guard(NAME, "clear", () => rm(this.#path, { force: true }));
  }

  /**
   * Takes the lease by creating `<path>.lock`, or by taking over one whose time ran out.
   *
   * @param ttlMs How long the lease lasts without a renewal.
   * @returns The lease, or `null` while another process holds it.
   */
  override async acquireLease(ttlMs: number): Promise<StorageLease | null> {
    const lease = await guard(
      NAME,
      "acquireLease",
      () => acquireFileLock(`${this.#path}.lock`, ttlMs),
    );
    return lease && {
      tookOver: lease.tookOver,
      release: () => guard(NAME, "release", () => lease.release()),
      renew: (ms: number) => guard(NAME, "renew", () => lease.renew!(ms)),
    };
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

/** Reads and checks a credentials file; `null` when it does not exist. */
async function readCredentials(path: string, operation: string): Promise<Credentials | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return null;
    throw error;
  }
  return checkCredentials(parseJson(text, NAME, operation), NAME, operation);
}
