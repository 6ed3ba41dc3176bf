// Private: the OAuth wire, as request / process pairs. Building the authorisation URL,
// sending a token grant and checking its answer, revoking a token. No state lives here.

import * as v from "valibot";
import { MonzoResponseError } from "./errors.ts";
import { encodeQuery, errorFromResponse, parseBody, type ReadResponse, send } from "./http.ts";
import type { TransportConfig } from "./http.ts";

/** What the token endpoint grants. */
export interface TokenGrant {
  accessToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  refreshToken?: string;
}

/** The client a grant is for. */
export interface OAuthClient {
  apiUrl: string;
  clientId: string;
  clientSecret: string;
}

const TokenResponse = v.looseObject({
  access_token: v.pipe(v.string(), v.minLength(1)),
  expires_in: v.pipe(v.number(), v.finite()),
  refresh_token: v.optional(v.pipe(v.string(), v.minLength(1))),
});

const TOKEN_LABEL = "POST /oauth2/token";

/** The URL of Monzo's authorisation page, every parameter percent-encoded. */
export function authorizationUrl(
  authUrl: string,
  clientId: string,
  redirectUrl: string,
  state: string,
): string {
  const url = new URL(authUrl + "/");
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUrl,
    response_type: "code",
    state,
  }).toString();
  return url.toString();
}

/**
 * Sends one token grant (`authorization_code` or `refresh_token`) and checks the answer.
 * Never an `Authorization` header and never a retry: a refresh token works once. The
 * transport's `timeoutMs` is the grant's own deadline.
 */
export async function requestTokens(
  transport: TransportConfig,
  client: OAuthClient,
  params: Record<string, string>,
): Promise<TokenGrant> {
  const form = encodeQuery({
    ...params,
    client_id: client.clientId,
    client_secret: client.clientSecret,
  });
  const response = await send(transport, TOKEN_LABEL, `${client.apiUrl}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: form,
  }, false);
  return processTokenResponse(response, transport.secrets());
}

/** Checks a token endpoint answer: an OAuth error, or a grant whose fields are named. */
export function processTokenResponse(
  response: ReadResponse,
  secrets: readonly string[],
): TokenGrant {
  if (response.status >= 400) throw errorFromResponse(response, TOKEN_LABEL, secrets, true);
  const parsed = v.safeParse(TokenResponse, parseBody(response, TOKEN_LABEL));
  if (!parsed.success) {
    const path = v.getDotPath(parsed.issues[0]) ?? "";
    throw new MonzoResponseError(
      // Never the received value: a token response's fields are secrets.
      `${TOKEN_LABEL} answered with a bad token response: ${path || "body"} expected ${
        parsed.issues[0].expected ?? "another value"
      }`,
      { status: response.status, path },
    );
  }
  const grant: TokenGrant = {
    accessToken: parsed.output.access_token,
    expiresIn: parsed.output.expires_in,
  };
  if (parsed.output.refresh_token) grant.refreshToken = parsed.output.refresh_token;
  return grant;
}

/**
 * Asks Monzo whether an access token still works (`GET /ping/whoami`): `true` when it does,
 * `false` when Monzo refuses it (evicted, rotated, revoked or expired), `undefined` when the
 * answer says neither.
 */
export async function tokenWorks(
  transport: TransportConfig,
  apiUrl: string,
  accessToken: string,
): Promise<boolean | undefined> {
  try {
    const response = await send(transport, "GET /ping/whoami", `${apiUrl}/ping/whoami`, {
      headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json" },
    }, true);
    if (response.status < 300) return true;
    return response.status === 401 ? false : undefined;
  } catch {
    return undefined;
  }
}

/** Revokes an access token (and its refresh token) with `POST /oauth2/logout`. */
export async function revokeToken(
  transport: TransportConfig,
  apiUrl: string,
  accessToken: string,
): Promise<void> {
  const label = "POST /oauth2/logout";
  const response = await send(transport, label, `${apiUrl}/oauth2/logout`, {
    method: "POST",
    headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json" },
  }, false);
  if (response.status >= 400) throw errorFromResponse(response, label, transport.secrets());
}
