/**
 * The wire: parameter encoding (query, form with bracket keys, JSON), timeouts, retries with
 * backoff that honour `Retry-After`, and the mapping of error responses to error classes.
 *
 * @module
 */

import {
  MonzoAuthenticationError,
  type MonzoError,
  MonzoHTTPError,
  MonzoNetworkError,
  MonzoPermissionsError,
  MonzoRateError,
  MonzoResponseError,
  MonzoServerError,
} from "./errors.ts";

/**
 * A scalar parameter value; `undefined` and `null` leave the parameter out.
 *
 * @example
 * ```ts
 * import type { ParamScalar } from "@monzo-api/client";
 * const limit: ParamScalar = 100;
 * ```
 */
export type ParamScalar = string | number | boolean | undefined | null;

/**
 * A parameter value: a scalar, a list (sent as `key[]=a&key[]=b`) or a map (sent as
 * `key[sub]=v`, as `metadata[...]` and `params[...]` are).
 *
 * @example
 * ```ts
 * import type { ParamValue } from "@monzo-api/client";
 * const expand: ParamValue = ["merchant"]; // expand[]=merchant
 * const metadata: ParamValue = { notes: "Lunch" }; // metadata[notes]=Lunch
 * ```
 */
export type ParamValue =
  | ParamScalar
  | readonly ParamScalar[]
  | { readonly [key: string]: ParamScalar };

/**
 * Parameters for a query string or a form body.
 *
 * @example
 * ```ts
 * import type { Params } from "@monzo-api/client";
 * const query: Params = { account_id: "acc_123", limit: 50, expand: ["merchant"] };
 * ```
 */
export type Params = { readonly [key: string]: ParamValue };

/**
 * How one request is sent by `Authentication.request`.
 *
 * @example
 * ```ts
 * import type { Authentication, RequestOptions } from "@monzo-api/client";
 * declare const auth: Authentication;
 * const options: RequestOptions = { form: { metadata: { notes: "Lunch" } } };
 * await auth.request("PATCH", "/transactions/tx_123", options);
 * ```
 */
export interface RequestOptions {
  /** Query string parameters (the encoding of GET and DELETE). */
  query?: Params;
  /** A form body (`application/x-www-form-urlencoded`, the encoding of POST, PUT and PATCH). */
  form?: Params;
  /** A JSON body (only `PUT /transaction-receipts` takes one). */
  json?: unknown;
  /** Raw bytes, sent with `contentType` (for uploads to a URL Monzo returned). */
  body?: Uint8Array | Blob;
  /** The `Content-Type` of `body`. */
  contentType?: string;
  /**
   * Whether the request is safe to send again after a failure (429, 5xx, a dropped
   * connection, a timeout). Defaults to true for GET and HEAD only. Set it for writes that
   * Monzo deduplicates (pot moves with a `dedupe_id`, receipts keyed by `external_id`).
   */
  idempotent?: boolean;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * Encodes parameters with Monzo's bracket conventions into a query string or form body
 * (without `?`), exactly as `URLSearchParams` serialises them, without building one.
 *
 * @param params The parameters.
 * @returns `key=value&key[]=a&...`, or `""` when every value is empty.
 */
export function encodeQuery(params: Params): string {
  let out = "";
  for (const key in params) {
    const value = params[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== "object") {
      out += `${out ? "&" : ""}${component(key)}=${component(String(value))}`;
    } else if (Array.isArray(value)) {
      const name = component(`${key}[]`);
      for (const item of value) {
        if (item !== undefined && item !== null) {
          out += `${out ? "&" : ""}${name}=${component(String(item))}`;
        }
      }
    } else {
      for (const sub in value) {
        const item = (value as { readonly [key: string]: ParamScalar })[sub];
        if (item !== undefined && item !== null) {
          out += `${out ? "&" : ""}${component(`${key}[${sub}]`)}=${component(String(item))}`;
        }
      }
    }
  }
  return out;
}

const PLAIN = /^[\w.*-]*$/;
const DIFFERENT = /[!'()~]|%20/g;

/** One name or value, form-urlencoded (what `URLSearchParams` does, for any string). */
function component(text: string): string {
  if (PLAIN.test(text)) return text;
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch {
    // A lone surrogate: URLSearchParams writes U+FFFD for it.
    return new URLSearchParams([["", text]]).toString().slice(1);
  }
  return encoded.replace(
    DIFFERENT,
    (c) => c === "%20" ? "+" : `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The transport settings an `Authentication` passes down. */
export interface TransportConfig {
  fetch: typeof fetch;
  timeoutMs: number;
  maxRetries: number;
  retryDelayMs: number;
  /** The values to scrub from any text that ends up in an error. */
  secrets: () => readonly string[];
}

/** The longest `Retry-After` we wait for before giving up with a `MonzoRateError`. */
const MAX_RETRY_AFTER_S = 60;
const MAX_BACKOFF_MS = 8_000;
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/** A response whose body has been read within the request's time budget. */
export interface ReadResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** The `ReadResponse` of `send`: its headers are materialised only when read (errors, 429). */
class Answer implements ReadResponse {
  readonly status: number;
  readonly text: string;
  #response: Response;

  constructor(response: Response, text: string) {
    this.status = response.status;
    this.text = text;
    this.#response = response;
  }

  get headers(): Headers {
    return this.#response.headers;
  }
}

/**
 * Sends one request, retrying safe ones, and reads its body. Each attempt, its body read
 * included, is aborted after `config.timeoutMs`.
 *
 * @param config The transport settings.
 * @param label `METHOD /path`, for messages.
 * @param url The absolute URL.
 * @param init The request: its `method`, `headers` and `body` are sent, and its `signal` is
 * combined with the attempt's timeout.
 * @param idempotent Whether the request may be sent again.
 * @returns The status, headers and body text of the final attempt.
 */
export async function send(
  config: TransportConfig,
  label: string,
  url: string,
  init: RequestInit,
  idempotent: boolean,
): Promise<ReadResponse> {
  const caller = init.signal ?? undefined;
  // Only what is set: an explicit GET, or an undefined body, costs some runtimes' fetch time.
  const request: RequestInit = { headers: init.headers };
  if (init.method !== undefined && init.method !== "GET") request.method = init.method;
  if (init.body !== undefined && init.body !== null) request.body = init.body;
  for (let attempt = 0;; attempt++) {
    const canRetry = idempotent && attempt < config.maxRetries;
    const deadline = arm(config.timeoutMs);
    const timeout = deadline.controller.signal;
    let result: ReadResponse;
    try {
      request.signal = caller ? AbortSignal.any([caller, timeout]) : timeout;
      const response = await config.fetch(url, request);
      result = new Answer(response, await response.text());
    } catch (cause) {
      if (caller?.aborted) throw caller.reason;
      const timedOut = timeout.aborted;
      const reason = timedOut
        ? `timed out after ${config.timeoutMs} ms`
        : `failed: ${scrub(String((cause as Error)?.message ?? cause), config.secrets())}`;
      const error = new MonzoNetworkError(`${label} ${reason}`, { timedOut, cause });
      if (!canRetry) throw error;
      await sleep(backoff(config.retryDelayMs, attempt), caller);
      continue;
    } finally {
      disarm(deadline);
    }
    if (!canRetry || !RETRYABLE_STATUS.has(result.status)) return result;
    const retryAfter = parseRetryAfter(result.headers.get("retry-after"));
    if (retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_S) return result;
    await sleep(
      retryAfter === undefined ? backoff(config.retryDelayMs, attempt) : retryAfter * 1000,
      caller,
    );
  }
}

// Timeouts: one timer for every attempt in flight, rather than a setTimeout/clearTimeout pair
// per attempt (which costs more than the rest of a request on some runtimes). Attempts are
// watched in a set; the timer is armed for the earliest deadline, and when it fires it aborts
// the attempts past theirs and re-arms for the next. It is unref'd: an attempt in flight keeps
// the process alive by its own I/O, and a finished one leaves nothing that holds it open.
// Workers run timers only inside the request that set them, so there each attempt has its own.

/** An attempt's deadline: when to abort its controller. */
interface Deadline {
  readonly controller: AbortController;
  readonly at: number;
  timer?: ReturnType<typeof setTimeout>;
}

const OWN_TIMERS = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ===
  "Cloudflare-Workers";
const watched = new Set<Deadline>();
let sweeper: ReturnType<typeof setTimeout> | undefined;
let sweepAt = Infinity;

/** Starts watching a new attempt, to be aborted `ms` from now. */
function arm(ms: number): Deadline {
  const deadline: Deadline = { controller: new AbortController(), at: Date.now() + ms };
  if (OWN_TIMERS) {
    deadline.timer = setTimeout(() => deadline.controller.abort(), ms);
  } else {
    watched.add(deadline);
    if (deadline.at < sweepAt) schedule(deadline.at);
  }
  return deadline;
}

/** Stops watching an attempt (it finished). The timer stays armed: it finds nothing to do. */
function disarm(deadline: Deadline): void {
  if (deadline.timer === undefined) watched.delete(deadline);
  else clearTimeout(deadline.timer);
}

function schedule(at: number): void {
  if (sweeper !== undefined) clearTimeout(sweeper);
  sweepAt = at;
  sweeper = setTimeout(sweep, Math.max(0, at - Date.now()));
  unref(sweeper);
}

function sweep(): void {
  sweeper = undefined;
  sweepAt = Infinity;
  const now = Date.now();
  let next = Infinity;
  for (const deadline of watched) {
    if (deadline.at <= now) {
      watched.delete(deadline);
      deadline.controller.abort();
    } else if (deadline.at < next) next = deadline.at;
  }
  if (next !== Infinity) schedule(next);
}

/** Lets the process exit while only this timer is pending (Node and Bun; Deno). */
function unref(timer: ReturnType<typeof setTimeout>): void {
  if (typeof timer === "object") (timer as { unref?: () => void }).unref?.();
  else (globalThis as { Deno?: { unrefTimer(id: number): void } }).Deno?.unrefTimer(timer);
}

/**
 * The delay before retry number `attempt` (0-based): exponential, capped, with up to 25%
 * jitter taken off so that many clients do not retry in step.
 */
function backoff(initialMs: number, attempt: number): number {
  const delay = Math.min(MAX_BACKOFF_MS, initialMs * 2 ** attempt);
  return delay * (1 - Math.random() * 0.25);
}

/**
 * Reads `Retry-After` as seconds (a number or an HTTP date).
 *
 * @param value The header value.
 * @returns Seconds to wait, or `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/** Resolves after `ms` milliseconds, or rejects when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Replaces every secret in a text with `[redacted]`.
 *
 * @param text The text.
 * @param secrets The values to hide.
 * @returns The text without them.
 */
function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join("[redacted]");
  return out;
}

/**
 * Parses a 2xx body: `undefined` when it is empty, the JSON value otherwise.
 *
 * @param response The read response.
 * @param label `METHOD /path`, for messages.
 * @returns The JSON value.
 */
export function parseBody(response: ReadResponse, label: string): unknown {
  const { text } = response;
  if (text === "" || (text.charCodeAt(0) <= 32 && text.trim() === "")) return undefined;
  try {
    return JSON.parse(response.text);
  } catch (cause) {
    throw new MonzoResponseError(
      `${label} answered ${response.status} with a body that is not JSON (${
        describeBody(response)
      })`,
      { status: response.status, cause },
    );
  }
}

function describeBody(response: ReadResponse): string {
  const type = response.headers.get("content-type") ?? "no content type";
  return `${type}, ${response.text.length} characters`;
}

interface ErrorBody {
  code?: unknown;
  message?: unknown;
  params?: unknown;
  error?: unknown;
  error_description?: unknown;
}

/**
 * Turns an error response into the matching error class.
 *
 * @param response The read response (status ≥ 400).
 * @param label `METHOD /path`, for messages.
 * @param secrets Values to scrub from Monzo's message.
 * @param oauth True for the token endpoint, whose 4xx answers are OAuth failures.
 * @returns The error to throw.
 */
export function errorFromResponse(
  response: ReadResponse,
  label: string,
  secrets: readonly string[],
  oauth = false,
): MonzoError {
  const { status } = response;
  let body: ErrorBody = {};
  try {
    const parsed = JSON.parse(response.text);
    if (parsed && typeof parsed === "object") body = parsed;
  } catch {
    // Not JSON (an HTML error page from a proxy, say): the status is all we have.
  }
  const code = typeof body.code === "string"
    ? body.code
    : typeof body.error === "string"
    ? body.error
    : `http.${status}`;
  const monzoMessage = typeof body.message === "string"
    ? body.message
    : typeof body.error_description === "string"
    ? body.error_description
    : `HTTP ${status}${response.text ? ` (${describeBody(response)})` : ""}`;
  const params: Record<string, string> = {};
  if (body.params && typeof body.params === "object") {
    for (const [k, v] of Object.entries(body.params)) params[k] = scrub(String(v), secrets);
  }
  const options = { status, code, params };
  const message = `${label} failed with ${status} ${code}: ${scrub(monzoMessage, secrets)}`;

  if (code.startsWith("bad_request.refresh_token")) {
    return new MonzoAuthenticationError(
      `${message}. The refresh token was already used or revoked: the user must log in again.`,
      { ...options, reauthorizationRequired: true },
    );
  }
  if (status === 401 || (oauth && status >= 400 && status < 500 && status !== 429)) {
    const reauthorizationRequired = status === 401 &&
      code !== "unauthorized.bad_access_token.expired";
    return new MonzoAuthenticationError(message, { ...options, reauthorizationRequired });
  }
  if (status === 403) return new MonzoPermissionsError(`${message}${advice(code)}`, options);
  if (status === 429) {
    const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
    return new MonzoRateError(message, { ...options, retryAfter });
  }
  if (status >= 500) return new MonzoServerError(message, options);
  return new MonzoHTTPError(message, options);
}

function advice(code: string): string {
  if (code === "forbidden.insufficient_permissions") {
    return ". If this login is new, the user has to approve access in the Monzo app first " +
      "(Authentication.waitForApproval() waits for that).";
  }
  if (code === "forbidden.verification_required") {
    return ". More than 5 minutes after login, Monzo only lists the last 90 days: pass a `since` " +
      "within 89 days, or log in again and fetch older history in the first 5 minutes.";
  }
  return "";
}
