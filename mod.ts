/**
 * A Monzo API client for Deno, Bun, Node 20+ and Cloudflare Workers, built on `fetch` and
 * web standards. It keeps a Monzo login alive for months: refresh tokens work once, so every
 * refresh is stored through your handlers before the new token is used, and concurrent
 * callers (and, with a leasing handler, concurrent processes) share one refresh.
 *
 * @example
 * ```ts
 * import { Authentication, MemoryStorage, Monzo } from "@monzo-api/client";
 *
 * const storage = new MemoryStorage();
 * const auth = await Authentication.fromStorage(storage, {
 *   clientId: "oauth2client_123",
 *   clientSecret: "secret",
 *   redirectUrl: "http://localhost:8000/callback",
 * });
 * const monzo = new Monzo(auth);
 * if (auth.isAuthenticated) {
 *   const [account] = await monzo.accounts.list();
 *   console.log(await monzo.balance.get(account.id));
 * }
 * ```
 *
 * @module
 */

export {
  type AuthenticateOptions,
  Authentication,
  type AuthenticationOptions,
  type WaitForApprovalOptions,
} from "./src/authentication.ts";
export {
  type Credentials,
  MemoryStorage,
  Storage,
  type StorageLease,
  storedGeneration,
} from "./src/storage.ts";
export type { Params, ParamScalar, ParamValue, RequestOptions } from "./src/http.ts";
export {
  MonzoApiError,
  MonzoArgumentError,
  MonzoAuthenticationError,
  MonzoError,
  type MonzoErrorOptions,
  MonzoHTTPError,
  MonzoNetworkError,
  MonzoPermissionsError,
  MonzoRateError,
  MonzoResponseError,
  MonzoServerError,
  MonzoStorageError,
  type PermissionsReason,
} from "./src/errors.ts";
export * from "./src/monzo.ts";
export * from "./src/models.ts";
export * from "./src/webhooks.ts";
export type {
  Coverage,
  CoverageLimit,
  ModifiedTransaction,
  SyncOptions,
  SyncProgress,
  SyncResult,
} from "./src/sync/types.ts";
