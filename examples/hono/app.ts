// The example server as a Hono app: OAuth with the state in a cookie, the dashboard over the
// synced store (sync.ts), pot moves, and a webhook receiver that triggers a sync; new and
// changed rows are pushed to open pages (server-sent events).
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import {
  Authentication,
  type Monzo,
  MonzoAuthenticationError,
  MonzoError,
  MonzoPermissionsError,
  MonzoResponseError,
  parseWebhookEvent,
  type Transaction,
} from "../../mod.ts";
import type { StoredTransaction } from "../../src/sync/mod.ts";
import { hostGuard, isLoopback, passwordGuard, sameSecret } from "./guard.ts";
import { LIVE_JS, LiveHub } from "./live.ts";
import type { AccountChanges, DashboardStore, DashboardSync } from "./sync.ts";
import { callbackMessage, LOGIN_ENDED, plainMessage } from "./messages.ts";
import { formatMoney, parseMoney } from "./money.ts";
import {
  type AccountView,
  approvalPage,
  connectPage,
  coverageText,
  dashboardPage,
  errorPage,
  FAVICON_SVG,
  LATEST,
  type Mode,
  transactionRow,
} from "./views.ts";

/** What {@link createApp} needs. */
export interface AppOptions {
  auth: Authentication;
  monzo: Monzo;
  /** The synced transactions: the dashboard lists them, webhooks trigger its syncs. */
  sync: DashboardSync;
  /** The secret part of the webhook URL, `/webhooks/<secret>`. */
  webhookSecret: string;
  mode: Mode;
  /**
   * The origins this app is served as (`http://localhost:8000`, `https://dash.example.com`).
   * Requests for any other host are refused (DNS rebinding), and only forms from these
   * origins may post.
   */
  origins: string[];
  /**
   * Where Monzo can reach this app (`https://example.com`). When set, a webhook pointing at
   * `<webhookBaseUrl>/webhooks/<secret>` is registered on the current account after login.
   */
  webhookBaseUrl?: string;
  /** When set, every page but the webhook asks for this password (HTTP Basic, any user). */
  password?: string;
  /** Open live streams at most. Default 20. */
  maxLiveClients?: number;
  /** `fetch` for the emulator's controls (emulator mode). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** The clock, in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}

const STATE_COOKIE = "monzo_oauth_state";
const FORM_LIMIT = 16 * 1024;
const WEBHOOK_LIMIT = 256 * 1024;
/** A live row larger than this (a huge description) is not pushed; a reload shows it. */
const MAX_ROW_BYTES = 16 * 1024;
/** Transaction ids remembered to drop webhook replays, and notices kept for redirects. */
const MEMORY = 1000;
const TEST_MERCHANTS = ["Pret A Manger", "Greggs", "Dishoom", "Waitrose & Partners", "Uber"];

/** Builds the app; serve it with `Deno.serve(app.fetch)`, `Bun.serve(app)` or test it with `app.request()`. */
export function createApp(options: AppOptions): Hono {
  const { auth, monzo, mode, webhookSecret, sync } = options;
  const now = options.now ?? Date.now;
  const live = new LiveHub({ maxClients: options.maxLiveClients ?? 20, maxQueue: 32 });
  sync.subscribe((changes) => push(changes).catch((error) => console.error(error)));
  // A login kept from the last run: sync once it is (or was) approved.
  if (auth.isAuthenticated) sync.watchApproval(auth);
  const webhooksRegistered = new Set<string>();
  /** The accounts of the connected login: webhooks for any other are ignored. */
  const connected = new Set<string>();
  const seen = new Map<string, true>();
  /** Notices shown after a redirect, by a random id: the text never comes from the URL. */
  const notices = new Map<string, string>();
  const app = new Hono();

  app.use(hostGuard(options.origins));
  app.use(headers(options.origins));
  if (options.password) app.use(passwordGuard(options.password, now));
  app.use((c, next) =>
    c.req.method === "POST"
      ? bodyLimit({
        maxSize: c.req.path.startsWith("/webhooks/") ? WEBHOOK_LIMIT : FORM_LIMIT,
        onError: (c) => c.text("Too large.", 413),
      })(c, next)
      : next()
  );
  const sameOrigin = csrf({ origin: options.origins });

  app.get("/", async (c) => {
    if (!auth.isAuthenticated) return c.html(connectPage(mode));
    let views: AccountView[];
    try {
      views = await loadAccounts(monzo, sync.store);
    } catch (error) {
      if (error instanceof MonzoPermissionsError && error.reason === "approval_pending") {
        return c.html(approvalPage(mode));
      }
      throw error;
    }
    for (const view of views) connected.add(view.account.id);
    // Approved, but the approval's watch ended first (it gives up after 10 minutes).
    sync.ensureStarted(auth);
    const noticeId = c.req.query("notice");
    return c.html(dashboardPage(mode, views, {
      notice: noticeId === undefined ? undefined : notices.get(noticeId),
      webhook: await ensureWebhook(views),
    }));
  });

  app.get("/login", (c) => {
    const state = Authentication.generateState();
    const target = auth.authorizationUrl(state);
    const callback = new URL(new URL(target).searchParams.get("redirect_uri")!);
    const here = new URL(c.req.url);
    // The cookie must be set on the host Monzo redirects back to (localhost vs 127.0.0.1).
    if (isLoopback(here.hostname) && isLoopback(callback.hostname)) {
      if (here.host !== callback.host) return c.redirect(new URL("/login", callback).href);
    }
    setCookie(c, STATE_COOKIE, state, {
      httpOnly: true,
      sameSite: "Lax",
      path: "/callback",
      maxAge: 600,
      secure: !isLoopback(here.hostname),
    });
    return c.redirect(target);
  });

  app.get("/callback", async (c) => {
    const expected = getCookie(c, STATE_COOKIE);
    deleteCookie(c, STATE_COOKIE, { path: "/callback" });
    const { code, state, error } = c.req.query();
    if (error) return c.html(errorPage(mode, "Monzo did not connect", callbackMessage(error)), 400);
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
      // The back-fill starts the moment the user approves: the 5-minute window is short.
      sync.stop();
      sync.watchApproval(auth);
    } catch (error) {
      if (!(error instanceof MonzoAuthenticationError)) throw error;
      return c.html(
        errorPage(mode, "Login failed", "Monzo did not accept this login: connect again."),
        400,
      );
    }
    return c.redirect("/", 303);
  });

  for (const direction of ["deposit", "withdraw"] as const) {
    app.post(`/pots/${direction}`, sameOrigin, async (c) => {
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
      // The dedupe id comes with the form: submitting the same form twice moves money once.
      const key = `${direction}:${dedupeId}`;
      try {
        const pot = direction === "deposit"
          ? await monzo.pots.deposit(potId, { sourceAccountId: accountId, amount, dedupeId: key })
          : await monzo.pots.withdraw(potId, {
            destinationAccountId: accountId,
            amount,
            dedupeId: key,
          });
        const moved = formatMoney(amount, pot.currency);
        return redirectWithNotice(
          c.redirect.bind(c),
          direction === "deposit"
            ? `Moved ${moved} into ${pot.name}.`
            : `Moved ${moved} out of ${pot.name}.`,
        );
      } catch (error) {
        if (!(error instanceof MonzoError) || error instanceof MonzoAuthenticationError) {
          throw error;
        }
        return c.html(errorPage(mode, "The money did not move", plainMessage(error)), 400);
      }
    });
  }

  if (mode.kind === "emulator") {
    const emulatorFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    app.post("/emulator/payment", sameOrigin, async (c) => {
      const accountId = (await c.req.parseBody())["account_id"];
      const merchant = TEST_MERCHANTS[Math.floor(Math.random() * TEST_MERCHANTS.length)];
      const amount = -(100 + Math.floor(Math.random() * 2400));
      const response = await emulatorFetch(`${mode.url}/_emulator/transactions`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ account_id: accountId, amount, merchant }),
      });
      await response.body?.cancel();
      if (!response.ok) {
        return c.html(errorPage(mode, "No test payment", "The emulator refused it."), 502);
      }
      return redirectWithNotice(
        c.redirect.bind(c),
        `The emulator made a test payment of ${formatMoney(-amount)} at ${merchant}.`,
      );
    });
  }

  app.post("/logout", sameOrigin, async (c) => {
    sync.stop();
    await auth.logout().catch(() => {});
    connected.clear();
    return c.redirect("/", 303);
  });

  app.post("/webhooks/:secret", async (c) => {
    if (!(await sameSecret(c.req.param("secret"), webhookSecret))) return c.notFound();
    let event;
    let transaction: Transaction;
    try {
      event = parseWebhookEvent(await c.req.text());
      if (event.type !== "transaction.created") return c.json({ ignored: "event type" });
      transaction = event.data as Transaction;
      checkRow(transaction);
    } catch (error) {
      if (!(error instanceof MonzoResponseError || error instanceof RangeError)) throw error;
      return c.json({ error: "This is not a transaction event this app can show." }, 400);
    }
    // Monzo retries until it gets a 2xx: answer 200 to what is dropped on purpose.
    const accountId = transaction.account_id ?? "";
    if (!connected.has(accountId) && !sync.accounts.has(accountId)) {
      return c.json({ ignored: "not a connected account" });
    }
    if (seen.has(transaction.id)) return c.json({ ignored: "already received" });
    remember(seen, transaction.id, true);
    // A trigger only: the sync reads what Monzo lists, and the page gets the synced row.
    sync.notify(event);
    return c.json({});
  });

  app.get("/events", (c) => {
    if (!auth.isAuthenticated) return c.text("Connect Monzo first.", 401);
    return live.open(c);
  });

  app.get("/live.js", (c) => c.body(LIVE_JS, 200, { "Content-Type": "text/javascript" }));
  app.get("/favicon.ico", (c) =>
    c.body(FAVICON_SVG, 200, {
      "Content-Type": "image/svg+xml",
      "Cache-Control": "max-age=86400",
    }));

  app.notFound((c) =>
    c.html(errorPage(mode, "Page not found", "There is nothing at this address."), 404)
  );

  app.onError(async (error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    if (error instanceof MonzoAuthenticationError) {
      // The login has ended: forget it and ask for a new one.
      sync.stop();
      await auth.logout().catch(() => {});
      connected.clear();
      return c.html(connectPage(mode, LOGIN_ENDED), 401);
    }
    if (error instanceof MonzoError) {
      return c.html(errorPage(mode, "Monzo answered with an error", plainMessage(error)), 502);
    }
    console.error(error);
    return c.html(errorPage(mode, "Something went wrong", "See the server's log."), 500);
  });

  /** Pushes the rows a sync changed, among the latest ones an open page shows. */
  async function push(changes: AccountChanges): Promise<void> {
    const { accountId } = changes;
    const latest = await sync.store.transactions(accountId, { limit: LATEST });
    const rows = latest.filter((row) => changes.changed.has(row.id)).reverse();
    const balance = rows.length === 0 ? undefined : await monzo.balance.get(accountId).then(
      (b) => formatMoney(b.balance, b.currency),
      () => undefined,
    );
    for (const row of rows) {
      const html = transactionRow(await shown(sync.store, row)).value;
      // A huge row (a very long description) is not pushed: a reload shows it.
      if (new TextEncoder().encode(html).length > MAX_ROW_BYTES) continue;
      live.broadcast({
        event: "transaction",
        data: { accountId, id: row.id, created: row.created, html, balance },
      });
    }
    for (const id of changes.removed) live.broadcast({ event: "removed", data: { accountId, id } });
    live.broadcast({
      event: "coverage",
      data: { accountId, text: coverageText(changes.coverage) },
    });
  }

  /** Keeps a notice for the next page and redirects there. */
  function redirectWithNotice(
    redirect: (location: string, status: 303) => Response,
    text: string,
  ): Response {
    const id = crypto.randomUUID();
    remember(notices, id, text);
    return redirect(`/?notice=${id}`, 303);
  }

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
      if (!(error instanceof MonzoError) || error instanceof MonzoAuthenticationError) throw error;
      return `The webhook could not be registered: ${plainMessage(error)}`;
    }
  }

  return app;
}

/** The security headers of every answer; HSTS only where the app is served over https. */
function headers(origins: string[]): MiddlewareHandler {
  const policy: Parameters<typeof secureHeaders>[0] = {
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: ["'unsafe-inline'"],
      scriptSrc: ["'self'"],
      connectSrc: ["'self'"],
      imgSrc: ["'self'"],
      formAction: ["'self'"],
      baseUri: ["'none'"],
      frameAncestors: ["'none'"],
    },
    crossOriginOpenerPolicy: "same-origin",
    referrerPolicy: "no-referrer",
    xFrameOptions: "DENY",
    permissionsPolicy: {
      camera: [],
      microphone: [],
      geolocation: [],
      payment: [],
      usb: [],
    },
  };
  const plain = secureHeaders({ ...policy, strictTransportSecurity: false });
  const https = secureHeaders({
    ...policy,
    strictTransportSecurity: "max-age=31536000; includeSubDomains",
  });
  const secure = new Set(
    origins.filter((origin) => origin.startsWith("https:")).map((o) => new URL(o).host),
  );
  return async (c, next) => {
    const url = new URL(c.req.url);
    const guard = secure.has(url.host) && !isLoopback(url.hostname) ? https : plain;
    await guard(c, async () => {
      await next();
      c.header("Cache-Control", c.res.headers.get("Cache-Control") ?? "no-store");
    });
  };
}

/** Throws a RangeError when a row could not be shown (a bad time or currency). */
function checkRow(tx: Transaction): void {
  if (Number.isNaN(Date.parse(tx.created))) throw new RangeError("created");
  if (!/^[A-Z]{3}$/.test(tx.currency)) throw new RangeError("currency");
  if (!Number.isSafeInteger(tx.amount)) throw new RangeError("amount");
}

/** Stores `key`, dropping the oldest entries beyond {@link MEMORY}. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.set(key, value);
  for (const oldest of map.keys()) {
    if (map.size <= MEMORY) break;
    map.delete(oldest);
  }
}

/** A stored row as the table shows it: the merchant as the store last saw it expanded. */
async function shown(store: DashboardStore, row: StoredTransaction): Promise<Transaction> {
  const merchant = typeof row.raw.merchant === "string"
    ? await store.merchant(row.raw.merchant) ?? row.raw.merchant
    : row.raw.merchant;
  return { ...row.raw, created: row.created, merchant };
}

/** Every open account with its balance and pots, and its latest synced transactions. */
async function loadAccounts(monzo: Monzo, store: DashboardStore): Promise<AccountView[]> {
  const accounts = (await monzo.accounts.list()).filter((account) => !account.closed);
  return await Promise.all(accounts.map(async (account) => {
    const [balance, pots, rows, coverage] = await Promise.all([
      monzo.balance.get(account.id),
      monzo.pots.list(account.id),
      store.transactions(account.id, { limit: LATEST }),
      store.coverage(account.id),
    ]);
    return {
      account,
      balance,
      pots: pots.filter((pot) => !pot.deleted),
      transactions: await Promise.all(rows.map((row) => shown(store, row))),
      coverage,
    };
  }));
}
