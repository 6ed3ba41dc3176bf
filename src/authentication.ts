/**
 * {@link Authentication}: the OAuth flow, the tokens, refreshing them exactly once (in one
 * process and, with a leasing {@link Storage}, across many), and the authorised request.
 *
 * @module
 */

import * as v from "valibot";
import {
  MonzoArgumentError,
  MonzoAuthenticationError,
  type MonzoError,
  MonzoPermissionsError,
  MonzoResponseError,
  MonzoStorageError,
} from "./errors.ts";
import {
  encodeParams,
  errorFromResponse,
  parseBody,
  type RequestOptions,
  send,
  type TransportConfig,
} from "./http.ts";
import type { Credentials, Storage, StorageLease } from "./storage.ts";
import {
  checkBaseUrl,
  checkCount,
  checkNumber,
  checkSecureUrl,
  checkText,
  optionalText,
} from "./_validate.ts";

/**
 * Options of {@link Authentication}. Only the first three are required.
 *
 * @example
 * ```ts
 * import { Authentication, type AuthenticationOptions } from "@monzo-api/client";
 * const options: AuthenticationOptions = {
 *   clientId: "oauth2client_123",
 *   clientSecret: "secret",
 *   redirectUrl: "https://example.com/callback",
 *   timeoutMs: 10_000,
 *   maxRetries: 3,
 * };
 * const auth = new Authentication(options);
 * ```
 */
export interface AuthenticationOptions {
  /** The OAuth client id from Monzo's developer portal (`oauth2client_…`). */
  clientId: string;
  /** The OAuth client secret. */
  clientSecret: string;
  /** A redirect URL registered for the client: https, or http on localhost / 127.0.0.1. */
  redirectUrl: string;
  /** An access token you already hold. */
  accessToken?: string;
  /** When `accessToken` expires, in unix seconds. */
  accessTokenExpiry?: number;
  /** The refresh token that goes with `accessToken`. */
  refreshToken?: string;
  /** The `fetch` to use (for tests, proxies, instrumentation). Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** The API's base URL. Default `https://api.monzo.com`. */
  apiUrl?: string;
  /** The authorisation page's base URL. Default `https://auth.monzo.com`. */
  authUrl?: string;
  /** How long one attempt may take, body included, in milliseconds. Default 30,000. */
  timeoutMs?: number;
  /** How many times a safe request is retried after 429, 5xx or a network failure. Default 2. */
  maxRetries?: number;
  /** The first retry's delay in milliseconds, doubled each time (with jitter). Default 500. */
  retryDelayMs?: number;
  /** Refresh this many seconds before the access token expires. Default 60. */
  refreshSkewSeconds?: number;
  /** The clock, in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
}

/**
 * Options of {@link Authentication.authenticate}.
 *
 * @example
 * ```ts
 * import type { AuthenticateOptions } from "@monzo-api/client";
 * const options: AuthenticateOptions = { state: "from the redirect", expectedState: "from the cookie" };
 * ```
 */
export interface AuthenticateOptions {
  /** The `state` the redirect came back with. */
  state: string;
  /** The `state` you generated for this login (from a cookie or session). */
  expectedState: string;
}

/**
 * Options of {@link Authentication.waitForApproval}.
 *
 * @example
 * ```ts
 * import type { WaitForApprovalOptions } from "@monzo-api/client";
 * const options: WaitForApprovalOptions = { timeoutMs: 120_000, intervalMs: 3_000 };
 * ```
 */
export interface WaitForApprovalOptions {
  /** Give up after this many milliseconds. Default 300,000 (5 minutes). */
  timeoutMs?: number;
  /** Poll this often, in milliseconds. Default 2,000. */
  intervalMs?: number;
  /** Stops waiting. */
  signal?: AbortSignal;
}

const TokenResponse = v.looseObject({
  access_token: v.pipe(v.string(), v.minLength(1)),
  expires_in: v.pipe(v.number(), v.finite()),
  refresh_token: v.optional(v.pipe(v.string(), v.minLength(1))),
});

const LEASE_POLL_MS = 100;
const INSPECT = Symbol.for("nodejs.util.inspect.custom");
const DENO_INSPECT = Symbol.for("Deno.customInspect");

/**
 * Holds a Monzo login and keeps it alive.
 *
 * - Every path that obtains tokens (code exchange, automatic refresh, explicit refresh) awaits
 *   `store()` on every registered handler before the new token is used.
 * - Refresh happens before expiry (`refreshSkewSeconds`) and once on a 401
 *   `unauthorized.bad_access_token.expired`. Concurrent callers share one refresh.
 * - Before refreshing, the stored credentials are read: when another instance already
 *   refreshed, its tokens are adopted instead. With a handler that leases
 *   (`DenoKvStorage`, `BunFileStorage`), exactly one instance refreshes.
 * - Tokens and the client secret appear in no message, `toString()`, `JSON.stringify` or
 *   inspect output.
 *
 * @example The OAuth flow
 * ```ts
 * import { Authentication, MemoryStorage } from "@monzo-api/client";
 *
 * const auth = new Authentication({
 *   clientId: "oauth2client_123",
 *   clientSecret: "secret",
 *   redirectUrl: "http://localhost:8000/callback",
 * });
 * auth.registerCallbackHandler(new MemoryStorage());
 * const state = Authentication.generateState(); // keep it in a cookie
 * console.log(auth.authorizationUrl(state)); // send the user there
 * // then, in the callback: await auth.authenticate(code, { state: returnedState, expectedState: state });
 * ```
 */
export class Authentication {
  #clientId: string;
  #clientSecret: string;
  #redirectUrl: string;
  #accessToken: string | undefined;
  #expiry: number | undefined;
  #refreshToken: string | undefined;
  #handlers: Storage[] = [];
  #apiUrl: string;
  #apiOrigin: string;
  #authUrl: string;
  #skew: number;
  #now: () => number;
  #transport: TransportConfig;
  #refreshing: Promise<void> | null = null;
  #unsaved: Credentials | null = null;

  /**
   * Creates the authentication. Nothing is sent until a request needs it.
   *
   * @param options Client credentials, optional tokens, and transport settings.
   * @throws {MonzoArgumentError} When a required option is missing or the redirect URL is unsafe.
   */
  constructor(options: AuthenticationOptions) {
    if (!options || typeof options !== "object") {
      throw new MonzoArgumentError("options", "must be an object");
    }
    this.#clientId = checkText(options.clientId, "clientId");
    this.#clientSecret = checkText(options.clientSecret, "clientSecret");
    this.#redirectUrl = checkSecureUrl(options.redirectUrl, "redirectUrl");
    this.#accessToken = optionalText(options.accessToken, "accessToken");
    this.#refreshToken = optionalText(options.refreshToken, "refreshToken");
    this.#expiry = checkNumber(options.accessTokenExpiry, "accessTokenExpiry", 0);
    this.#apiUrl = checkBaseUrl(options.apiUrl ?? "https://api.monzo.com", "apiUrl");
    this.#apiOrigin = new URL(this.#apiUrl).origin;
    this.#authUrl = checkBaseUrl(options.authUrl ?? "https://auth.monzo.com", "authUrl");
    this.#skew = checkNumber(options.refreshSkewSeconds, "refreshSkewSeconds", 0) ?? 60;
    if (options.now !== undefined && typeof options.now !== "function") {
      throw new MonzoArgumentError("now", "must be a function returning milliseconds");
    }
    this.#now = options.now ?? Date.now;
    if (typeof (options.fetch ?? globalThis.fetch) !== "function") {
      throw new MonzoArgumentError("fetch", "must be a function (no global fetch was found)");
    }
    this.#transport = {
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      timeoutMs: checkNumber(options.timeoutMs, "timeoutMs", 1) ?? 30_000,
      maxRetries: checkCount(options.maxRetries, "maxRetries") ?? 2,
      retryDelayMs: checkNumber(options.retryDelayMs, "retryDelayMs", 0) ?? 500,
      secrets: () => this.#secrets(),
    };
  }

  /**
   * Loads the stored login with `storage.fetch()` and registers `storage` as a handler, so
   * that refreshed tokens go back to it.
   *
   * @example
   * ```ts
   * import { Authentication, MemoryStorage } from "@monzo-api/client";
   *
   * const storage = new MemoryStorage({
   *   accessToken: "access",
   *   clientId: "oauth2client_123",
   *   clientSecret: "secret",
   *   expiry: Math.floor(Date.now() / 1000) + 3600,
   *   refreshToken: "refresh",
   * });
   * const auth = await Authentication.fromStorage(storage, {
   *   clientId: "oauth2client_123",
   *   clientSecret: "secret",
   *   redirectUrl: "http://localhost:8000/callback",
   * });
   * console.log(auth.isAuthenticated); // true
   * ```
   *
   * @param storage Where the login is kept.
   * @param options The same options as the constructor; stored tokens win over given ones.
   * @returns The authentication, holding the stored tokens when there were any.
   * @throws {MonzoStorageError} When the storage cannot be read.
   */
  static async fromStorage(
    storage: Storage,
    options: AuthenticationOptions,
  ): Promise<Authentication> {
    const auth = new Authentication(options);
    auth.registerCallbackHandler(storage);
    const stored = await readStorage(storage);
    if (stored) auth.#adopt(stored);
    return auth;
  }

  /**
   * An unguessable `state` for {@link authorizationUrl}: 32 random bytes, base64url.
   *
   * @example
   * ```ts
   * import { Authentication } from "@monzo-api/client";
   * const state = Authentication.generateState();
   * ```
   *
   * @returns A fresh random string.
   */
  static generateState(): string {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
      .replace(/=+$/, "");
  }

  /** The current access token, if any. */
  get accessToken(): string | undefined {
    return this.#accessToken;
  }

  /** When the access token expires, in unix seconds, if known. */
  get accessTokenExpiry(): number | undefined {
    return this.#expiry;
  }

  /** The current refresh token, if any (confidential clients only). */
  get refreshToken(): string | undefined {
    return this.#refreshToken;
  }

  /** The OAuth client id. */
  get clientId(): string {
    return this.#clientId;
  }

  /** True when a request can be made: a live access token, or a refresh token to get one. */
  get isAuthenticated(): boolean {
    if (this.#refreshToken) return true;
    return this.#accessToken !== undefined && !this.#expiresSoon(0);
  }

  /**
   * Registers a handler whose `store()` is awaited with every new token set.
   *
   * @example
   * ```ts
   * import { Authentication, MemoryStorage } from "@monzo-api/client";
   * const auth = new Authentication({
   *   clientId: "oauth2client_123",
   *   clientSecret: "secret",
   *   redirectUrl: "http://localhost:8000/callback",
   * });
   * auth.registerCallbackHandler(new MemoryStorage());
   * ```
   *
   * @param handler A {@link Storage}, or a plain object with `store` and `fetch`.
   * @throws {MonzoArgumentError} When the handler has no `store` method.
   */
  registerCallbackHandler(handler: Storage): void {
    if (!handler || typeof handler.store !== "function") {
      throw new MonzoArgumentError("handler", "must have a store(credentials) method");
    }
    if (!this.#handlers.includes(handler)) this.#handlers.push(handler);
  }

  /**
   * The URL of Monzo's authorisation page for this client; send the user's browser there.
   *
   * @example
   * ```ts
   * import { Authentication } from "@monzo-api/client";
   * const auth = new Authentication({
   *   clientId: "oauth2client_123",
   *   clientSecret: "secret",
   *   redirectUrl: "http://localhost:8000/callback",
   * });
   * const url = auth.authorizationUrl(Authentication.generateState());
   * ```
   *
   * @param state The unguessable value you will check in the callback.
   * @returns The URL, every parameter percent-encoded.
   * @throws {MonzoArgumentError} When `state` is empty.
   */
  authorizationUrl(state: string): string {
    checkText(state, "state");
    const url = new URL(this.#authUrl + "/");
    url.search = new URLSearchParams({
      client_id: this.#clientId,
      redirect_uri: this.#redirectUrl,
      response_type: "code",
      state,
    }).toString();
    return url.toString();
  }

  /**
   * Finishes the OAuth flow: checks `state` in constant time, exchanges the code, stores the
   * new credentials through every handler and returns them. The new token works once the
   * user approves access in the Monzo app (see {@link waitForApproval}).
   *
   * @example
   * ```ts
   * import { Authentication } from "@monzo-api/client";
   * declare const auth: Authentication;
   * declare const url: URL; // the callback request's URL
   * declare const expectedState: string; // from the cookie set before the redirect
   * await auth.authenticate(url.searchParams.get("code") ?? "", {
   *   state: url.searchParams.get("state") ?? "",
   *   expectedState,
   * });
   * ```
   *
   * @param code The `code` from the redirect.
   * @param options The returned and the expected `state`.
   * @returns The stored credentials.
   * @throws {MonzoAuthenticationError} On a state mismatch or a refused code.
   * @throws {MonzoStorageError} When a handler fails (the tokens are kept in memory).
   */
  async authenticate(code: string, options: AuthenticateOptions): Promise<Credentials> {
    checkText(code, "code");
    if (!options || typeof options !== "object") {
      throw new MonzoArgumentError("options", "must be { state, expectedState }");
    }
    checkText(options.expectedState, "options.expectedState");
    if (
      typeof options.state !== "string" || !timingSafeEqual(options.state, options.expectedState)
    ) {
      throw new MonzoAuthenticationError(
        "The state returned by Monzo does not match the one this login started with: the " +
          "callback may be forged or stale. Start the login again.",
        { code: "oauth.state_mismatch" },
      );
    }
    await this.#grant({ grant_type: "authorization_code", redirect_uri: this.#redirectUrl, code });
    return this.#credentials();
  }

  /**
   * Refreshes now. Callers at the same moment share one refresh. When another instance has
   * already stored newer tokens, those are adopted instead.
   *
   * @example
   * ```ts
   * import { Authentication } from "@monzo-api/client";
   * declare const auth: Authentication;
   * const credentials = await auth.refreshAccessToken();
   * console.log(new Date(credentials.expiry * 1000));
   * ```
   *
   * @returns The new credentials, after every handler stored them.
   * @throws {MonzoAuthenticationError} When there is no refresh token or Monzo refuses it.
   * @throws {MonzoStorageError} When a handler fails (the tokens are kept in memory).
   */
  async refreshAccessToken(): Promise<Credentials> {
    await this.#refreshOnce();
    return this.#credentials();
  }

  /**
   * Sends an authorised request to the API and returns its JSON body (`undefined` when the
   * body is empty). Used by the endpoint groups of `Monzo`; public for endpoints Monzo adds
   * later. Refreshes before expiry and once on an expired-token 401. An absolute `path` is
   * sent as is, with the `Authorization` header only when it points at `apiUrl`.
   *
   * @example
   * ```ts
   * import { Authentication } from "@monzo-api/client";
   * declare const auth: Authentication;
   * const body = await auth.request("GET", "/balance", { query: { account_id: "acc_123" } });
   * ```
   *
   * @param method The HTTP method.
   * @param path The path under `apiUrl` (for example `/accounts`), or an absolute URL.
   * @param options Parameters, body, retry safety and an abort signal.
   * @returns The parsed JSON body.
   * @throws {MonzoError} One of its subclasses, by what failed.
   */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
    checkText(method, "method");
    checkText(path, "path");
    const verb = method.toUpperCase();
    let url: string, pathname: string, authorize: boolean;
    if (/^https?:\/\//i.test(path)) {
      const absolute = new URL(path);
      [url, pathname, authorize] = [
        absolute.href,
        absolute.pathname,
        absolute.origin === this.#apiOrigin,
      ];
    } else {
      pathname = path.startsWith("/") ? path : `/${path}`;
      [url, authorize] = [this.#apiUrl + pathname, true];
    }
    const query = options.query ? encodeParams(options.query).toString() : "";
    if (query) url += (url.includes("?") ? "&" : "?") + query;
    const label = `${verb} ${pathname}`;
    const idempotent = options.idempotent ?? (verb === "GET" || verb === "HEAD");
    const headers: Record<string, string> = { Accept: "application/json" };
    let body: BodyInit | undefined;
    if (options.form) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      body = encodeParams(options.form).toString();
    } else if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      if (options.contentType) headers["Content-Type"] = options.contentType;
      body = options.body as BodyInit;
    }

    for (let attempt = 0;; attempt++) {
      let used: string | undefined;
      if (authorize) {
        used = this.#usableToken() ?? await this.#validToken();
        headers.Authorization = `Bearer ${used}`;
      }
      const response = await send(this.#transport, label, url, {
        method: verb,
        headers,
        body,
        signal: options.signal,
      }, idempotent);
      if (response.status < 400) return parseBody(response, label);
      const error = errorFromResponse(response, label, this.#secrets());
      if (
        attempt === 0 && authorize && response.status === 401 && (await this.#recover(error, used))
      ) {
        continue;
      }
      throw error;
    }
  }

  /**
   * Revokes the access token at Monzo, forgets the tokens, and clears every handler that can
   * be cleared. The user has to log in again afterwards.
   *
   * @example
   * ```ts
   * import { Authentication } from "@monzo-api/client";
   * declare const auth: Authentication;
   * await auth.logout();
   * ```
   *
   * @throws {MonzoError} When Monzo refuses for a reason other than an already dead token.
   */
  async logout(): Promise<void> {
    const token = this.#accessToken;
    if (token) {
      const response = await send(
        this.#transport,
        "POST /oauth2/logout",
        `${this.#apiUrl}/oauth2/logout`,
        {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
        },
        false,
      );
      if (response.status >= 400 && response.status !== 401) {
        throw errorFromResponse(response, "POST /oauth2/logout", this.#secrets());
      }
    }
    this.#accessToken = this.#refreshToken = this.#expiry = undefined;
    this.#unsaved = null;
    const results = await Promise.allSettled(this.#handlers.map((h) => h.clear?.()));
    const failed = results.find((r) => r.status === "rejected");
    if (failed) {
      throw new MonzoStorageError(
        "Logged out, but a handler could not clear the stored credentials",
        {
          cause: failed.reason,
        },
      );
    }
  }

  /**
   * Waits until the user has approved access in the Monzo app (a new token answers 403
   * `forbidden.insufficient_permissions` until then), polling `GET /accounts`.
   *
   * @example
   * ```ts
   * import { Authentication } from "@monzo-api/client";
   * declare const auth: Authentication;
   * console.log("Open the Monzo app and tap Allow");
   * await auth.waitForApproval({ timeoutMs: 120_000 });
   * ```
   *
   * @param options How long to wait and how often to ask.
   * @throws {MonzoPermissionsError} When the approval did not come in time.
   */
  async waitForApproval(options: WaitForApprovalOptions = {}): Promise<void> {
    const timeoutMs = checkNumber(options.timeoutMs, "options.timeoutMs", 0) ?? 300_000;
    const intervalMs = checkNumber(options.intervalMs, "options.intervalMs", 0) ?? 2_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.request("GET", "/accounts", { signal: options.signal });
        return;
      } catch (error) {
        if (!(error instanceof MonzoPermissionsError) || error.reason !== "approval_pending") {
          throw error;
        }
        if (Date.now() + intervalMs > deadline) {
          throw new MonzoPermissionsError(
            `Access was not approved in the Monzo app within ${timeoutMs} ms`,
            { status: error.status, code: error.code, params: error.params, cause: error },
          );
        }
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      options.signal?.throwIfAborted();
    }
  }

  /**
   * A description without secrets.
   *
   * @returns For example `Authentication(oauth2client_123, authenticated, expires 2026-…)`.
   */
  toString(): string {
    const expiry = this.#expiry === undefined
      ? "no expiry"
      : `expires ${new Date(this.#expiry * 1000).toISOString()}`;
    return `Authentication(${this.#clientId}, ${
      this.isAuthenticated ? "authenticated" : "not authenticated"
    }, ${expiry})`;
  }

  /**
   * A summary without secrets, for `JSON.stringify`.
   *
   * @returns The client id, whether it is authenticated, and the expiry.
   */
  toJSON(): { clientId: string; isAuthenticated: boolean; accessTokenExpiry: number | undefined } {
    return {
      clientId: this.#clientId,
      isAuthenticated: this.isAuthenticated,
      accessTokenExpiry: this.#expiry,
    };
  }

  /**
   * Inspect output (Node, Bun) without secrets.
   *
   * @returns The same text as {@link toString}.
   */
  [INSPECT](): string {
    return this.toString();
  }

  /**
   * Inspect output (Deno) without secrets.
   *
   * @returns The same text as {@link toString}.
   */
  [DENO_INSPECT](): string {
    return this.toString();
  }

  #secrets(): string[] {
    return [this.#clientSecret, this.#accessToken ?? "", this.#refreshToken ?? ""];
  }

  #expiresSoon(skew: number): boolean {
    return this.#expiry !== undefined && this.#expiry - skew <= this.#now() / 1000;
  }

  #credentials(): Credentials {
    if (!this.#accessToken || this.#expiry === undefined) {
      throw new MonzoAuthenticationError("Not authenticated", {
        code: "oauth.not_authenticated",
        reauthorizationRequired: true,
      });
    }
    const credentials: Credentials = {
      accessToken: this.#accessToken,
      clientId: this.#clientId,
      clientSecret: this.#clientSecret,
      expiry: this.#expiry,
    };
    if (this.#refreshToken) credentials.refreshToken = this.#refreshToken;
    return credentials;
  }

  #adopt(credentials: Credentials): void {
    this.#accessToken = credentials.accessToken;
    this.#expiry = credentials.expiry;
    this.#refreshToken = credentials.refreshToken;
  }

  /** The access token when it can be sent as it is, with nothing to wait for. */
  #usableToken(): string | undefined {
    if (this.#refreshing || this.#unsaved || this.#expiresSoon(this.#skew)) return undefined;
    return this.#accessToken;
  }

  /** A token to send: retries an unsaved store, and refreshes when it expires soon. */
  async #validToken(): Promise<string> {
    if (this.#refreshing) await this.#refreshing.catch(() => {});
    if (this.#unsaved) await this.#storeAll(this.#unsaved);
    if (this.#accessToken && !this.#expiresSoon(this.#skew)) return this.#accessToken;
    if (!this.#refreshToken) {
      if (this.#accessToken && !this.#expiresSoon(0)) return this.#accessToken;
      throw new MonzoAuthenticationError(
        this.#accessToken
          ? "The access token has expired and there is no refresh token (a non-confidential client cannot refresh): the user must log in again."
          : "Not authenticated: complete the OAuth flow (authorizationUrl, then authenticate) or load stored credentials.",
        { code: "oauth.not_authenticated", reauthorizationRequired: true },
      );
    }
    await this.#refreshOnce();
    return this.#accessToken!;
  }

  /** After a 401: true when the request is worth one more try with a new token. */
  async #recover(error: MonzoError, used: string | undefined): Promise<boolean> {
    if (this.#accessToken !== used) return true; // refreshed meanwhile
    if (error.code === "unauthorized.bad_access_token.expired" && this.#refreshToken) {
      await this.#refreshOnce();
      return true;
    }
    // Evicted or replaced: another instance may have refreshed (or be storing its refresh).
    const leaser = this.#leaser();
    if (leaser) await release(await this.#leaseOrAdopt(leaser));
    else await this.#adoptStored();
    return this.#accessToken !== used;
  }

  /** One refresh at a time; joiners wait for the one in flight. */
  #refreshOnce(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    // Another instance may have refreshed already: adopt its stored tokens instead.
    const leaser = this.#leaser();
    const lease = leaser ? await this.#leaseOrAdopt(leaser) : null;
    if (leaser ? !lease : await this.#adoptStored()) return;
    if (!this.#refreshToken) {
      await release(lease);
      throw new MonzoAuthenticationError("There is no refresh token: the user must log in again.", {
        code: "oauth.no_refresh_token",
        reauthorizationRequired: true,
      });
    }
    try {
      await this.#grant({ grant_type: "refresh_token", refresh_token: this.#refreshToken });
    } catch (error) {
      // Refused because someone else used this refresh token: their result may be stored.
      const lostRace = error instanceof MonzoAuthenticationError &&
        error.code.startsWith("bad_request.refresh_token");
      if (!(lostRace && (await this.#adoptStored()))) {
        // After a failed store, keep the lease until it times out: the stored refresh token
        // is dead, and another instance must not try it while the store is retried here.
        if (!(error instanceof MonzoStorageError)) await release(lease);
        throw error;
      }
    }
    await release(lease);
  }

  /** The first handler that can lease, if any. */
  #leaser(): Storage | undefined {
    return this.#handlers.find((h) => typeof h.acquireLease === "function");
  }

  /**
   * Takes the refresh lease, or, while another instance holds it, waits until that instance
   * stores its new tokens and adopts them (then returns `null`).
   */
  async #leaseOrAdopt(leaser: Storage): Promise<StorageLease | null> {
    const ttl = this.#transport.timeoutMs + 10_000;
    const deadline = Date.now() + ttl * 2;
    for (;;) {
      const lease = await storageCall(() => leaser.acquireLease!(ttl), "take the refresh lease");
      if (lease) {
        if (!(await this.#adoptStored())) return lease;
        await release(lease);
        return null;
      }
      await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
      if (await this.#adoptStored()) return null;
      if (Date.now() > deadline) {
        throw new MonzoStorageError(
          `Another instance held the refresh lease for over ${ttl * 2} ms and stored no new tokens`,
        );
      }
    }
  }

  /**
   * Reads the handlers and adopts stored credentials that are newer than ours (another
   * instance refreshed). Returns true when the adopted access token needs no refresh.
   */
  async #adoptStored(): Promise<boolean> {
    if (this.#unsaved) return false;
    for (const handler of this.#handlers) {
      if (typeof handler.fetch !== "function") continue;
      const stored = await readStorage(handler);
      if (
        !stored || stored.clientId !== this.#clientId || stored.accessToken === this.#accessToken
      ) continue;
      if (this.#expiry !== undefined && stored.expiry < this.#expiry) continue;
      this.#adopt(stored);
      return !this.#expiresSoon(this.#skew);
    }
    return false;
  }

  /** Asks the token endpoint for tokens, then stores them through every handler. */
  async #grant(params: Record<string, string>): Promise<void> {
    const label = "POST /oauth2/token";
    const form = encodeParams({
      ...params,
      client_id: this.#clientId,
      client_secret: this.#clientSecret,
    });
    // Never an Authorization header here, and never a retry: a refresh token works once.
    const response = await send(
      this.#transport,
      label,
      `${this.#apiUrl}/oauth2/token`,
      {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/json",
        },
        body: form.toString(),
      },
      false,
    );
    if (response.status >= 400) throw errorFromResponse(response, label, this.#secrets(), true);
    const parsed = v.safeParse(TokenResponse, parseBody(response, label));
    if (!parsed.success) {
      const path = v.getDotPath(parsed.issues[0]) ?? "";
      throw new MonzoResponseError(
        // Never the received value: a token response's fields are secrets.
        `${label} answered with a bad token response: ${path || "body"} expected ${
          parsed.issues[0].expected ?? "another value"
        }`,
        {
          status: response.status,
          path,
        },
      );
    }
    const now = Math.floor(this.#now() / 1000);
    const credentials: Credentials = {
      accessToken: parsed.output.access_token,
      clientId: this.#clientId,
      clientSecret: this.#clientSecret,
      expiry: now + parsed.output.expires_in,
    };
    // Monzo rotates refresh tokens; never keep the old one (it no longer works).
    if (parsed.output.refresh_token) credentials.refreshToken = parsed.output.refresh_token;
    await this.#storeAll(credentials);
  }

  /** Stores through every handler, then uses the tokens. On failure they are kept and retried. */
  async #storeAll(credentials: Credentials): Promise<void> {
    const results = await Promise.allSettled(
      this.#handlers.map((h) => h.store({ ...credentials })),
    );
    this.#adopt(credentials);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failures.length === 0) {
      this.#unsaved = null;
      return;
    }
    this.#unsaved = credentials;
    throw new MonzoStorageError(
      `${failures.length} of ${this.#handlers.length} handlers failed to store the new tokens; ` +
        "they are kept in memory and the store is retried on the next call",
      {
        cause: failures.length === 1
          ? failures[0].reason
          : new AggregateError(failures.map((f) => f.reason)),
      },
    );
  }
}

/** Gives a lease up; a failure only means it lasts until its time to live. */
async function release(lease: StorageLease | null): Promise<void> {
  await lease?.release().catch(() => {});
}

async function readStorage(storage: Storage): Promise<Credentials | null> {
  return await storageCall(() => storage.fetch(), "read the stored credentials");
}

async function storageCall<T>(call: () => Promise<T>, what: string): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    if (cause instanceof MonzoStorageError) throw cause;
    throw new MonzoStorageError(`Could not ${what}`, { cause });
  }
}

/** Compares two strings in time that depends only on their lengths. */
function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
