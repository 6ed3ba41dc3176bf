/**
 * {@link DenoKvStorage}: credentials in Deno KV, with a refresh lease built on KV's atomic
 * checks.
 *
 * Safe for many instances and processes: one instance at a time holds the lease and
 * refreshes, the others wait and read the result. Use it with Deno Deploy's KV or a KV
 * Connect URL (`Deno.openKv("https://…")`) for instances on many machines. A local SQLite
 * file (`Deno.openKv("./tokens.db")`) shared by processes on one machine works too, but
 * SQLite may answer "database is locked" under contention; the handler retries that a few
 * times with a short backoff. Open one `Deno.Kv` per process and share it.
 *
 * Every write can be a compare-and-set on the set's generation (`storeIf`, one atomic
 * operation checked on the entry's versionstamp), so a stale writer never overwrites a newer
 * set. A lease ends when released, or when its time to live passes without a renewal.
 *
 * Run with `--unstable-kv` (or `"unstable": ["kv"]` in `deno.json`).
 *
 * @example
 * ```ts
 * import { Authentication } from "@monzo-api/client";
 * import { DenoKvStorage } from "@monzo-api/client/handlers/deno-kv";
 *
 * const kv = await Deno.openKv();
 * const auth = await Authentication.fromStorage(new DenoKvStorage(kv), {
 *   clientId: "oauth2client_123",
 *   clientSecret: "secret",
 *   redirectUrl: "http://localhost:8000/callback",
 * });
 * ```
 *
 * @module
 */

import { type Credentials, Storage, type StorageLease, storedGeneration } from "../storage.ts";
import { checkCredentials, guard, inspectAsSummary, sleep } from "./_common.ts";
import { checkTtl, isLiveLease, leaseOwner, newLease } from "./_lease.ts";

/** A Deno KV key, as this handler uses them. */
export type DenoKvKey = readonly (string | number)[];

/**
 * What `kv.get()` resolves to: the value and its versionstamp (`null` when the key is
 * absent). `Deno.KvEntryMaybe` fits.
 */
export interface DenoKvEntryLike {
  /** The stored value, `null` when absent. */
  readonly value: unknown;
  /** The version of the entry, `null` when absent. */
  readonly versionstamp: string | null;
}

/**
 * The part of `Deno.AtomicOperation` this handler uses.
 *
 * @example
 * ```ts
 * import type { DenoKvAtomicLike } from "@monzo-api/client/handlers/deno-kv";
 *
 * const kv = await Deno.openKv(":memory:");
 * const op: DenoKvAtomicLike = kv.atomic();
 * await op.check({ key: ["a"], versionstamp: null }).set(["a"], 1).commit();
 * ```
 */
export interface DenoKvAtomicLike {
  /** Adds a check: the entry at `key` must have this versionstamp (`null`: absent). */
  check(
    ...checks: { readonly key: DenoKvKey; readonly versionstamp: string | null }[]
  ): DenoKvAtomicLike;
  /** Adds a write, optionally expiring after at least `expireIn` ms. */
  set(key: DenoKvKey, value: unknown, options?: { expireIn?: number }): DenoKvAtomicLike;
  /** Adds a delete. */
  delete(key: DenoKvKey): DenoKvAtomicLike;
  /** Applies the operation if every check holds; `ok` tells whether it did. */
  commit(): Promise<{ readonly ok: boolean }>;
}

/**
 * The part of `Deno.Kv` this handler uses, so that no Deno global types are needed. Pass a
 * `Deno.Kv` from `Deno.openKv()`.
 *
 * @example
 * ```ts
 * import type { DenoKvLike } from "@monzo-api/client/handlers/deno-kv";
 *
 * const kv: DenoKvLike = await Deno.openKv(":memory:");
 * console.log((await kv.get(["monzo-api", "credentials"])).versionstamp); // null
 * ```
 */
export interface DenoKvLike {
  /** Reads an entry. */
  get(key: DenoKvKey): Promise<DenoKvEntryLike>;
  /** Writes a value. */
  set(key: DenoKvKey, value: unknown): Promise<unknown>;
  /** Deletes a key. */
  delete(key: DenoKvKey): Promise<void>;
  /** Starts an atomic operation. */
  atomic(): DenoKvAtomicLike;
}

/** Options of {@link DenoKvStorage}. */
export interface DenoKvStorageOptions {
  /** Where the credentials live; `["monzo-api", "credentials"]` by default. The lease lives at this key plus `"lease"`. */
  key?: DenoKvKey;
}

const NAME = "DenoKvStorage";
const LOCKED_ATTEMPTS = 8;

/**
 * Stores credentials in Deno KV and coordinates refreshes between instances with a lease.
 *
 * @example Share one login between processes on one machine
 * ```ts
 * import { DenoKvStorage } from "@monzo-api/client/handlers/deno-kv";
 *
 * const storage = new DenoKvStorage(await Deno.openKv("./monzo.db"), { key: ["monzo", "me"] });
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
export class DenoKvStorage extends Storage {
  #kv: DenoKvLike;
  #key: DenoKvKey;
  #leaseKey: DenoKvKey;

  /**
   * Creates the handler over an open KV store.
   *
   * @param kv The store, from `Deno.openKv()`; share one per process.
   * @param options The key to store under.
   */
  constructor(kv: DenoKvLike, options: DenoKvStorageOptions = {}) {
    super();
    this.#kv = kv;
    this.#key = [...(options.key ?? ["monzo-api", "credentials"])];
    this.#leaseKey = [...this.#key, "lease"];
  }

  /**
   * Writes the credentials.
   *
   * @param credentials The new token set.
   */
  store(credentials: Credentials): Promise<void> {
    return this.#run("store", async () => {
      await this.#kv.set(this.#key, checkCredentials(credentials, NAME, "store"));
    });
  }

  /**
   * Writes the credentials if the stored generation is `expected`, in one atomic operation.
   *
   * @param credentials The new token set.
   * @param expected The generation that must be stored now, or `null` for none.
   * @returns Whether it was written.
   */
  override storeIf(credentials: Credentials, expected: number | null): Promise<boolean> {
    return this.#run("storeIf", async () => {
      const checked = checkCredentials(credentials, NAME, "storeIf");
      const entry = await this.#kv.get(this.#key);
      const stored = entry.versionstamp === null
        ? null
        : checkCredentials(entry.value, NAME, "storeIf");
      if (storedGeneration(stored) !== expected) return false;
      const { ok } = await this.#kv.atomic()
        .check({ key: this.#key, versionstamp: entry.versionstamp })
        .set(this.#key, checked)
        .commit();
      return ok;
    });
  }

  /**
   * Reads the credentials and checks their shape.
   *
   * @returns The credentials, or `null` when none are stored.
   */
  fetch(): Promise<Credentials | null> {
    return this.#run("fetch", async () => {
      const { value, versionstamp } = await this.#kv.get(this.#key);
      return versionstamp === null ? null : checkCredentials(value, NAME, "fetch");
    });
  }

  /** Deletes the credentials. */
  override clear(): Promise<void> {
    return this.#run("clear", () => this.#kv.delete(this.#key));
  }

  /**
   * Takes the lease when nobody holds it, or when its holder's time is up.
   *
   * @param ttlMs How long the lease lasts without a renewal.
   * @returns The lease, or `null` while another instance holds it.
   */
  override acquireLease(ttlMs: number): Promise<StorageLease | null> {
    return this.#run("acquireLease", async () => {
      const lease = newLease(ttlMs);
      const current = await this.#kv.get(this.#leaseKey);
      if (current.versionstamp !== null && isLiveLease(current.value)) return null;
      const { ok } = await this.#kv.atomic()
        .check({ key: this.#leaseKey, versionstamp: current.versionstamp })
        .set(this.#leaseKey, lease, { expireIn: checkTtl(ttlMs) })
        .commit();
      return ok
        ? {
          tookOver: current.versionstamp !== null,
          release: () => this.#release(lease.owner),
          renew: (ms: number) => this.#renew(lease.owner, ms),
        }
        : null;
    });
  }

  /**
   * A summary without secrets.
   *
   * @returns The handler's name and key.
   */
  toJSON(): { storage: string; key: DenoKvKey } {
    return { storage: NAME, key: [...this.#key] };
  }

  #renew(owner: string, ttlMs: number): Promise<boolean> {
    return this.#run("renew", async () => {
      const current = await this.#kv.get(this.#leaseKey);
      if (leaseOwner(current.value) !== owner || !isLiveLease(current.value)) return false;
      const ttl = checkTtl(ttlMs);
      const { ok } = await this.#kv.atomic()
        .check({ key: this.#leaseKey, versionstamp: current.versionstamp })
        .set(this.#leaseKey, { owner, expiresAt: Date.now() + ttl }, { expireIn: ttl })
        .commit();
      return ok;
    });
  }

  #release(owner: string): Promise<void> {
    return this.#run("release", async () => {
      const current = await this.#kv.get(this.#leaseKey);
      if (leaseOwner(current.value) !== owner) return;
      await this.#kv.atomic()
        .check({ key: this.#leaseKey, versionstamp: current.versionstamp })
        .delete(this.#leaseKey)
        .commit();
    });
  }

  #run<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return guard(NAME, operation, () => retryWhileLocked(run));
  }
}

inspectAsSummary(DenoKvStorage);

/** Retries SQLite's "database is locked" a few times; other errors pass through. */
async function retryWhileLocked<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await run();
    } catch (error) {
      const locked = error instanceof Error && error.message.includes("database is locked");
      if (!locked || attempt === LOCKED_ATTEMPTS) throw error;
      await sleep(Math.min(5 * 2 ** attempt, 250) * (0.5 + Math.random()));
    }
  }
}
