// The CLI's two failure kinds and the one place that turns any error into a message and an
// exit code. Library errors never contain a token or the secret, so their messages are shown.

import {
  MonzoAuthenticationError,
  MonzoError,
  MonzoNetworkError,
  MonzoPermissionsError,
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
  if (error instanceof UsageError) return { message: error.message, exitCode: 2 };
  return { message: describe(error), exitCode: 1 };
}

function describe(error: unknown): string {
  if (error instanceof CliError) return error.message;
  if (error instanceof MonzoPermissionsError) {
    if (error.reason === "approval_pending") {
      return "Access is not approved yet: open the Monzo app and allow access (the request " +
        "waits in your feed), then try again.";
    }
    if (error.reason === "verification_required") {
      return "Monzo only lists the last 90 days once 5 minutes have passed since you logged " +
        "in: pass a later --since (for example --since 89d), or run `login` again and fetch " +
        "the older history within 5 minutes.";
    }
  }
  if (error instanceof MonzoAuthenticationError && error.reauthorizationRequired) {
    return `${error.message}\nThe saved login no longer works: run \`login\` again.`;
  }
  if (error instanceof MonzoNetworkError) return `Could not reach Monzo: ${error.message}`;
  if (error instanceof MonzoError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
