// The CLI's two failure kinds and the one place that turns any error into a plain sentence
// with a next step, and an exit code. Library errors never contain a token or the secret;
// their raw text (method, path, Monzo's code) is left out unless nothing plainer fits.

import {
  MonzoArgumentError,
  MonzoAuthenticationError,
  MonzoError,
  MonzoHTTPError,
  MonzoNetworkError,
  MonzoPermissionsError,
  MonzoRateError,
  MonzoServerError,
  MonzoStorageError,
} from "../errors.ts";

/** Bad command-line usage: exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure the CLI explains itself: exit code 1. */
export class CliError extends Error {
  override name = "CliError";
}

/** What to print for an error, and the exit code. */
export function explain(error: unknown): { message: string; exitCode: number } {
  if (error instanceof UsageError || error instanceof MonzoArgumentError) {
    return { message: error.message, exitCode: 2 };
  }
  return { message: describe(error), exitCode: 1 };
}

const LOG_IN_AGAIN = "Log in again: run `monzo login`.";

function describe(error: unknown): string {
  if (error instanceof CliError) return error.message;
  if (error instanceof MonzoPermissionsError) {
    if (error.reason === "approval_pending") {
      return "Access is not approved yet: open the Monzo app and allow access (the request " +
        "waits in your feed), then try again. `monzo status` shows where the login stands.";
    }
    if (error.reason === "verification_required") {
      return "Monzo only lists the last 90 days once 5 minutes have passed since you logged " +
        "in: pass a later --since (for example --since 89d), or run `login` again and fetch " +
        "the older history within 5 minutes.";
    }
    return "Monzo does not let this login see that (another user's account or pot?). Check " +
      "the id with `monzo accounts`.";
  }
  if (error instanceof MonzoAuthenticationError) {
    return `The saved login no longer works (it was logged out, replaced by a newer login, or ` +
      `ended by Monzo). ${LOG_IN_AGAIN}`;
  }
  if (error instanceof MonzoRateError) {
    const wait = error.retryAfter ? `in ${Math.ceil(error.retryAfter)} s` : "in a minute";
    return `Monzo asks to slow down. Try again ${wait}.`;
  }
  if (error instanceof MonzoServerError) {
    return `Monzo is having trouble right now (HTTP ${error.status}). Try again in a few minutes.`;
  }
  if (error instanceof MonzoNetworkError) {
    return "Could not reach Monzo. Check the internet connection (or --api-url) and try again.";
  }
  if (error instanceof MonzoStorageError) {
    return `The login could not be saved: ${error.message}`;
  }
  if (error instanceof MonzoHTTPError) {
    if (error.status === 404) {
      return "Monzo has no such account, pot or transaction. Check the id with `monzo " +
        "accounts` or `monzo pots`.";
    }
    if (error.code.includes("insufficient_funds")) return "Not enough money in the account.";
    return `Monzo refused the request (${error.code}).`;
  }
  if (error instanceof MonzoError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
