/**
 * Where credentials live between runs: the {@link Storage} contract, the {@link Credentials}
 * it stores, and {@link MemoryStorage}.
 *
 * @module
 */

/**
 * A login, as handlers store it. `expiry` is the access token's expiry in unix seconds.
 * `refreshToken` is absent for non-confidential clients, which cannot refresh.
 *
 * This is plain data meant for a store: keep it out of logs.
 *
 * @example
 * ```ts
 * import type { Credentials } from "@monzo-api/client";
 * const credentials: Credentials = {
 *   accessToken: "access",
 *   clientId: "oauth2client_123",
 *   clientSecret: "secret",
 *   expiry: Math.floor(Date.now() / 1000) + 3600,
 *   refreshToken: "refresh",
 * };
 * ```
 */
export interface Credentials {
  /** The bearer token sent to the API. */
  accessToken: string;
  /** The OAuth client id (`oauth2client_…`). */
  clientId: string;
  /** The OAuth client secret. */
  clientSecret: string;
  /** When the access token expires, in unix seconds. */
  expiry: number;
  /** The single-use refresh token, when the client is confidential. */
  refreshToken?: string;
}

/**
 * An exclusive right to refresh, held by one instance at a time. Taken with
 * {@link Storage.acquireLease}; it ends by itself after its time to live.
 *
 * @example
 * ```ts
 * import type { Storage } from "@monzo-api/client";
 * declare const storage: Storage;
 * const lease = await storage.acquireLease?.(40_000);
 * if (lease) {
 *   try {
 *     // refresh, then store
 *   } finally {
 *     await lease.release();
 *   }
 * }
 * ```
 */
export interface StorageLease {
  /** Gives the lease up so that another instance may refresh. */
  release(): Promise<void>;
}

/**
 * The contract for a credentials handler. Register one with
 * `Authentication.registerCallbackHandler`: every new token set is awaited through `store()`
 * before it is used. A plain object with the same methods works too.
 *
 * `acquireLease` is what lets many processes share one login: the instance holding the lease
 * refreshes, the others wait, then read the stored result with `fetch()`. Handlers that
 * cannot lock leave it out and are safe in one process only.
 *
 * @example A handler over a `Map`
 * ```ts
 * import { type Credentials, Storage } from "@monzo-api/client";
 *
 * class MapStorage extends Storage {
 *   #map = new Map<string, Credentials>();
 *   async store(credentials: Credentials): Promise<void> {
 *     this.#map.set("monzo", { ...credentials });
 *   }
 *   async fetch(): Promise<Credentials | null> {
 *     return this.#map.get("monzo") ?? null;
 *   }
 * }
 * ```
 */
export abstract class Storage {
  /**
   * Saves a new token set. It must be durable when the promise resolves: the previous
   * refresh token no longer works.
   *
   * @param credentials The token set to keep.
   */
  abstract store(credentials: Credentials): Promise<void>;

  /**
   * Reads what was stored last.
   *
   * @returns The credentials, or `null` when nothing is stored.
   */
  abstract fetch(): Promise<Credentials | null>;

  /**
   * Optional: forgets the stored credentials (called by `Authentication.logout`).
   */
  clear?(): Promise<void>;

  /**
   * Optional: takes the refresh lease if no other instance holds it.
   *
   * @param ttlMs How long the lease lasts if it is never released.
   * @returns The lease, or `null` when another instance holds it.
   */
  acquireLease?(ttlMs: number): Promise<StorageLease | null>;
}

/**
 * Keeps credentials in memory: for tests and single-process scripts. Safe for many
 * `Authentication` instances in one process (its lease is an in-memory lock).
 *
 * @example
 * ```ts
 * import { Authentication, MemoryStorage } from "@monzo-api/client";
 *
 * const storage = new MemoryStorage();
 * const auth = new Authentication({
 *   clientId: "oauth2client_123",
 *   clientSecret: "secret",
 *   redirectUrl: "http://localhost:8000/callback",
 * });
 * auth.registerCallbackHandler(storage);
 * ```
 */
export class MemoryStorage extends Storage {
  #credentials: Credentials | null;
  #leaseUntil = 0;

  /**
   * Creates the storage, optionally holding a login already.
   *
   * @param initial Credentials to start with.
   */
  constructor(initial: Credentials | null = null) {
    super();
    this.#credentials = initial ? { ...initial } : null;
  }

  /**
   * Keeps a copy of the credentials.
   *
   * @param credentials The token set to keep.
   */
  store(credentials: Credentials): Promise<void> {
    this.#credentials = { ...credentials };
    return Promise.resolve();
  }

  /**
   * Returns a copy of what was stored last.
   *
   * @returns The credentials, or `null`.
   */
  fetch(): Promise<Credentials | null> {
    return Promise.resolve(this.#credentials ? { ...this.#credentials } : null);
  }

  /** Forgets the credentials. */
  override clear(): Promise<void> {
    this.#credentials = null;
    return Promise.resolve();
  }

  /**
   * Takes the in-memory lease.
   *
   * @param ttlMs How long the lease lasts if never released.
   * @returns The lease, or `null` while another holder has it.
   */
  override acquireLease(ttlMs: number): Promise<StorageLease | null> {
    const now = Date.now();
    if (this.#leaseUntil > now) return Promise.resolve(null);
    const until = now + ttlMs;
    this.#leaseUntil = until;
    return Promise.resolve({
      release: () => {
        if (this.#leaseUntil === until) this.#leaseUntil = 0;
        return Promise.resolve();
      },
    });
  }

  /**
   * A summary without secrets.
   *
   * @returns A short description.
   */
  toJSON(): { storage: string; stored: boolean } {
    return { storage: "MemoryStorage", stored: this.#credentials !== null };
  }
}
