/**
 * {@link CloudflareKvStorage}: credentials in a Cloudflare Workers KV namespace.
 *
 * Not safe for many instances refreshing on their own, and every Worker invocation may be
 * one. Workers KV is eventually consistent (another location can read an old value for 60
 * seconds or more), accepts one write per second to a key, and has no compare-and-swap, so
 * this handler offers no lease (`acquireLease` is absent). Two isolates refreshing at once
 * would both spend the same single-use refresh token, and one of them would log the user
 * out. Instead, either:
 *
 * - keep the login in a Durable Object with `DurableObjectStorage`
 *   (`@monzo-api/client/handlers/durable-object`): strongly consistent, one operation at a
 *   time, a lease and a compare-and-set, so any request may refresh; or
 * - refresh in one scheduled Worker (a cron trigger, well before the six-hour expiry) and
 *   have the request-serving Workers only read the stored credentials.
 *
 * The credentials are stored without an expiration: the refresh token outlives the access
 * token. (Should you add one to the namespace yourself, Workers KV requires an
 * `expirationTtl` of at least 60 seconds.)
 *
 * @example A scheduled Worker that refreshes; request handlers only read
 * ```ts
 * import { Authentication } from "@monzo-api/client";
 * import {
 *   CloudflareKvStorage,
 *   type KVNamespaceLike,
 * } from "@monzo-api/client/handlers/cloudflare-kv";
 *
 * interface Env {
 *   TOKENS: KVNamespaceLike;
 *   MONZO_CLIENT_ID: string;
 *   MONZO_CLIENT_SECRET: string;
 * }
 *
 * export default {
 *   async scheduled(_event: unknown, env: Env): Promise<void> {
 *     const auth = await Authentication.fromStorage(new CloudflareKvStorage(env.TOKENS), {
 *       clientId: env.MONZO_CLIENT_ID,
 *       clientSecret: env.MONZO_CLIENT_SECRET,
 *       redirectUrl: "https://example.com/callback",
 *     });
 *     await auth.refreshAccessToken();
 *   },
 * };
 * ```
 *
 * @module
 */

import { type Credentials, Storage } from "../storage.ts";
import { checkCredentials, guard, inspectAsSummary, parseJson } from "./_common.ts";

/**
 * The part of a Workers KV binding (`KVNamespace`) this handler uses, so that no Workers
 * global types are needed. Pass the binding from `env`.
 *
 * @example
 * ```ts
 * import type { KVNamespaceLike } from "@monzo-api/client/handlers/cloudflare-kv";
 *
 * const map = new Map<string, string>();
 * const namespace: KVNamespaceLike = {
 *   get: (key) => Promise.resolve(map.get(key) ?? null),
 *   put: async (key, value) => void map.set(key, value),
 *   delete: async (key) => void map.delete(key),
 * };
 * ```
 */
export interface KVNamespaceLike {
  /** Reads a value as text; `null` when absent. */
  get(key: string, type: "text"): Promise<string | null>;
  /** Writes a value. */
  put(key: string, value: string): Promise<void>;
  /** Deletes a key. */
  delete(key: string): Promise<void>;
}

/** Options of {@link CloudflareKvStorage}. */
export interface CloudflareKvStorageOptions {
  /** The key to store under; `monzo-api:credentials` by default. */
  key?: string;
}

const NAME = "CloudflareKvStorage";

/**
 * Stores credentials as JSON in a Workers KV namespace. It has no lease: keep refreshes in
 * one place (see the module documentation).
 *
 * @example
 * ```ts
 * import {
 *   CloudflareKvStorage,
 *   type KVNamespaceLike,
 * } from "@monzo-api/client/handlers/cloudflare-kv";
 *
 * export default {
 *   async fetch(_request: Request, env: { TOKENS: KVNamespaceLike }): Promise<Response> {
 *     const stored = await new CloudflareKvStorage(env.TOKENS).fetch();
 *     return new Response(stored ? "logged in" : "not logged in");
 *   },
 * };
 * ```
 */
export class CloudflareKvStorage extends Storage {
  #namespace: KVNamespaceLike;
  #key: string;

  /**
   * Creates the handler over a KV binding.
   *
   * @param namespace The binding, for example `env.TOKENS`.
   * @param options The key to store under.
   */
  constructor(namespace: KVNamespaceLike, options: CloudflareKvStorageOptions = {}) {
    super();
    this.#namespace = namespace;
    this.#key = options.key ?? "monzo-api:credentials";
  }

  /**
   * Writes the credentials as JSON.
   *
   * @param credentials The new token set.
   */
  store(credentials: Credentials): Promise<void> {
    return guard(NAME, "store", async () => {
      const checked = checkCredentials(credentials, NAME, "store");
      await this.#namespace.put(this.#key, JSON.stringify(checked));
    });
  }

  /**
   * Reads the credentials and checks their shape.
   *
   * @returns The credentials, or `null` when none are stored.
   */
  fetch(): Promise<Credentials | null> {
    return guard(NAME, "fetch", async () => {
      const text = await this.#namespace.get(this.#key, "text");
      return text === null ? null : checkCredentials(parseJson(text, NAME, "fetch"), NAME, "fetch");
    });
  }

  /** Deletes the credentials. */
  override clear(): Promise<void> {
    return guard(NAME, "clear", () => this.#namespace.delete(this.#key));
  }

  /**
   * A summary without secrets.
   *
   * @returns The handler's name and key.
   */
  toJSON(): { storage: string; key: string } {
    return { storage: NAME, key: this.#key };
  }
}

inspectAsSummary(CloudflareKvStorage);
