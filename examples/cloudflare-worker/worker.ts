/**
 * A Cloudflare Worker that keeps a Monzo login in Workers KV and serves a JSON summary of
 * your accounts and their balances.
 *
 * - `GET /login` sends you to Monzo (the state rides in an HttpOnly cookie), and
 *   `GET /callback` exchanges the code and stores the login in KV with
 *   `CloudflareKvStorage`. Then allow access in the Monzo app.
 * - `GET /` answers `{ "accounts": [{ "id", "type", "balance", "currency" }] }`. It only
 *   reads the stored access token and never refreshes.
 * - The `scheduled` handler (a cron trigger) is the one place that refreshes. Workers KV has
 *   no compare-and-swap and is eventually consistent, so requests refreshing on their own
 *   could spend the same single-use refresh token twice, and that logs you out.
 *
 * @module
 */

import { Authentication, type AuthenticationOptions, Monzo, MonzoError } from "@monzo-api/client";
import {
  CloudflareKvStorage,
  type KVNamespaceLike,
} from "@monzo-api/client/handlers/cloudflare-kv";

/** The Worker's bindings: see wrangler.toml. */
export interface Env {
  /** The KV namespace holding the login. */
  TOKENS: KVNamespaceLike;
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

/** Refresh when the access token expires within this many seconds; keep it above the cron interval. */
const REFRESH_AHEAD_SECONDS = 2 * 3600;
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

/** `GET /`: the accounts and balances, with the stored access token only. */
async function summary(env: Env): Promise<Response> {
  const stored = await new CloudflareKvStorage(env.TOKENS).fetch();
  if (!stored) return json({ error: "not_logged_in", message: "Log in at /login" }, 503);
  // No refresh token and no handler: this request cannot refresh, whatever happens.
  const monzo = new Monzo(
    new Authentication({
      ...options(env),
      accessToken: stored.accessToken,
      accessTokenExpiry: stored.expiry,
    }),
  );
  try {
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

/** `GET /callback`: checks the state, exchanges the code and stores the login in KV. */
async function callback(request: Request, env: Env): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const error = params.get("error");
  if (error) return json({ error, message: "Monzo did not grant access" }, 400);
  const cookies = request.headers.get("cookie") ?? "";
  const expectedState = cookies.match(new RegExp(`(?:^|;\\s*)${STATE_COOKIE}=([^;]+)`))?.[1];
  if (!expectedState) return json({ error: "no_state", message: "Start at /login" }, 400);
  const auth = new Authentication(options(env));
  auth.registerCallbackHandler(new CloudflareKvStorage(env.TOKENS));
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

/**
 * The cron: one cheap call with a login that may refresh. `Authentication` refreshes when the
 * token expires within `REFRESH_AHEAD_SECONDS`, or once on an expired-token answer, and
 * stores the new tokens in KV before using them.
 */
async function keepAlive(env: Env): Promise<void> {
  const storage = new CloudflareKvStorage(env.TOKENS);
  if (!(await storage.fetch())) return; // nobody has logged in yet
  const auth = await Authentication.fromStorage(storage, {
    ...options(env),
    refreshSkewSeconds: REFRESH_AHEAD_SECONDS,
  });
  await new Monzo(auth).whoAmI();
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

  /** Runs on the cron trigger of wrangler.toml. */
  async scheduled(_controller: unknown, env: Env): Promise<void> {
    await keepAlive(env);
  },
};
