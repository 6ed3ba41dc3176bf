// Plain sentences with a next step for what went wrong. Fixed texts only: never words taken
// from a URL (anyone can craft one) and never Monzo's raw error line.
import {
  MonzoAuthenticationError,
  type MonzoError,
  MonzoNetworkError,
  MonzoPermissionsError,
  MonzoRateError,
  MonzoServerError,
} from "../../mod.ts";

const CALLBACK_ERRORS: Record<string, string> = {
  access_denied: "You chose not to connect your Monzo account. Connect again when you are ready.",
  invalid_request: "Monzo could not read the login request. Connect again.",
  unauthorized_client: "This app's Monzo client may not log in this way. Check its settings.",
  server_error: "Monzo had a problem during the login. Connect again in a few minutes.",
  temporarily_unavailable: "Monzo's login is busy. Connect again in a few minutes.",
};

/** What to show for `/callback?error=<code>`. */
export function callbackMessage(code: string): string {
  return Object.hasOwn(CALLBACK_ERRORS, code)
    ? CALLBACK_ERRORS[code]
    : "Monzo did not connect your account. Connect again.";
}

/** The login has ended (revoked, replaced by a newer login, or expired for good). */
export const LOGIN_ENDED = "Your Monzo login has ended. Connect again to carry on.";

/** A Monzo error as one plain sentence with what to do next. */
export function plainMessage(error: MonzoError): string {
  if (error instanceof MonzoAuthenticationError) return LOGIN_ENDED;
  if (error instanceof MonzoPermissionsError) {
    return error.reason === "approval_pending"
      ? "Approve access in the Monzo app first, then try again."
      : "Monzo does not allow this app to do that.";
  }
  if (error instanceof MonzoRateError) return "Monzo asks us to slow down. Try again in a minute.";
  if (error instanceof MonzoServerError) {
    return "Monzo is having trouble right now. Try again in a few minutes.";
  }
  if (error instanceof MonzoNetworkError) {
    return "Monzo could not be reached. Check the connection and try again.";
  }
  const code = error.code;
  if (code.includes("insufficient_funds")) {
    return "Not enough money for this move. Try a smaller amount.";
  }
  if (code.startsWith("not_found")) return "That pot or account no longer exists. Reload the page.";
  if (code.includes("added_security") || code.includes("locked")) {
    return "This pot is locked. Take money out of it in the Monzo app.";
  }
  return "Monzo refused this. Reload the page and try again.";
}
