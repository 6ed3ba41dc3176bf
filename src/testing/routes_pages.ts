// The browser side of auth.monzo.com, served under /auth: consent and the emulated in-app approval.
import { remember } from "./_limits.ts";
import type { Call, Router } from "./router.ts";
import { approvalPage, consentPage, errorPage } from "./pages.ts";

/** Registers `GET /auth/` (consent), `POST /auth/consent`, and `GET|POST /auth/approve`. */
export function pageRoutes(router: Router): void {
  const authorize = (call: Call): Response => {
    const { state, query } = call;
    const client = state.clients.get(query.optional("client_id") ?? "");
    if (!client) return errorPage("Unknown or missing client_id.");
    const redirectUri = query.optional("redirect_uri") ?? "";
    if (!client.redirectUris.includes(redirectUri)) {
      return errorPage("The redirect_uri is missing or not registered for this client.");
    }
    const stateParam = query.optional("state");
    if (query.optional("response_type") !== "code") {
      return redirect(redirectUri, { error: "unsupported_response_type", state: stateParam });
    }
    const consentId = state.rng.base62(22);
    remember(state.consents, consentId, { clientId: client.id, redirectUri, state: stateParam });
    return consentPage(client, state.world.user, consentId);
  };
  router.open("GET", "/auth", authorize);
  router.open("GET", "/auth/", authorize);

  router.open("POST", "/auth/consent", (call) => {
    const { state, form } = call;
    const id = form.optional("consent_id") ?? "";
    const consent = state.consents.get(id);
    if (!consent) return errorPage("This consent request is unknown or was already answered.");
    state.consents.delete(id);
    if (form.optional("decision") !== "allow") {
      return redirect(consent.redirectUri, { error: "access_denied", state: consent.state });
    }
    const code = state.oauth.issueCode(
      consent.clientId,
      state.world.user.id,
      consent.redirectUri,
      false,
    );
    return redirect(consent.redirectUri, { code, state: consent.state });
  });

  router.open("GET", "/auth/approve", ({ state }) => {
    const user = state.world.user;
    return approvalPage(user, state.oauth.pendingCount(user.id));
  });

  router.open("POST", "/auth/approve", ({ state }) => {
    const user = state.world.user;
    const approved = state.approve(user.id);
    return approvalPage(user, state.oauth.pendingCount(user.id), approved);
  });
}

function redirect(target: string, params: Record<string, string | undefined>): Response {
  const url = new URL(target);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return new Response(null, { status: 302, headers: { location: url.href } });
}
