/**
 * {@link Authentication}: the OAuth flow, the tokens, refreshing them exactly once (in one
 * process and, with a leasing {@link Storage}, across many), and the authorised request.
 *
 * @module
 */

import { MonzoArgumentError, MonzoAuthenticationError, MonzoPermissionsError } from "./errors.ts";
import {
  encodeQuery,
  errorFromResponse,
  parseBody,
  type RequestOptions,
  send,
  type TransportConfig,
} from "./http.ts";
import { authorizationUrl, requestTokens, revokeToken, tokenWorks } from "./_oauth.ts";
import { TokenKeeper } from "./_tokens.ts";
import type { Credentials, Storage } from "./storage.ts";
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
  /**
   * How long one handler call (read, store, lease) may take before it counts as failed, in
   * milliseconds. A new set that could not be stored is kept and stored before the next
   * request. Default 10,000.
   */
  storeTimeoutMs?: number;
  /**
   * How long a lease lasts without a renewal, in milliseconds; its holder renews it every
   * third of that while it works. A holder paused for longer loses it. Default 20,000.
   */
  leaseTtlMs?: number;
  /**
   * The token request's own deadline, in milliseconds (never `timeoutMs`): once a grant is
   * sent, Monzo may have applied it, so its answer is awaited this long. Default 120,000.
   */
  grantTimeoutMs?: number;
  /**
   * After Monzo refuses a refresh token as used, how long to wait for the instance that
   * used it to store the newer set before reporting that a new login is needed, in
   * milliseconds. Default twice `leaseTtlMs`.
   */
  handoverWaitMs?: number;
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

const INSPECT = Symbol.for("nodejs.util.inspect.custom");
const DENO_INSPECT = Symbol.for("Deno.customInspect");

/**
 * Holds a Monzo login and keeps it alive.
 *
 * - Every path that obtains tokens (code exchange, automatic refresh, explicit refresh) stores
 *   them through every registered handler before the new token is used, as a
 *   compare-and-set on the set's generation: a stale writer never overwrites a newer set.
 * - Refresh happens before expiry (`refreshSkewSeconds`) and once on a 401
 *   `unauthorized.bad_access_token.expired`. Concurrent callers share one refresh.
 * - Refresh, login and logout run one at a time, and with a handler that leases
 *   (`DenoKvStorage`, `BunFileStorage`) one instance at a time across processes; the others
 *   wait and adopt the stored result.
 * - A set that could not be stored is kept in memory and stored before the next request;
 *   call {@link Authentication.close} before a process exits.
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
  #apiUrl: string;
  #apiOrigin: string;
  #authUrl: string;
  #transport: TransportConfig;
  #now: () => number;
  #loginAt: number | undefined;
  #approvedAt: number | undefined;
  #tokens: TokenKeeper;

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
    const accessToken = optionalText(options.accessToken, "accessToken");
    const refreshToken = optionalText(options.refreshToken, "refreshToken");
    const expiry = checkNumber(options.accessTokenExpiry, "accessTokenExpiry", 0);
    this.#apiUrl = checkBaseUrl(options.apiUrl ?? "https://api.monzo.com", "apiUrl");
    this.#apiOrigin = new URL(this.#apiUrl).origin;
    this.#authUrl = checkBaseUrl(options.authUrl ?? "https://auth.monzo.com", "authUrl");
    if (options.now !== undefined && typeof options.now !== "function") {
      throw new MonzoArgumentError("now", "must be a function returning milliseconds");
    }
    if (typeof (options.fetch ?? globalThis.fetch) !== "function") {
      throw new MonzoArgumentError("fetch", "must be a function (no global fetch was found)");
    }
    this.#now = options.now ?? Date.now;
    this.#transport = {
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      timeoutMs: checkNumber(options.timeoutMs, "timeoutMs", 1) ?? 30_000,
      maxRetries: checkCount(options.maxRetries, "maxRetries") ?? 2,
      retryDelayMs: checkNumber(options.retryDelayMs, "retryDelayMs", 0) ?? 500,
      secrets: () => this.#secrets(),
    };
    // The token request: its own long deadline, never retried.
    const grantTransport: TransportConfig = {
      ...this.#transport,
      timeoutMs: checkNumber(options.grantTimeoutMs, "grantTimeoutMs", 1) ?? 120_000,
      maxRetries: 0,
    };
    const client = {
      apiUrl: this.#apiUrl,
      clientId: this.#clientId,
      clientSecret: this.#clientSecret,
    };
    const leaseTtlMs = checkNumber(options.leaseTtlMs, "leaseTtlMs", 1) ?? 20_000;
    const initial: Credentials | null = accessToken
      ? {
        accessToken,
        clientId: this.#clientId,
        clientSecret: this.#clientSecret,
        expiry: expiry ?? Infinity, // unknown: used until Monzo says it expired
        generation: 0,
      }
      : null;
    if (initial && refreshToken) initial.refreshToken = refreshToken;
    this.#tokens = new TokenKeeper({
      clientId: this.#clientId,
      clientSecret: this.#clientSecret,
      now: this.#now,
      skewSeconds: checkNumber(options.refreshSkewSeconds, "refreshSkewSeconds", 0) ?? 60,
      storeTimeoutMs: checkNumber(options.storeTimeoutMs, "storeTimeoutMs", 1) ?? 10_000,
      leaseTtlMs,
      grantTimeoutMs: grantTransport.timeoutMs,
      handoverWaitMs: checkNumber(options.handoverWaitMs, "handoverWaitMs", 0) ?? 2 * leaseTtlMs,
      grant: (params) => requestTokens(grantTransport, client, params),
      revoke: (token) => revokeToken(this.#transport, this.#apiUrl, token),
      works: (token) => tokenWorks(this.#transport, this.#apiUrl, token),
    }, initial);
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
   * @returns The authentication, holding the stored tokens when there were any (those of
   *   another OAuth client are ignored; a stored logout leaves it not authenticated).
   * @throws {MonzoStorageError} When the storage cannot be read.
   */
  static async fromStorage(
    storage: Storage,
    options: AuthenticationOptions,
  ): Promise<Authentication> {
    const auth = new Authentication(options);
    auth.registerCallbackHandler(storage);
    await auth.#tokens.load();
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
    return this.#live()?.accessToken;
  }

  /** When the access token expires, in unix seconds, if known. */
  get accessTokenExpiry(): number | undefined {
    const expiry = this.#live()?.expiry;
    return expiry !== undefined && Number.isFinite(expiry) ? expiry : undefined;
  }

  /** The current refresh token, if any (confidential clients only). */
  get refreshToken(): string | undefined {
    return this.#live()?.refreshToken;
  }

  /**
   * The current set's generation: +1 for every new set (refresh, login, logout), so that
   * instances sharing a login agree which set is newest. `undefined` before any login.
   */
  get generation(): number | undefined {
    return this.#tokens.current?.generation;
  }

  /** The OAuth client id. */
  get clientId(): string {
    return this.#clientId;
  }

  /**
   * When the user approved this login in the Monzo app (epoch ms, on the `now` clock), as
   * {@link waitForApproval} saw it in this process: the start of Monzo's 5-minute window in
   * which the whole transaction history can be read. A conservative (early) bound: the last
   * instant at which the login was seen unapproved, or the code exchange. Undefined when this
   * process did not wait for the approval; a refresh does not change it (it does not reopen
   * the window), a new login clears it.
   */
  get approvedAt(): number | undefined {
    return this.#approvedAt;
  }

  /** True when a request can be made: a live access token, or a refresh token to get one. */
  get isAuthenticated(): boolean {
    const set = this.#live();
    return !!set && (!!set.refreshToken || set.expiry > this.#now() / 1000);
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
    if (!this.#tokens.handlers.includes(handler)) this.#tokens.handlers.push(handler);
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
    return authorizationUrl(this.#authUrl, this.#clientId, this.#redirectUrl, state);
  }

  /**
   * Finishes the OAuth flow: checks `state` in constant time, exchanges the code, stores the
   * new credentials through every handler and returns them. The new login is ordered with
   * refreshes and logouts (the same single flight and lease) and replaces whatever is
   * stored. The new token works once the user approves access in the Monzo app (see
   * {@link waitForApproval}).
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
    this.#approvedAt = undefined;
    this.#loginAt = this.#now();
    return await this.#tokens.login({
      grant_type: "authorization_code",
      redirect_uri: this.#redirectUrl,
      code,
    });
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
    await this.#tokens.refresh(this.#tokens.current?.accessToken);
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
    let url: string, pathname: string, authorize = true;
    if (path.charCodeAt(0) === 47) {
      url = this.#apiUrl + (pathname = path);
    } else if (/^https?:\/\//i.test(path)) {
      const absolute = new URL(path);
      url = absolute.href;
      pathname = absolute.pathname;
      authorize = absolute.origin === this.#apiOrigin;
    } else {
      url = this.#apiUrl + (pathname = `/${path}`);
    }
    if (options.query) {
      const query = encodeQuery(options.query);
      if (query) url += (url.includes("?") ? "&" : "?") + query;
    }
    const label = `${verb} ${pathname}`;
    const idempotent = options.idempotent ?? (verb === "GET" || verb === "HEAD");
    let contentType: string | undefined, body: BodyInit | undefined;
    if (options.form) {
      contentType = "application/x-www-form-urlencoded";
      body = encodeQuery(options.form);
    } else if (options.json !== undefined) {
      contentType = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      contentType = options.contentType;
      body = options.body as BodyInit;
    }

    for (let attempt = 0;; attempt++) {
      let used: string | undefined;
      const headers: Record<string, string> = authorize
        ? {
          Accept: "application/json",
          Authorization: `Bearer ${used = this.#tokens.usable() ?? await this.#tokens.token()}`,
        }
        : { Accept: "application/json" };
      if (contentType) headers["Content-Type"] = contentType;
      const response = await send(this.#transport, label, url, {
        method: verb,
        headers,
        body,
        signal: options.signal,
      }, idempotent);
      if (response.status < 400) return parseBody(response, label);
      const error = errorFromResponse(response, label, this.#secrets());
      // A new token after a 401 is worth a try; a second new one too (the first may have been
      // adopted from another instance and have expired by Monzo's clock, not ours).
      if (
        attempt < 2 && used !== undefined && response.status === 401 &&
        (await this.#tokens.recover(error, used))
      ) {
        continue;
      }
      throw error;
    }
  }

  /**
   * Logs out everywhere: waits for any refresh in flight (and, with a leasing handler, takes
   * the lease), revokes the newest stored token set at Monzo, and stores a tombstone that no
   * older set can overwrite. Every instance sharing the login then reports
   * `reauthorizationRequired`, until a new login.
   *
   * @example
   * ```ts
   * import { Authentication } from "@monzo-api/client";
   * declare const auth: Authentication;
   * await auth.logout();
   * ```
   *
   * @throws {MonzoError} When Monzo refuses for a reason other than an already dead token
   *   (nothing is stored then), or a handler cannot store the tombstone.
   */
  async logout(): Promise<void> {
    await this.#tokens.logout();
  }

  /**
   * Stores a token set that could not be stored yet and lets the lease go. Call it before a
   * process exits: a refresh token works once, so an unsaved set is the login itself.
   *
   * @example
   * ```ts
   * import { Authentication } from "@monzo-api/client";
   * declare const auth: Authentication;
   * try {
   *   // ...work
   * } finally {
   *   await auth.close();
   * }
   * ```
   *
   * @throws {MonzoStorageError} When the newest set is still not stored: keep it somewhere
   *   (`accessToken`, `refreshToken`, `accessTokenExpiry`) rather than exit.
   */
  async close(): Promise<void> {
    await this.#tokens.close();
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
    // The approval came after the last poll that saw none (or after the code exchange).
    let unapprovedAt = this.#loginAt;
    for (;;) {
      const asked = this.#now();
      try {
        await this.request("GET", "/accounts", { signal: options.signal });
        if (unapprovedAt !== undefined) this.#approvedAt ??= unapprovedAt;
        return;
      } catch (error) {
        if (!(error instanceof MonzoPermissionsError) || error.reason !== "approval_pending") {
          throw error;
        }
        unapprovedAt = asked;
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
    const seconds = this.accessTokenExpiry;
    const expiry = seconds === undefined
      ? "no expiry"
      : `expires ${new Date(seconds * 1000).toISOString()}`;
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
      accessTokenExpiry: this.accessTokenExpiry,
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
    const set = this.#tokens.current;
    return [this.#clientSecret, set?.accessToken ?? "", set?.refreshToken ?? ""];
  }

  /** The current set, unless there is none or it is a logout tombstone. */
  #live(): Credentials | undefined {
    const set = this.#tokens.current;
    return set && !set.loggedOut ? set : undefined;
  }

  #credentials(): Credentials {
    const set = this.#live();
    if (!set) {
      throw new MonzoAuthenticationError("Not authenticated", {
        code: "oauth.not_authenticated",
        reauthorizationRequired: true,
      });
    }
    return { ...set };
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
