// POST /oauth2/token, POST /oauth2/logout, GET /ping, GET /ping/whoami.
import { ApiError } from "./_errors.ts";
import type { Params } from "./_params.ts";
import type { Client } from "./models.ts";
import type { TokenRecord } from "./oauth.ts";
import type { Router } from "./router.ts";
import type { State } from "./state.ts";

/** Registers the token endpoint, logout and the ping endpoints. */
export function oauthRoutes(router: Router): void {
  router.open("POST", "/oauth2/token", (call) => {
    const { state, form } = call;
    const grantType = form.optional("grant_type");
    if (grantType === "authorization_code" || grantType === "refresh_token") {
      state.counters.grants[grantType]++;
    }
    if (call.c.req.header("authorization") !== undefined) {
      throw new ApiError("unauthorized.bad_access_token", "Access token is invalid", {
        oauthError: "invalid_token",
      });
    }
    form.required("grant_type");
    if (grantType !== "authorization_code" && grantType !== "refresh_token") {
      throw new ApiError(
        "bad_request.bad_param.grant_type",
        `Unsupported grant_type ${grantType}`,
        {
          oauthError: "unsupported_grant_type",
        },
      );
    }
    const client = authenticateClient(state, form);
    let record: TokenRecord;
    if (grantType === "authorization_code") {
      record = state.oauth.redeemCode(client, form.required("code"), form.required("redirect_uri"));
    } else {
      if (!client.confidential) {
        throw new ApiError(
          "bad_request.bad_param.grant_type",
          "Only confidential clients can refresh tokens",
          {
            oauthError: "unauthorized_client",
          },
        );
      }
      record = state.oauth.refresh(client, form.required("refresh_token"));
    }
    return call.c.json({
      access_token: record.accessToken,
      client_id: record.clientId,
      expires_in: state.oauth.lifetimeSeconds,
      ...(record.refreshToken ? { refresh_token: record.refreshToken } : {}),
      scope: "third_party_developer_app.pre_verification",
      token_type: "Bearer",
      user_id: record.userId,
    });
  });

  router.api("POST", "/oauth2/logout", (call, session) => {
    call.state.oauth.revoke(session.token);
    return call.c.json({});
  }, { approval: false });

  router.open("GET", "/ping", (call) => call.c.json({ ping: "pong" }));

  router.api("GET", "/ping/whoami", (call, session) =>
    call.c.json({
      authenticated: true,
      client_id: session.client.id,
      user_id: session.user.id,
    }), { approval: false });
}

function authenticateClient(state: State, form: Params): Client {
  const clientId = form.required("client_id");
  const secret = form.required("client_secret");
  const client = state.clients.get(clientId);
  if (!client) {
    throw new ApiError("unauthorized.bad_client_id", "Unknown client_id", {
      oauthError: "invalid_client",
    });
  }
  if (client.secret !== secret) {
    throw new ApiError("unauthorized.bad_client_secret", "client_secret is wrong for this client", {
      oauthError: "invalid_client",
    });
  }
  return client;
}
