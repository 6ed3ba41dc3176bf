/**
 * Where credentials live between runs: the {@link Storage} contract, the {@link Credentials}
 * it stores, and {@link MemoryStorage}.
 *
 * Every token write follows one rule set (see `docs/refreshing-tokens.md`):
 *
 * 1. Every token set has a `generation`: a refresh of generation g gives g + 1; a new login
 *    gives (the highest seen) + 1; a logout stores a tombstone (`loggedOut: true`) with the
 *    next generation. Newer means a higher generation, never a later expiry.
 * 2. A refreshed set or a logout's tombstone only replaces an older generation, and never a
 *    tombstone; a login replaces anything. Handlers that can compare and write atomically implement
 *    {@link Storage.storeIf}, and the rule then holds however many processes write.
 * 3. With {@link Storage.acquireLease}, one instance at a time refreshes, logs in or out.
 *
 * @module
 */

/**
 * A login, as handlers store it. `expiry` is the access token's expiry in unix seconds.
 * `refreshToken` is absent for non-confidential clients, which cannot refresh.
 *
 * Handlers store and return the whole object, fields they do not know included. This is
 * plain data meant for a store: keep it out of logs.
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
 *   generation: 1,
 * };
 * ```
 */
export interface Credentials {
  /** The bearer token sent to the API (empty on a logout tombstone). */
  accessToken: string;
  /** The OAuth client id (`oauth2client_…`). */
  clientId: string;
  /** The OAuth client secret (empty on a logout tombstone). */
  clientSecret: string;
  /** When the access token expires, in unix seconds. */
  expiry: number;
  /** The single-use refresh token, when the client is confidential. */
  refreshToken?: string;
  /**
   * The set's place in the login's history: +1 for every new set (refresh, login, logout).
   * Sets stored before generations existed have none and count as 0.
   */
  generation?: number;
  /** True on a logout tombstone: the login ended here, and only a new login replaces it. */
  loggedOut?: boolean;
}

/**
 * An exclusive right to refresh, log in or log out, held by one instance at a time. Taken
 * with {@link Storage.acquireLease}; it ends when released, or by itself once its time to
 * live passes without a renewal.
 *
 * @example
 * ```ts
 * import type { Storage } from "@monzo-api/client";
 * declare const storage: Storage;
 * const lease = await storage.acquireLease?.(20_000);
 * if (lease) {
 *   try {
 *     // refresh, then store; call lease.renew?.(20_000) while the work goes on
 *   } finally {
 *     await lease.release();
 *   }
 * }
 * ```
 */
export interface StorageLease {
  /**
   * Optional: `true` when this lease replaced one whose time ran out unreleased (its holder
   * crashed, or was paused and may still write), `false` when it was free. After such a
   * takeover, a refused refresh token waits for the former holder's set to appear. Absent:
   * unknown, taken as `true`.
   */
  readonly tookOver?: boolean;
  /** Gives the lease up so that another instance may take it. */
  release(): Promise<void>;
  /**
   * Optional: extends the lease to `ttlMs` from now (the holder's heartbeat).
   *
   * @returns `false` when the lease was lost (it expired and another instance took it).
   */
  renew?(ttlMs: number): Promise<boolean>;
}

/**
 * The contract for a credentials handler. Register one with
 * `Authentication.registerCallbackHandler`: every new token set is written through it
 * before it is used. A plain object with the same methods works too.
 *
 * - `store` and `fetch` are all a handler must have. With them alone, writes follow the
 *   generation rule on a best-effort basis (read, compare, then write): safe in one process,
 *   but two processes writing at the same instant can still overwrite each other.
 * - `storeIf` makes every write a compare-and-set on the generation: implement it when your
 *   store can compare and write in one atomic step (a transaction, a conditional put, a
 *   script).
 * - `acquireLease` lets many processes share one login: the holder refreshes, the others
 *   wait and read its result.
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
 *     const stored = this.#map.get("monzo");
 *     return stored ? { ...stored } : null;
 *   }
 *   async storeIf(credentials: Credentials, expected: number | null): Promise<boolean> {
 *     const stored = this.#map.get("monzo");
 *     if ((stored ? stored.generation ?? 0 : null) !== expected) return false;
 *     this.#map.set("monzo", { ...credentials });
 *     return true;
 *   }
 * }
 * ```
 */
export abstract class Storage {
  /**
   * Saves a token set, replacing what is stored. It must be durable when the promise
   * resolves: the previous refresh token no longer works.
   *
   * @param credentials The token set to keep, stored whole.
   */
  abstract store(credentials: Credentials): Promise<void>;

  /**
   * Reads what was stored last.
   *
   * @returns The credentials, or `null` when nothing is stored.
   */
  abstract fetch(): Promise<Credentials | null>;

  /**
   * Optional: the atomic compare-and-set. Writes `credentials` only when the stored set's
   * generation is `expected` (a stored set without one counts as 0; `null` means nothing is
   * stored), in one step that no other writer can interleave with.
   *
   * @param credentials The token set to keep, stored whole.
   * @param expected The generation that must be stored now, or `null` for none.
   * @returns `true` when written, `false` when the stored generation was another.
   */
  storeIf?(credentials: Credentials, expected: number | null): Promise<boolean>;

  /**
   * Optional: forgets the stored credentials altogether. `Authentication.logout` does not
   * call it (it stores a tombstone, which no stale writer can overwrite).
   */
  clear?(): Promise<void>;

  /**
   * Optional: takes the lease if no other instance holds a live one.
   *
   * @param ttlMs How long the lease lasts without a renewal.
   * @returns The lease, or `null` when another instance holds it.
   */
  acquireLease?(ttlMs: number): Promise<StorageLease | null>;
}

/**
 * The generation of a stored set for {@link Storage.storeIf}: `null` when nothing is
 * stored, 0 for a set stored before generations existed.
 *
 * @example
 * ```ts
 * import { storedGeneration } from "@monzo-api/client";
 * console.log(storedGeneration(null)); // null
 * ```
 *
 * @param stored What the store holds now.
 * @returns Its generation.
 */
export function storedGeneration(stored: Credentials | null | undefined): number | null {
  return stored ? stored.generation ?? 0 : null;
}

/**
 * Keeps credentials in memory: for tests and single-process scripts. Safe for many
 * `Authentication` instances in one process (atomic writes, an in-memory lease).
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
  #lease: { owner: symbol; until: number } | null = null;

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
   * Keeps a copy of the credentials if the stored generation is `expected`.
   *
   * @param credentials The token set to keep.
   * @param expected The generation that must be stored now, or `null` for none.
   * @returns Whether it was written.
   */
  override storeIf(credentials: Credentials, expected: number | null): Promise<boolean> {
    if (storedGeneration(this.#credentials) !== expected) return Promise.resolve(false);
    this.#credentials = { ...credentials };
    return Promise.resolve(true);
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
   * @param ttlMs How long the lease lasts without a renewal.
   * @returns The lease, or `null` while another holder has it.
   */
  override acquireLease(ttlMs: number): Promise<StorageLease | null> {
    if (this.#lease && this.#lease.until > Date.now()) return Promise.resolve(null);
    const tookOver = this.#lease !== null;
    const lease = { owner: Symbol("lease"), until: Date.now() + ttlMs };
    this.#lease = lease;
    const held = () => this.#lease?.owner === lease.owner;
    return Promise.resolve({
      tookOver,
      release: () => {
        if (held()) this.#lease = null;
        return Promise.resolve();
      },
      renew: (ms: number) => {
        if (!held() || this.#lease!.until <= Date.now()) return Promise.resolve(false);
        this.#lease!.until = Date.now() + ms;
        return Promise.resolve(true);
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
