/**
 * A Cloudflare Worker that keeps a Monzo login in a Durable Object and serves a JSON summary
 * of your accounts and their balances.
 *
 * - `GET /login` sends you to Monzo (the state rides in an HttpOnly cookie), and
 *   `GET /callback` exchanges the code and stores the login in the `MonzoTokens` object
 *   with `DurableObjectStorage`. Then allow access in the Monzo app.
 * - `GET /` answers `{ "accounts": [{ "id", "type", "balance", "currency" }] }`. Any request
 *   may refresh the login when its token has expired: the object lets one request at a time
 *   refresh and writes a refreshed set only over the one it replaces, so requests in any
 *   number of isolates never spend the single-use refresh token twice. The others wait and
 *   use what it stored.
 *
 * @module
 */

import { Authentication, type AuthenticationOptions, Monzo, MonzoError } from "@monzo-api/client";
import {
  type DurableObjectNamespaceLike,
  DurableObjectStorage,
} from "@monzo-api/client/handlers/durable-object";

// The Durable Object class must be exported by the Worker's main module (see wrangler.toml).
export { MonzoTokens } from "@monzo-api/client/handlers/durable-object";

/** The Worker's bindings: see wrangler.toml. */
export interface Env {
  /** The `MonzoTokens` Durable Object namespace holding the login. */
  MONZO_TOKENS: DurableObjectNamespaceLike;
  /** The OAuth client's id (a secret: `wrangler secret put MONZO_CLIENT_ID`). */
  MONZO_CLIENT_ID: string;
  /** The OAuth client's secret (`wrangler secret put MONZO_CLIENT_SECRET`). */
  MONZO_CLIENT_SECRET: string;
  /** `https://<worker>/callback`, registered for the client in Monzo's developer portal. */
  MONZO_REDIRECT_URL: string;
  /** Optional: another API, such as the emulator of `@monzo-api/client/testing`. */
  MONZO_API_URL?: string;
  /** Optional: another authorisation page (the emulator's is `<MONZO_API_URL>/auth`). */
  MONZO_AUTH_URL?: string;
}

const STATE_COOKIE = "monzo_state";

function options(env: Env): AuthenticationOptions {
  return {
    clientId: env.MONZO_CLIENT_ID,
    clientSecret: env.MONZO_CLIENT_SECRET,
    redirectUrl: env.MONZO_REDIRECT_URL,
    apiUrl: env.MONZO_API_URL,
    authUrl: env.MONZO_AUTH_URL,
  };
}

function json(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store" } });
}

/** `GET /`: the accounts and balances; refreshes the login first when it has expired. */
async function summary(env: Env): Promise<Response> {
  try {
    const auth = await Authentication.fromStorage(
      new DurableObjectStorage(env.MONZO_TOKENS),
      options(env),
    );
    if (!auth.isAuthenticated) {
      return json({ error: "not_logged_in", message: "Log in at /login" }, 503);
    }
    const monzo = new Monzo(auth);
    const accounts = (await monzo.accounts.list()).filter((account) => !account.closed);
    return json({
      accounts: await Promise.all(accounts.map(async ({ id, type }) => {
        const { balance, currency } = await monzo.balance.get(id);
        return { id, type, balance, currency };
      })),
    });
  } catch (error) {
    if (!(error instanceof MonzoError)) throw error;
    // Messages never contain a token or the secret.
    return json({ error: error.code, message: error.message }, 503);
  }
}

/** `GET /login`: to Monzo's authorisation page, the state kept in a short-lived cookie. */
function login(env: Env): Response {
  const state = Authentication.generateState();
  const location = new Authentication(options(env)).authorizationUrl(state);
  const cookie = `${STATE_COOKIE}=${state}; Path=/; Max-Age=600; HttpOnly; Secure; SameSite=Lax`;
  return new Response(null, { status: 302, headers: { location, "set-cookie": cookie } });
}

/** `GET /callback`: checks the state, exchanges the code and stores the login in the object. */
async function callback(request: Request, env: Env): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const error = params.get("error");
  if (error) return json({ error, message: "Monzo did not grant access" }, 400);
  const cookies = request.headers.get("cookie") ?? "";
  const expectedState = cookies.match(new RegExp(`(?:^|;\\s*)${STATE_COOKIE}=([^;]+)`))?.[1];
  if (!expectedState) return json({ error: "no_state", message: "Start at /login" }, 400);
  const auth = new Authentication(options(env));
  auth.registerCallbackHandler(new DurableObjectStorage(env.MONZO_TOKENS));
  try {
    await auth.authenticate(params.get("code") ?? "", {
      state: params.get("state") ?? "",
      expectedState,
    });
  } catch (error) {
    if (!(error instanceof MonzoError)) throw error;
    return json({ error: error.code, message: error.message }, 400);
  }
  return new Response("Logged in. Now allow access in the Monzo app, then open /.\n", {
    headers: { "set-cookie": `${STATE_COOKIE}=; Path=/; Max-Age=0` },
  });
}

export default {
  /** Serves `/`, `/login` and `/callback`. */
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method !== "GET") return json({ error: "method_not_allowed" }, 405);
    if (pathname === "/") return await summary(env);
    if (pathname === "/login") return login(env);
    if (pathname === "/callback") return await callback(request, env);
    return json({ error: "not_found" }, 404);
  },
};
