/**
 * {@link RedisStorage}: one login shared by processes on many machines, in Redis.
 *
 * Safe for many instances, processes and machines: every write of a refreshed set is a
 * compare-and-set on its generation, done by one Lua script (Redis runs a script atomically),
 * and the refresh lease is a key taken with `SET … NX PX`, renewed and released by its owner
 * only (Lua scripts again), and ended by its time to live if its holder dies. Keep Redis
 * durable (`appendonly yes`, ideally `appendfsync always`): a refreshed set that Redis forgets
 * is a lost login, since the refresh token it replaced no longer works.
 *
 * The handler talks to Redis through {@link RedisLike}, one method
 * `send(command, args)`. Bun's built-in `RedisClient` has it; for the others it is one line:
 *
 * ```ts
 * import type { RedisLike } from "@monzo-api/client/handlers/redis";
 *
 * declare const nodeRedis: { sendCommand(args: string[]): Promise<unknown> };
 * declare const ioredis: { call(command: string, ...args: string[]): Promise<unknown> };
 *
 * // Bun: `new RedisClient(url)` (from "bun") is a RedisLike as it is.
 * const viaNodeRedis: RedisLike = { send: (c, a) => nodeRedis.sendCommand([c, ...a]) };
 * const viaIoredis: RedisLike = { send: (c, a) => ioredis.call(c, ...a) };
 * ```
 *
 * Let a command fail at once while the connection is down rather than wait in the client's
 * offline queue (Bun: `enableOfflineQueue: false`; node-redis: `disableOfflineQueue: true`;
 * ioredis: `enableOfflineQueue: false`): the call then fails with a `MonzoStorageError`, no
 * token is requested without the lease, and the next call works once Redis is back.
 *
 * Errors never quote what was sent: Redis may echo a command's arguments in its answers,
 * so the handler keeps only the part of a message before any quoted text, and no cause.
 *
 * @example Bun
 * ```ts ignore
 * import { RedisClient } from "bun";
 * import { Authentication } from "@monzo-api/client";
 * import { RedisStorage } from "@monzo-api/client/handlers/redis";
 *
 * const redis = new RedisClient(process.env.REDIS_URL, { enableOfflineQueue: false });
 * const auth = await Authentication.fromStorage(new RedisStorage(redis), {
 *   clientId: "oauth2client_123",
 *   clientSecret: "secret",
 *   redirectUrl: "http://localhost:8000/callback",
 * });
 * ```
 *
 * @example Node or Deno with node-redis
 * ```ts
 * import { createClient } from "redis";
 * import { RedisStorage } from "@monzo-api/client/handlers/redis";
 *
 * const client = await createClient({ url: "redis://localhost:6379", disableOfflineQueue: true })
 *   .on("error", () => {}) // reconnects by itself; calls fail meanwhile
 *   .connect();
 * const storage = new RedisStorage({ send: (c, a) => client.sendCommand([c, ...a]) });
 * ```
 *
 * @module
 */

import { MonzoArgumentError, MonzoError, MonzoStorageError } from "../errors.ts";
import { type Credentials, Storage, type StorageLease } from "../storage.ts";
import { checkCredentials, inspectAsSummary, parseJson } from "./_common.ts";
import { RELEASE, RENEW, STORE_IF } from "./_redis_scripts.ts";
import { checkExpected } from "./_expected.ts";
import { checkTtl } from "./_lease.ts";

/**
 * A Redis connection, as this handler uses it: one method that sends a command with its
 * arguments and resolves to Redis' answer (a string, a number or `null` here). Bun's
 * `RedisClient` is one; wrap node-redis or ioredis in one line (see the module docs).
 *
 * @example node-redis
 * ```ts
 * import { createClient } from "redis";
 * import type { RedisLike } from "@monzo-api/client/handlers/redis";
 *
 * const client = await createClient({ disableOfflineQueue: true }).connect();
 * const redis: RedisLike = { send: (command, args) => client.sendCommand([command, ...args]) };
 * ```
 */
export interface RedisLike {
  /** Sends `command` with `args` and resolves to the reply; rejects with Redis' error. */
  send(command: string, args: string[]): Promise<unknown>;
}

/** Options of {@link RedisStorage}. */
export interface RedisStorageOptions {
  /**
   * The hash holding the credentials (fields `credentials`, the JSON, and `generation`).
   * The lease lives at this key plus `:lease`.
   *
   * @default "monzo-api:credentials"
   */
  key?: string;
}

const NAME = "RedisStorage";

/**
 * Stores credentials in Redis, writes refreshed sets with an atomic compare-and-set, and
 * coordinates refreshes between instances with a lease.
 *
 * @example Share one login between servers
 * ```ts
 * import { RedisStorage, type RedisLike } from "@monzo-api/client/handlers/redis";
 *
 * declare const redis: RedisLike; // Bun's RedisClient, or a one-line adapter
 * const storage = new RedisStorage(redis, { key: "monzo:me" });
 * const lease = await storage.acquireLease(20_000);
 * if (lease) {
 *   try {
 *     console.log((await storage.fetch())?.generation);
 *   } finally {
 *     await lease.release();
 *   }
 * }
 * ```
 */
export class RedisStorage extends Storage {
  #redis: RedisLike;
  #key: string;
  #leaseKey: string;

  /**
   * Creates the handler over a Redis connection.
   *
   * @param redis The connection: Bun's `RedisClient`, or an adapter of node-redis or ioredis.
   * @param options The key to store under.
   */
  constructor(redis: RedisLike, options: RedisStorageOptions = {}) {
    super();
    if (typeof redis?.send !== "function") {
      throw new MonzoArgumentError("redis", "must have a send(command, args) method");
    }
    const key = options.key ?? "monzo-api:credentials";
    if (typeof key !== "string" || key === "") {
      throw new MonzoArgumentError("options.key", "must be a non-empty string");
    }
    this.#redis = redis;
    this.#key = key;
    this.#leaseKey = `${key}:lease`;
  }

  /**
   * Writes the credentials, whatever is stored (a login or a logout).
   *
   * @param credentials The new token set, stored whole.
   */
  store(credentials: Credentials): Promise<void> {
    return this.#run("store", async () => {
      const whole = checkCredentials(credentials, NAME, "store");
      await this.#send("HSET", [
        this.#key,
        "credentials",
        JSON.stringify(whole),
        "generation",
        String(whole.generation ?? 0),
      ]);
    });
  }

  /**
   * Writes the credentials only when the stored generation is `expected`, in one script.
   *
   * @param credentials The new token set, stored whole.
   * @param expected The generation that must be stored now, or `null` for none.
   * @returns Whether it was written.
   */
  override storeIf(credentials: Credentials, expected: number | null): Promise<boolean> {
    return this.#run("storeIf", async () => {
      checkExpected(expected);
      const whole = checkCredentials(credentials, NAME, "storeIf");
      const written = await this.#send("EVAL", [
        STORE_IF,
        "1",
        this.#key,
        JSON.stringify(whole),
        expected === null ? "" : String(expected),
        String(whole.generation ?? 0),
      ]);
      return Number(written) === 1;
    });
  }

  /**
   * Reads the credentials and checks their shape.
   *
   * @returns The whole stored object, or `null` when none is stored.
   */
  fetch(): Promise<Credentials | null> {
    return this.#run("fetch", async () => {
      const text = await this.#send("HGET", [this.#key, "credentials"]);
      if (text === null || text === undefined) return null;
      if (typeof text !== "string") throw new Error("the stored content is not text");
      return checkCredentials(parseJson(text, NAME, "fetch"), NAME, "fetch");
    });
  }

  /** Deletes the credentials (not the lease). */
  override clear(): Promise<void> {
    return this.#run("clear", async () => {
      await this.#send("DEL", [this.#key]);
    });
  }

  /**
   * Takes the lease (`SET <key>:lease <owner> NX PX <ttl>`) when nobody holds a live one.
   *
   * @param ttlMs How long the lease lasts without a renewal.
   * @returns The lease, or `null` while another instance holds it.
   */
  override acquireLease(ttlMs: number): Promise<StorageLease | null> {
    return this.#run("acquireLease", async () => {
      const ttl = checkTtl(ttlMs);
      const owner = crypto.randomUUID();
      const taken = await this.#send("SET", [this.#leaseKey, owner, "NX", "PX", String(ttl)]);
      if (taken === null || taken === undefined) return null;
      return {
        release: () =>
          this.#run("release", async () => {
            await this.#send("EVAL", [RELEASE, "1", this.#leaseKey, owner]);
          }),
        renew: (ms: number) =>
          this.#run("renew", async () => {
            const next = checkTtl(ms);
            return Number(
              await this.#send("EVAL", [RENEW, "1", this.#leaseKey, owner, `${next}`]),
            ) ===
              1;
          }),
      };
    });
  }

  /**
   * A summary without secrets.
   *
   * @returns The handler's name and key.
   */
  toJSON(): { storage: string; key: string } {
    return { storage: NAME, key: this.#key };
  }

  #send(command: string, args: string[]): Promise<unknown> {
    return this.#redis.send(command, args);
  }

  /** Runs an operation; any failure that is not already ours becomes a scrubbed storage error. */
  async #run<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof MonzoError) throw error;
      throw new MonzoStorageError(`${NAME}.${operation}() failed: ${scrub(error)}`, {
        params: { handler: NAME, operation },
      });
    }
  }
}

inspectAsSummary(RedisStorage);

/**
 * What may be said of a client's or Redis' error: its message up to any quoted text, an
 * argument list or a JSON value (Redis quotes the arguments of a refused command), and its
 * code when it is a plain word such as `ECONNREFUSED`.
 */
function scrub(error: unknown): string {
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : "";
  const safe = message.split("\n")[0].split(/['"`{[]|\bargs?\b/)[0].replace(/[\s:,]+$/, "")
    .slice(0, 160);
  const code = (error as { code?: unknown } | null)?.code;
  const suffix = typeof code === "string" && /^[A-Z][A-Z0-9_]*$/.test(code) ? ` (${code})` : "";
  return `${safe || (error instanceof Error ? error.name : "unknown error")}${suffix}`;
}
