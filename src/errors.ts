/**
 * The error classes. Every error the library throws is a {@link MonzoError}; API errors carry
 * the HTTP `status` and Monzo's dotted `code`, `message` and `params`.
 *
 * @module
 */

/**
 * What every {@link MonzoError} can be constructed with.
 *
 * @example
 * ```ts
 * import { MonzoError, type MonzoErrorOptions } from "@monzo-api/client";
 * const options: MonzoErrorOptions = { status: 404, code: "not_found.pot", params: { pot_id: "pot_1" } };
 * const error = new MonzoError("No such pot", options);
 * ```
 */
export interface MonzoErrorOptions {
  /** The HTTP status, when the error comes from a response. */
  status?: number;
  /** Monzo's dotted error code (for example `forbidden.insufficient_permissions`), or ours. */
  code?: string;
  /** Monzo's `params` (context such as the parameter name). */
  params?: Record<string, string>;
  /** The underlying error, when there is one. */
  cause?: unknown;
}

/**
 * The base of every error this library throws.
 *
 * @example Catch anything from the client
 * ```ts
 * import { MonzoError } from "@monzo-api/client";
 * try {
 *   throw new MonzoError("Something failed", { code: "example" });
 * } catch (error) {
 *   if (error instanceof MonzoError) console.log(error.code);
 * }
 * ```
 */
export class MonzoError extends Error {
  /** The HTTP status, or `undefined` when no response was involved. */
  readonly status: number | undefined;
  /** Monzo's dotted error code, or one of ours (for example `argument.invalid`). */
  readonly code: string;
  /** Context from Monzo's error body, or from the library (for example `{ argument: "amount" }`). */
  readonly params: Record<string, string>;

  /**
   * Creates an error.
   *
   * @param message What went wrong, in words a user can act on. Never contains a secret.
   * @param options Status, code, params and cause.
   */
  constructor(message: string, options: MonzoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = options.status;
    this.code = options.code ?? "unknown";
    this.params = { ...options.params };
  }

  /**
   * A plain summary for logs and `JSON.stringify`, with no secret in it.
   *
   * @returns The name, message, status, code and params.
   */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      status: this.status,
      code: this.code,
      params: this.params,
    };
  }
}

/**
 * Bad input: raised before any request is sent. `argument` names the argument.
 *
 * @example
 * ```ts
 * import { MonzoArgumentError } from "@monzo-api/client";
 * const error = new MonzoArgumentError("amount", "must be a positive integer of minor units");
 * console.log(error.message); // "amount must be a positive integer of minor units"
 * ```
 */
export class MonzoArgumentError extends MonzoError {
  /** The name of the bad argument, for example `amount` or `options.limit`. */
  readonly argument: string;

  /**
   * Creates an argument error.
   *
   * @param argument The argument's name.
   * @param problem What is wrong with it, completing the sentence "<argument> ...".
   */
  constructor(argument: string, problem: string) {
    super(`${argument} ${problem}`, { code: "argument.invalid", params: { argument } });
    this.argument = argument;
  }
}

/**
 * An error from an HTTP response (the base of the status-specific classes below).
 *
 * @example
 * ```ts
 * import { MonzoApiError } from "@monzo-api/client";
 * const error = new MonzoApiError("Not found", { status: 404, code: "not_found.pot" });
 * console.log(error.status, error.code);
 * ```
 */
export class MonzoApiError extends MonzoError {}

/**
 * 401 and OAuth failures: a bad, expired, evicted or revoked token, a refused code or refresh
 * token, or a state mismatch. When `reauthorizationRequired` is true, only a new interactive
 * login (the OAuth flow) can recover.
 *
 * @example
 * ```ts
 * import { MonzoAuthenticationError } from "@monzo-api/client";
 * const error = new MonzoAuthenticationError("Refresh token already used", {
 *   status: 400,
 *   code: "bad_request.refresh_token.invalid",
 *   reauthorizationRequired: true,
 * });
 * if (error.reauthorizationRequired) console.log("send the user through the login again");
 * ```
 */
export class MonzoAuthenticationError extends MonzoApiError {
  /** True when the stored login is dead and the user must authorise again. */
  readonly reauthorizationRequired: boolean;

  /**
   * Creates an authentication error.
   *
   * @param message What went wrong and what to do.
   * @param options Status, code, params, cause, and whether re-authorisation is needed.
   */
  constructor(
    message: string,
    options: MonzoErrorOptions & { reauthorizationRequired?: boolean } = {},
  ) {
    super(message, options);
    this.reauthorizationRequired = options.reauthorizationRequired ?? false;
  }

  /**
   * A plain summary with no secret in it.
   *
   * @returns The fields of {@link MonzoError.toJSON} and `reauthorizationRequired`.
   */
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reauthorizationRequired: this.reauthorizationRequired };
  }
}

/**
 * Why Monzo refused with 403.
 *
 * @example
 * ```ts
 * import { MonzoPermissionsError, type PermissionsReason } from "@monzo-api/client";
 * function advise(reason: PermissionsReason): string {
 *   return reason === "approval_pending" ? "Tap Allow in the Monzo app" : "Ask for less history";
 * }
 * console.log(advise(new MonzoPermissionsError("", { code: "forbidden.verification_required" }).reason));
 * ```
 */
export type PermissionsReason = "approval_pending" | "verification_required" | "forbidden";

/**
 * 403. `reason` tells apart the in-app approval that is still pending
 * (`forbidden.insufficient_permissions` on a new login), the 90-day history window
 * (`forbidden.verification_required`), and any other refusal.
 *
 * @example
 * ```ts
 * import { MonzoPermissionsError } from "@monzo-api/client";
 * const error = new MonzoPermissionsError("Approve access in the Monzo app", {
 *   status: 403,
 *   code: "forbidden.insufficient_permissions",
 * });
 * console.log(error.reason); // "approval_pending"
 * ```
 */
export class MonzoPermissionsError extends MonzoApiError {
  /** Which kind of refusal this is. */
  readonly reason: PermissionsReason;

  /**
   * Creates a permissions error; `reason` is derived from `options.code`.
   *
   * @param message What was refused and what to do.
   * @param options Status, code, params and cause.
   */
  constructor(message: string, options: MonzoErrorOptions = {}) {
    super(message, options);
    this.reason = options.code === "forbidden.insufficient_permissions"
      ? "approval_pending"
      : options.code === "forbidden.verification_required"
      ? "verification_required"
      : "forbidden";
  }

  /**
   * A plain summary.
   *
   * @returns The fields of {@link MonzoError.toJSON} and `reason`.
   */
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason };
  }
}

/**
 * Any other 4xx answer (400, 404, 405, ...).
 *
 * @example
 * ```ts
 * import { MonzoHTTPError } from "@monzo-api/client";
 * const error = new MonzoHTTPError("Missing account_id", {
 *   status: 400,
 *   code: "bad_request.missing_param.account_id",
 * });
 * console.log(error.status);
 * ```
 */
export class MonzoHTTPError extends MonzoApiError {}

/**
 * 429: too many requests. `retryAfter` is the server's `Retry-After` in seconds, when given.
 *
 * @example
 * ```ts
 * import { MonzoRateError } from "@monzo-api/client";
 * const error = new MonzoRateError("Slow down", { status: 429, code: "rate_limited", retryAfter: 2 });
 * console.log(error.retryAfter); // 2
 * ```
 */
export class MonzoRateError extends MonzoApiError {
  /** Seconds the server asked us to wait, when it said. */
  readonly retryAfter: number | undefined;

  /**
   * Creates a rate error.
   *
   * @param message What happened.
   * @param options Status, code, params, cause and `retryAfter` in seconds.
   */
  constructor(message: string, options: MonzoErrorOptions & { retryAfter?: number } = {}) {
    super(message, options);
    this.retryAfter = options.retryAfter;
  }

  /**
   * A plain summary.
   *
   * @returns The fields of {@link MonzoError.toJSON} and `retryAfter`.
   */
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfter: this.retryAfter };
  }
}

/**
 * 5xx: Monzo failed. Safe requests were already retried before this is thrown.
 *
 * @example
 * ```ts
 * import { MonzoServerError } from "@monzo-api/client";
 * const error = new MonzoServerError("Gateway timeout", { status: 504, code: "timeout" });
 * console.log(error.status);
 * ```
 */
export class MonzoServerError extends MonzoApiError {}

/**
 * The request did not get an answer: the connection failed or dropped, or it timed out
 * (`timedOut`). The original failure is the `cause`.
 *
 * @example
 * ```ts
 * import { MonzoNetworkError } from "@monzo-api/client";
 * const error = new MonzoNetworkError("GET /balance timed out after 30000 ms", { timedOut: true });
 * console.log(error.timedOut); // true
 * ```
 */
export class MonzoNetworkError extends MonzoError {
  /** True when the request was abandoned because it took longer than `timeoutMs`. */
  readonly timedOut: boolean;

  /**
   * Creates a network error.
   *
   * @param message What failed.
   * @param options The cause, and whether it was a timeout.
   */
  constructor(message: string, options: MonzoErrorOptions & { timedOut?: boolean } = {}) {
    super(message, { code: options.timedOut ? "network.timeout" : "network.failed", ...options });
    this.timedOut = options.timedOut ?? false;
  }
}

/**
 * A 2xx response whose body is not what the API promises: not JSON, or a field of the wrong
 * type. `path` names the field (for example `transactions.3.amount`).
 *
 * @example
 * ```ts
 * import { MonzoResponseError } from "@monzo-api/client";
 * const error = new MonzoResponseError("balance: expected number, received string", {
 *   path: "balance",
 *   status: 200,
 * });
 * console.log(error.path); // "balance"
 * ```
 */
export class MonzoResponseError extends MonzoError {
  /** The dotted path of the first bad field; `""` when the body as a whole is bad. */
  readonly path: string;

  /**
   * Creates a response error.
   *
   * @param message What is wrong with the body.
   * @param options Status, cause, and the path of the bad field.
   */
  constructor(message: string, options: MonzoErrorOptions & { path?: string } = {}) {
    super(message, { code: "response.invalid", ...options });
    this.path = options.path ?? "";
  }

  /**
   * A plain summary.
   *
   * @returns The fields of {@link MonzoError.toJSON} and `path`.
   */
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), path: this.path };
  }
}

/**
 * A storage handler failed to store or fetch credentials. When it is thrown after a token
 * refresh, the new tokens are still held in memory and used, and the store is tried again on
 * the next call. A sync store (`@monzo-api/client/sync`) throws it too when its database
 * fails: the step is rolled back and nothing is written.
 *
 * @example
 * ```ts
 * import { MonzoStorageError } from "@monzo-api/client";
 * const error = new MonzoStorageError("Could not store the new tokens", { cause: new Error("disk full") });
 * console.log(error.cause);
 * ```
 */
export class MonzoStorageError extends MonzoError {
  /**
   * Creates a storage error.
   *
   * @param message What failed.
   * @param options The cause.
   */
  constructor(message: string, options: MonzoErrorOptions = {}) {
    super(message, { code: "storage.failed", ...options });
  }
}
