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
 * Encodes parameters with Monzo's bracket conventions.
 *
 * @param params The parameters.
 * @returns The encoded parameters.
 */
export function encodeParams(params: Params): URLSearchParams {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) {
        if (item !== undefined && item !== null) out.append(`${key}[]`, String(item));
      }
    } else if (typeof value === "object") {
      for (const [sub, item] of Object.entries(value)) {
        if (item !== undefined && item !== null) out.append(`${key}[${sub}]`, String(item));
      }
    } else {
      out.append(key, String(value));
    }
  }
  return out;
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

/**
 * Sends one request, retrying safe ones, and reads its body.
 *
 * @param config The transport settings.
 * @param label `METHOD /path`, for messages.
 * @param url The absolute URL.
 * @param init The request (its `signal` is replaced by one that also times out).
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
  for (let attempt = 0;; attempt++) {
    const canRetry = idempotent && attempt < config.maxRetries;
    let result: ReadResponse;
    try {
      result = await attemptOnce(config, label, url, init);
    } catch (error) {
      if (!canRetry || !(error instanceof MonzoNetworkError) || init.signal?.aborted) throw error;
      await sleep(backoff(config.retryDelayMs, attempt), init.signal);
      continue;
    }
    if (!canRetry || !RETRYABLE_STATUS.has(result.status)) return result;
    const retryAfter = parseRetryAfter(result.headers.get("retry-after"));
    if (retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_S) return result;
    await sleep(
      retryAfter === undefined ? backoff(config.retryDelayMs, attempt) : retryAfter * 1000,
      init.signal,
    );
  }
}

async function attemptOnce(
  config: TransportConfig,
  label: string,
  url: string,
  init: RequestInit,
): Promise<ReadResponse> {
  // A timer cleared at the end, rather than AbortSignal.timeout, so that thousands of quick
  // requests do not leave thousands of pending timers behind.
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), config.timeoutMs);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal;
  try {
    const response = await config.fetch(url, { ...init, signal });
    return { status: response.status, headers: response.headers, text: await response.text() };
  } catch (error) {
    if (init.signal?.aborted) throw init.signal.reason;
    const timedOut = timeout.signal.aborted;
    const reason = timedOut
      ? `timed out after ${config.timeoutMs} ms`
      : `failed: ${scrub(String((error as Error)?.message ?? error), config.secrets())}`;
    throw new MonzoNetworkError(`${label} ${reason}`, { timedOut, cause: error });
  } finally {
    clearTimeout(timer);
  }
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

function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
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
  if (response.text.trim() === "") return undefined;
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
