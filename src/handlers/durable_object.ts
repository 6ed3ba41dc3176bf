/**
 * One login shared by every Worker isolate: {@link MonzoTokens}, a Durable Object that holds
 * the credentials, and {@link DurableObjectStorage}, the handler a Worker uses to reach it
 * from any request.
 *
 * Safe for any number of requests in any number of isolates and locations. All of them talk
 * to one object (one per login, found by name), which runs one operation at a time on its
 * strongly consistent storage: the compare-and-set of a refreshed set on its generation and
 * the refresh lease (taken, renewed and released by owner id, ended by its time to live)
 * both happen inside the object, so no two callers can interleave. One request refreshes;
 * the others wait for the lease and adopt what it stored. (Workers KV cannot do this: it is
 * eventually consistent and has no compare-and-set.)
 *
 * Bind the class in `wrangler.toml` and export it from the Worker:
 *
 * ```toml
 * [[durable_objects.bindings]]
 * name = "MONZO_TOKENS"
 * class_name = "MonzoTokens"
 *
 * [[migrations]]
 * tag = "v1"
 * new_sqlite_classes = ["MonzoTokens"]
 * ```
 *
 * @example A Worker whose every request may refresh
 * ```ts
 * import { Authentication, Monzo } from "@monzo-api/client";
 * import {
 *   type DurableObjectNamespaceLike,
 *   DurableObjectStorage,
 * } from "@monzo-api/client/handlers/durable-object";
 *
 * export { MonzoTokens } from "@monzo-api/client/handlers/durable-object";
 *
 * interface Env {
 *   MONZO_TOKENS: DurableObjectNamespaceLike;
 *   MONZO_CLIENT_ID: string;
 *   MONZO_CLIENT_SECRET: string;
 * }
 *
 * export default {
 *   async fetch(_request: Request, env: Env): Promise<Response> {
 *     const auth = await Authentication.fromStorage(new DurableObjectStorage(env.MONZO_TOKENS), {
 *       clientId: env.MONZO_CLIENT_ID,
 *       clientSecret: env.MONZO_CLIENT_SECRET,
 *       redirectUrl: "https://example.com/callback",
 *     });
 *     return Response.json(await new Monzo(auth).whoAmI());
 *   },
 * };
 * ```
 *
 * @module
 */

import { MonzoArgumentError } from "../errors.ts";
import { type Credentials, Storage, type StorageLease, storedGeneration } from "../storage.ts";
import { checkCredentials, guard, inspectAsSummary, parseJson } from "./_common.ts";
import { checkExpected } from "./_expected.ts";
import { checkTtl } from "./_lease.ts";

/**
 * The part of a Durable Object's `ctx` (`DurableObjectState`) that {@link MonzoTokens}
 * uses, so that no Workers global types are needed.
 *
 * @example
 * ```ts
 * import type { DurableObjectStateLike } from "@monzo-api/client/handlers/durable-object";
 *
 * const map = new Map<string, unknown>();
 * const ctx: DurableObjectStateLike = {
 *   storage: {
 *     get: (key) => Promise.resolve(map.get(key)),
 *     put: async (key, value) => void map.set(key, value),
 *     delete: (key) => Promise.resolve(map.delete(key)),
 *   },
 * };
 * ```
 */
export interface DurableObjectStateLike {
  /** The object's transactional storage. */
  readonly storage: {
    /** Reads a value; `undefined` when absent. */
    get(key: string): Promise<unknown>;
    /** Writes a value. */
    put(key: string, value: unknown): Promise<void>;
    /** Deletes a key. */
    delete(key: string): Promise<boolean>;
  };
}

/**
 * The part of a Durable Object stub that {@link DurableObjectStorage} uses.
 *
 * @example
 * ```ts
 * import type { DurableObjectStubLike } from "@monzo-api/client/handlers/durable-object";
 *
 * const stub: DurableObjectStubLike = { fetch: (url, init) => fetch(url, init) };
 * ```
 */
export interface DurableObjectStubLike {
  /** Sends a request to the object. */
  fetch(url: string, init: RequestInit): Promise<Response>;
}

/**
 * The part of a Durable Object namespace binding (`DurableObjectNamespace`) that
 * {@link DurableObjectStorage} uses. Pass the binding from `env`.
 *
 * @example
 * ```ts
 * import type { DurableObjectNamespaceLike } from "@monzo-api/client/handlers/durable-object";
 *
 * declare const env: { MONZO_TOKENS: DurableObjectNamespaceLike };
 * const stub = env.MONZO_TOKENS.get(env.MONZO_TOKENS.idFromName("monzo-api:credentials"));
 * ```
 */
export interface DurableObjectNamespaceLike {
  /** The id of the object with this name (always the same object for a name). */
  idFromName(name: string): unknown;
  /** A stub of the object with this id. */
  get(id: unknown): DurableObjectStubLike;
}

/** Options of {@link DurableObjectStorage}. */
export interface DurableObjectStorageOptions {
  /**
   * The name of the object holding this login (`idFromName`): one object per login.
   *
   * @default "monzo-api:credentials"
   */
  key?: string;
}

/** The lease as the object keeps it. */
interface Lease {
  owner: string;
  expiresAt: number;
}

/** What the handler asks the object, and what it answers. */
type Operation =
  | { op: "fetch" }
  | { op: "store"; credentials: Credentials }
  | { op: "storeIf"; credentials: Credentials; expected: number | null }
  | { op: "clear" }
  | { op: "acquire"; ttlMs: number }
  | { op: "renew"; owner: string; ttlMs: number }
  | { op: "release"; owner: string };

const NAME = "DurableObjectStorage";
const OBJECT = "MonzoTokens";
const CREDENTIALS = "credentials";
const LEASE = "lease";

/**
 * The Durable Object that holds one login. Export it from your Worker and bind it in
 * `wrangler.toml` (see the module documentation); Workers reach it through
 * {@link DurableObjectStorage}. It answers one operation at a time, in arrival order.
 *
 * @example
 * ```ts
 * // worker.ts: the class must be exported by the Worker's main module.
 * export { MonzoTokens } from "@monzo-api/client/handlers/durable-object";
 * ```
 */
export class MonzoTokens {
  #storage: DurableObjectStateLike["storage"];
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * Called by the Workers runtime.
   *
   * @param ctx The object's state (its storage).
   * @param _env The Worker's bindings (unused).
   */
  constructor(ctx: DurableObjectStateLike, _env?: unknown) {
    this.#storage = ctx.storage;
  }

  /**
   * Answers one operation of {@link DurableObjectStorage}: a `POST` whose JSON body names
   * the operation. Errors name what failed, never a stored value.
   *
   * @param request The request from the handler.
   * @returns `{ "value": … }`, or `{ "error": "…" }` with status 400.
   */
  async fetch(request: Request): Promise<Response> {
    let operation: Operation;
    try {
      operation = await request.json();
    } catch {
      return Response.json({ error: "the request is not an operation" }, { status: 400 });
    }
    const run = () => this.#apply(operation);
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => {});
    try {
      return Response.json({ value: await result });
    } catch (error) {
      return Response.json({ error: error instanceof Error ? error.message : "failed" }, {
        status: 400,
      });
    }
  }

  /** One operation, run alone. */
  async #apply(operation: Operation): Promise<unknown> {
    const storage = this.#storage;
    switch (operation?.op) {
      case "fetch":
        return (await storage.get(CREDENTIALS)) ?? null;
      case "store":
        await storage.put(CREDENTIALS, checkCredentials(operation.credentials, OBJECT, "store"));
        return null;
      case "storeIf": {
        checkExpected(operation.expected);
        const credentials = checkCredentials(operation.credentials, OBJECT, "storeIf");
        const stored = (await storage.get(CREDENTIALS)) as Credentials | undefined;
        if (storedGeneration(stored) !== operation.expected) return false;
        await storage.put(CREDENTIALS, credentials);
        return true;
      }
      case "clear":
        await storage.delete(CREDENTIALS);
        return null;
      case "acquire": {
        const ttl = checkTtl(operation.ttlMs);
        const now = Date.now();
        const lease = (await storage.get(LEASE)) as Lease | undefined;
        if (lease && lease.expiresAt > now) return null;
        const owner = crypto.randomUUID();
        await storage.put(LEASE, { owner, expiresAt: now + ttl } satisfies Lease);
        return owner;
      }
      case "renew": {
        const ttl = checkTtl(operation.ttlMs);
        const now = Date.now();
        const lease = (await storage.get(LEASE)) as Lease | undefined;
        if (!lease || lease.owner !== operation.owner || lease.expiresAt <= now) return false;
        await storage.put(LEASE, { owner: lease.owner, expiresAt: now + ttl } satisfies Lease);
        return true;
      }
      case "release": {
        const lease = (await storage.get(LEASE)) as Lease | undefined;
        if (lease?.owner === operation.owner) await storage.delete(LEASE);
        return null;
      }
      default:
        throw new Error("unknown operation");
    }
  }
}

/**
 * The handler a Worker uses to keep its login in a {@link MonzoTokens} object: every
 * operation is one request to the object, which does the compare-and-set and the lease.
 *
 * @example
 * ```ts
 * import { Authentication } from "@monzo-api/client";
 * import {
 *   type DurableObjectNamespaceLike,
 *   DurableObjectStorage,
 * } from "@monzo-api/client/handlers/durable-object";
 *
 * declare const env: { MONZO_TOKENS: DurableObjectNamespaceLike };
 * const auth = await Authentication.fromStorage(
 *   new DurableObjectStorage(env.MONZO_TOKENS, { key: "user-42" }),
 *   {
 *     clientId: "oauth2client_123",
 *     clientSecret: "secret",
 *     redirectUrl: "https://example.com/callback",
 *   },
 * );
 * ```
 */
export class DurableObjectStorage extends Storage {
  #namespace: DurableObjectNamespaceLike;
  #key: string;

  /**
   * Creates the handler over the object's binding.
   *
   * @param namespace The binding, for example `env.MONZO_TOKENS`.
   * @param options The name of the object holding this login.
   */
  constructor(namespace: DurableObjectNamespaceLike, options: DurableObjectStorageOptions = {}) {
    super();
    if (typeof namespace?.idFromName !== "function" || typeof namespace.get !== "function") {
      throw new MonzoArgumentError("namespace", "must be a Durable Object namespace binding");
    }
    const key = options.key ?? "monzo-api:credentials";
    if (typeof key !== "string" || key === "") {
      throw new MonzoArgumentError("options.key", "must be a non-empty string");
    }
    this.#namespace = namespace;
    this.#key = key;
  }

  /**
   * Writes the credentials, whatever is stored (a login or a logout).
   *
   * @param credentials The new token set, stored whole.
   */
  async store(credentials: Credentials): Promise<void> {
    await this.#call("store", () => ({
      op: "store",
      credentials: checkCredentials(credentials, NAME, "store"),
    }));
  }

  /**
   * Writes the credentials only when the stored generation is `expected`; the object
   * compares and writes in one step.
   *
   * @param credentials The new token set, stored whole.
   * @param expected The generation that must be stored now, or `null` for none.
   * @returns Whether it was written.
   */
  override async storeIf(credentials: Credentials, expected: number | null): Promise<boolean> {
    return (await this.#call("storeIf", () => {
      checkExpected(expected);
      return {
        op: "storeIf",
        credentials: checkCredentials(credentials, NAME, "storeIf"),
        expected,
      };
    })) === true;
  }

  /**
   * Reads the credentials and checks their shape.
   *
   * @returns The whole stored object, or `null` when none is stored.
   */
  async fetch(): Promise<Credentials | null> {
    const value = await this.#call("fetch", () => ({ op: "fetch" }));
    return value === null ? null : checkCredentials(value, NAME, "fetch");
  }

  /** Deletes the credentials (not the lease). */
  override async clear(): Promise<void> {
    await this.#call("clear", () => ({ op: "clear" }));
  }

  /**
   * Takes the lease when no other holder's lease is live.
   *
   * @param ttlMs How long the lease lasts without a renewal.
   * @returns The lease, or `null` while another instance holds it.
   */
  override async acquireLease(ttlMs: number): Promise<StorageLease | null> {
    const owner = await this.#call(
      "acquireLease",
      () => ({ op: "acquire", ttlMs: checkTtl(ttlMs) }),
    );
    if (typeof owner !== "string") return null;
    return {
      release: async () => {
        await this.#call("release", () => ({ op: "release", owner }));
      },
      renew: async (ms: number) =>
        (await this.#call("renew", () => ({ op: "renew", owner, ttlMs: checkTtl(ms) }))) === true,
    };
  }

  /**
   * A summary without secrets.
   *
   * @returns The handler's name and key.
   */
  toJSON(): { storage: string; key: string } {
    return { storage: NAME, key: this.#key };
  }

  /** Checks the operation (before any request), sends it, and returns the object's answer. */
  #call(operation: string, build: () => Operation): Promise<unknown> {
    return guard(NAME, operation, async () => {
      const body = JSON.stringify(build());
      const stub = this.#namespace.get(this.#namespace.idFromName(this.#key));
      const response = await stub.fetch(`https://monzo-tokens/${operation}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      const answer = parseJson(await response.text(), NAME, operation) as {
        value?: unknown;
        error?: unknown;
      };
      if (!response.ok) {
        throw new Error(
          typeof answer.error === "string" ? answer.error : `HTTP ${response.status}`,
        );
      }
      return answer.value;
    });
  }
}

inspectAsSummary(DurableObjectStorage);
