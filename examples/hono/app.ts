// The example server as a Hono app: OAuth with the state in a cookie, the dashboard, a pot
// move, and a webhook receiver that pushes new transactions to open pages (server-sent events).
import { Hono } from "hono";
import { basicAuth } from "hono/basic-auth";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { streamSSE } from "hono/streaming";
import {
  Authentication,
  type Monzo,
  MonzoAuthenticationError,
  MonzoError,
  MonzoHTTPError,
  MonzoPermissionsError,
  MonzoResponseError,
  parseWebhookEvent,
} from "../../mod.ts";
import { LIVE_JS } from "./live.ts";
import { formatMoney, parseMoney } from "./money.ts";
import {
  type AccountView,
  approvalPage,
  connectPage,
  dashboardPage,
  errorPage,
  type Mode,
  transactionRow,
} from "./views.ts";

/** What {@link createApp} needs. */
export interface AppOptions {
  auth: Authentication;
  monzo: Monzo;
  /** The secret part of the webhook URL, `/webhooks/<secret>`. */
  webhookSecret: string;
  mode: Mode;
  /**
   * Where Monzo can reach this app (`https://example.com`). When set, a webhook pointing at
   * `<webhookBaseUrl>/webhooks/<secret>` is registered on the current account after login.
   */
  webhookBaseUrl?: string;
  /** When set, every page but the webhook asks for this password (HTTP Basic, any user). */
  password?: string;
}

/** A new transaction, as it is pushed to open pages. */
interface LiveTransaction {
  accountId: string;
  html: string;
}

const STATE_COOKIE = "monzo_oauth_state";
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const HISTORY_DAYS = 30;
const LATEST = 15;
const SECURITY_HEADERS = {
  "Cache-Control": "no-store",
  "Content-Security-Policy":
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; " +
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
};

/** Compares two secrets in time that does not depend on where they differ. */
export async function sameSecret(given: string, expected: string): Promise<boolean> {
  const digest = (text: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  const [a, b] = (await Promise.all([digest(given), digest(expected)])).map((d) =>
    new Uint8Array(d)
  );
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Builds the app; serve it with `Deno.serve(app.fetch)`, `Bun.serve(app)` or test it with `app.request()`. */
export function createApp(options: AppOptions): Hono {
  const { auth, monzo, mode, webhookSecret } = options;
  const listeners = new Set<(event: LiveTransaction) => void>();
  const webhooksRegistered = new Set<string>();
  const app = new Hono();

  app.use(async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
  });
  if (options.password) {
    const password = options.password;
    const guard = basicAuth({ verifyUser: (_user, given) => sameSecret(given, password) });
    app.use((c, next) => c.req.path.startsWith("/webhooks/") ? next() : guard(c, next));
  }
  app.use("/pots/*", csrf());
  app.use("/logout", csrf());

  app.get("/", async (c) => {
    if (!auth.isAuthenticated) return c.html(connectPage(mode));
    let views: AccountView[];
    try {
      views = await loadAccounts(monzo);
    } catch (error) {
      if (error instanceof MonzoPermissionsError && error.reason === "approval_pending") {
        return c.html(approvalPage(mode));
      }
      if (!(error instanceof MonzoAuthenticationError)) throw error;
      await auth.logout().catch(() => {});
      return c.html(connectPage(mode, `Your Monzo login has ended (${error.message}).`), 401);
    }
    return c.html(dashboardPage(mode, views, {
      notice: movedNotice(views, c.req.query("moved"), c.req.query("pot")),
      webhook: await ensureWebhook(views),
    }));
  });

  app.get("/login", (c) => {
    const state = Authentication.generateState();
    const target = auth.authorizationUrl(state);
    const callback = new URL(new URL(target).searchParams.get("redirect_uri")!);
    const here = new URL(c.req.url);
    // The cookie must be set on the host Monzo redirects back to (localhost vs 127.0.0.1).
    if (LOCAL_HOSTS.has(here.hostname) && LOCAL_HOSTS.has(callback.hostname)) {
      if (here.host !== callback.host) return c.redirect(new URL("/login", callback).href);
    }
    setCookie(c, STATE_COOKIE, state, {
      httpOnly: true,
      sameSite: "Lax",
      path: "/callback",
      maxAge: 600,
      secure: !LOCAL_HOSTS.has(here.hostname),
    });
    return c.redirect(target);
  });

  app.get("/callback", async (c) => {
    const expected = getCookie(c, STATE_COOKIE);
    deleteCookie(c, STATE_COOKIE, { path: "/callback" });
    const { code, state, error, error_description: description } = c.req.query();
    if (error) {
      return c.html(errorPage(mode, "Monzo did not connect", description ?? error), 400);
    }
    if (!code || !state || !expected) {
      return c.html(
        errorPage(
          mode,
          "Login failed",
          "The login expired or was started elsewhere: connect again.",
        ),
        400,
      );
    }
    try {
      await auth.authenticate(code, { state, expectedState: expected });
    } catch (error) {
      if (!(error instanceof MonzoAuthenticationError)) throw error;
      return c.html(errorPage(mode, "Login failed", error.message), 400);
    }
    return c.redirect("/", 303);
  });

  app.post("/pots/deposit", async (c) => {
    const form = await c.req.parseBody();
    const field = (name: string) => typeof form[name] === "string" ? form[name] : "";
    const amount = parseMoney(field("amount"));
    const [potId, accountId, dedupeId] = ["pot_id", "account_id", "dedupe_id"].map(field);
    if (amount === null || !potId || !accountId || !dedupeId) {
      return c.html(
        errorPage(mode, "The money did not move", "Enter an amount such as 10.00."),
        400,
      );
    }
    try {
      // The dedupe id comes with the form: submitting the same form twice moves money once.
      await monzo.pots.deposit(potId, { sourceAccountId: accountId, amount, dedupeId });
    } catch (error) {
      if (!(error instanceof MonzoHTTPError)) throw error;
      return c.html(errorPage(mode, "The money did not move", error.message), 400);
    }
    return c.redirect(`/?moved=${amount}&pot=${encodeURIComponent(potId)}`, 303);
  });

  app.post("/logout", async (c) => {
    await auth.logout().catch(() => {});
    return c.redirect("/", 303);
  });

  app.post("/webhooks/:secret", bodyLimit({ maxSize: 256 * 1024 }), async (c) => {
    if (!(await sameSecret(c.req.param("secret"), webhookSecret))) return c.notFound();
    let event;
    try {
      event = parseWebhookEvent(await c.req.text());
    } catch (error) {
      if (!(error instanceof MonzoResponseError)) throw error;
      return c.json({ error: error.message }, 400);
    }
    const live = {
      accountId: event.data.account_id ?? "",
      html: transactionRow(event.data).value,
    };
    for (const listener of listeners) listener(live);
    return c.json({});
  });

  app.get("/events", (c) =>
    streamSSE(c, async (stream) => {
      const send = (event: LiveTransaction) => {
        stream.writeSSE({ event: "transaction", data: JSON.stringify(event) }).catch(() => {});
      };
      listeners.add(send);
      // A comment now and then keeps proxies and idle timeouts from closing the stream.
      const ping = setInterval(() => stream.write(": ping\n\n").catch(() => {}), 15_000);
      await stream.write(": connected\n\n");
      await new Promise<void>((resolve) =>
        stream.onAbort(() => {
          clearInterval(ping);
          listeners.delete(send);
          resolve();
        })
      );
    }));

  app.get("/live.js", (c) => c.body(LIVE_JS, 200, { "Content-Type": "text/javascript" }));

  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    if (error instanceof MonzoError) {
      return c.html(errorPage(mode, "Monzo answered with an error", error.message), 502);
    }
    console.error(error);
    return c.html(errorPage(mode, "Something went wrong", "See the server's log."), 500);
  });

  /** Registers the webhook on the current account once per process; returns a status line. */
  async function ensureWebhook(views: AccountView[]): Promise<string> {
    const current = views.find((v) => v.account.type === "uk_retail") ?? views[0];
    if (!options.webhookBaseUrl) {
      return "Set PUBLIC_URL to this app's public https address to see new transactions live.";
    }
    if (!current) return "No account to watch.";
    const id = current.account.id;
    const url = `${options.webhookBaseUrl.replace(/\/+$/, "")}/webhooks/${webhookSecret}`;
    try {
      if (!webhooksRegistered.has(id)) {
        const hooks = await monzo.webhooks.list(id);
        if (!hooks.some((hook) => hook.url === url)) await monzo.webhooks.create(id, url);
        webhooksRegistered.add(id);
      }
      return "Live: new transactions on your current account appear here as Monzo sends them.";
    } catch (error) {
      if (!(error instanceof MonzoError)) throw error;
      return `The webhook could not be registered: ${error.message}`;
    }
  }

  return app;
}

/** Every open account with its balance, pots and latest transactions (newest first). */
async function loadAccounts(monzo: Monzo): Promise<AccountView[]> {
  const accounts = (await monzo.accounts.list()).filter((account) => !account.closed);
  const since = new Date(Date.now() - HISTORY_DAYS * 86_400_000);
  return await Promise.all(accounts.map(async (account) => {
    const transactions = [];
    for await (
      const tx of monzo.transactions.iterate(account.id, { since, expandMerchant: true })
    ) {
      transactions.push(tx);
    }
    const [balance, pots] = await Promise.all([
      monzo.balance.get(account.id),
      monzo.pots.list(account.id),
    ]);
    return {
      account,
      balance,
      pots: pots.filter((pot) => !pot.deleted),
      transactions: transactions.slice(-LATEST).reverse(),
    };
  }));
}

/** "Moved £10.00 into Holiday." after a pot move, from the redirect's query. */
function movedNotice(views: AccountView[], moved?: string, potId?: string): string | undefined {
  const amount = Number(moved);
  const pot = views.flatMap((v) => v.pots).find((p) => p.id === potId);
  if (!pot || !Number.isSafeInteger(amount) || amount <= 0) return undefined;
  return `Moved ${formatMoney(amount, pot.currency)} into ${pot.name}.`;
}
