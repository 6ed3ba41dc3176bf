// The Hono example app, through app.request() against an in-process emulator (no ports):
// cookies, state checks, the webhook secret, escaping, and a pot form submitted twice.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Authentication, MemoryStorage, Monzo } from "../mod.ts";
import { MonzoEmulator } from "../src/testing/mod.ts";
import { type AppOptions, createApp, sameSecret } from "../examples/hono/app.ts";
import { escapeHtml, html } from "../examples/hono/html.ts";
import { formatMoney, parseMoney } from "../examples/hono/money.ts";

const ORIGIN = "http://localhost:8000";
const REDIRECT = `${ORIGIN}/callback`;
const API = "http://emulator.test";
const SECRET = "webhook-secret-123";

/** An app wired to a fresh emulator; the emulator's webhooks are delivered to the app. */
function setup(extra: Partial<AppOptions> = {}, redirectUrl = REDIRECT) {
  const emulator = new MonzoEmulator({
    webhookRetryDelayMs: 0,
    fetch: async (input, init) => await app.request(input, init),
  });
  emulator.addRedirectUri(emulator.client.id, redirectUrl);
  const auth = new Authentication({
    clientId: emulator.client.id,
    clientSecret: emulator.client.secret,
    redirectUrl,
    apiUrl: API,
    authUrl: `${API}/auth`,
    retryDelayMs: 1,
    fetch: (input, init) => emulator.fetch(new Request(input, init)),
  });
  auth.registerCallbackHandler(new MemoryStorage());
  const monzo = new Monzo(auth);
  const app = createApp({
    auth,
    monzo,
    webhookSecret: SECRET,
    mode: { kind: "emulator", url: API, approveUrl: `${API}/auth/approve` },
    webhookBaseUrl: "http://127.0.0.1:8000",
    ...extra,
  });
  return { app, emulator, auth, monzo };
}

type Setup = ReturnType<typeof setup>;

/** Goes through /login and /callback with a code from the emulator; approves unless told not to. */
async function connect({ app, emulator }: Setup, approve = true): Promise<Response> {
  const login = await app.request(`${ORIGIN}/login`);
  const cookie = login.headers.get("set-cookie")!.split(";")[0];
  const state = new URL(login.headers.get("location")!).searchParams.get("state")!;
  const code = emulator.authorize({ redirectUri: REDIRECT, approveLater: true });
  const callback = await app.request(
    `${ORIGIN}/callback?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`,
    { headers: { cookie } },
  );
  if (approve) emulator.approve();
  return callback;
}

async function page(app: Setup["app"], path = "/"): Promise<string> {
  const response = await app.request(`${ORIGIN}${path}`);
  assert.equal(response.status, 200);
  return await response.text();
}

function webhookEvent(description: string, accountId = "acc_1") {
  return JSON.stringify({
    type: "transaction.created",
    data: {
      id: "tx_00009test",
      account_id: accountId,
      amount: -350,
      currency: "GBP",
      created: "2026-05-01T12:00:00Z",
      description,
      settled: "",
      category: "eating_out",
      merchant: null,
    },
  });
}

describe("money and html helpers", () => {
  test("formatMoney formats minor units as pounds", () => {
    assert.equal(formatMoney(-350), "-£3.50");
    assert.equal(formatMoney(123456, "GBP"), "£1,234.56");
    assert.equal(formatMoney(1000, "EUR"), "€10.00");
    assert.equal(formatMoney(500, "JPY"), "JP¥500");
  });

  test("parseMoney reads positive amounts without floating point", () => {
    assert.equal(parseMoney("10"), 1000);
    assert.equal(parseMoney(" 10.5 "), 1050);
    assert.equal(parseMoney("£1,234.56"), 123456);
    assert.equal(parseMoney("0.29"), 29);
    for (const bad of ["", "0", "0.00", "-5", "1.234", "abc", "1e3", "10."]) {
      assert.equal(parseMoney(bad), null, bad);
    }
  });

  test("html escapes interpolated values but keeps nested html", () => {
    assert.equal(
      escapeHtml(`<a href="x" title='y'>&</a>`),
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
    const inner = html`<b>${"<i>"}</b>`;
    assert.equal(
      html`<p title="${'"'}">${inner}${[1, "<"]}${null}${false}</p>`.value,
      '<p title="&quot;"><b>&lt;i&gt;</b>1&lt;</p>',
    );
  });

  test("sameSecret compares secrets", async () => {
    assert.equal(await sameSecret("abc", "abc"), true);
    assert.equal(await sameSecret("abd", "abc"), false);
    assert.equal(await sameSecret("", "abc"), false);
  });
});

describe("the Hono example", () => {
  test("a visitor sees Connect Monzo and which Monzo is used", async () => {
    const body = await page(setup().app);
    assert.match(body, /Connect Monzo/);
    assert.match(body, /Using the built-in Monzo emulator/);
    const real = setup({ mode: { kind: "monzo", host: "api.monzo.com" } });
    assert.match(await page(real.app), /Connected to api\.monzo\.com/);
  });

  test("/login keeps the state in an HttpOnly, SameSite=Lax cookie, Secure outside localhost", async () => {
    const local = await setup().app.request(`${ORIGIN}/login`);
    assert.equal(local.status, 302);
    const location = new URL(local.headers.get("location")!);
    assert.equal(location.origin + location.pathname, `${API}/auth/`);
    const state = location.searchParams.get("state")!;
    assert.ok(state.length >= 40);
    const cookie = local.headers.get("set-cookie")!;
    assert.ok(cookie.startsWith(`monzo_oauth_state=${state};`), cookie);
    assert.match(cookie, /; HttpOnly/i);
    assert.match(cookie, /; SameSite=Lax/i);
    assert.match(cookie, /; Path=\/callback/i);
    assert.match(cookie, /; Max-Age=600/i);
    assert.doesNotMatch(cookie, /Secure/i);

    const remote = setup({}, "https://dash.example.com/callback");
    const cookie2 = (await remote.app.request("https://dash.example.com/login")).headers.get(
      "set-cookie",
    )!;
    assert.match(cookie2, /; Secure/i);
  });

  test("/login on 127.0.0.1 moves to the host of the redirect URL first", async () => {
    const response = await setup().app.request("http://127.0.0.1:8000/login");
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), `${ORIGIN}/login`);
    assert.equal(response.headers.get("set-cookie"), null);
  });

  test("/callback refuses a state that does not match the cookie, and a missing cookie", async () => {
    const s = setup();
    const login = await s.app.request(`${ORIGIN}/login`);
    const cookie = login.headers.get("set-cookie")!.split(";")[0];
    const code = s.emulator.authorize({ redirectUri: REDIRECT });
    const forged = await s.app.request(`${ORIGIN}/callback?code=${code}&state=forged`, {
      headers: { cookie },
    });
    assert.equal(forged.status, 400);
    assert.match(await forged.text(), /Login failed/);
    const noCookie = await s.app.request(`${ORIGIN}/callback?code=${code}&state=x`);
    assert.equal(noCookie.status, 400);
    assert.equal(s.auth.isAuthenticated, false);
    assert.equal(s.emulator.counters.grants.authorization_code, 0);
  });

  test("/callback shows a declined login", async () => {
    const response = await setup().app.request(
      `${ORIGIN}/callback?error=access_denied&error_description=${encodeURIComponent("<b>no</b>")}`,
    );
    assert.equal(response.status, 400);
    assert.match(await response.text(), /&lt;b&gt;no&lt;\/b&gt;/);
  });

  test("login, the in-app approval, then the dashboard and its webhook", async () => {
    const s = setup();
    const callback = await connect(s, false);
    assert.equal(callback.status, 303);
    assert.equal(callback.headers.get("location"), "/");
    assert.match(callback.headers.get("set-cookie")!, /monzo_oauth_state=;.*Max-Age=0/i);

    const waiting = await page(s.app);
    assert.match(waiting, /Approve access in your Monzo app/);
    assert.match(waiting, /http-equiv="refresh"/);
    assert.match(waiting, new RegExp(`href="${API}/auth/approve"`));

    s.emulator.approve();
    const dashboard = await page(s.app);
    assert.match(dashboard, /Current account/);
    assert.match(dashboard, /data-balance>-?£[\d,]+\.\d\d</);
    assert.match(dashboard, /<li data-pot="pot_/);
    assert.match(dashboard, /<tr data-tx="tx_/);
    assert.match(dashboard, /Live: new transactions/);
    assert.equal(dashboard.includes("undefined"), false);

    const current = s.emulator.accounts.current;
    const hooks = await s.monzo.webhooks.list(current);
    assert.deepEqual(hooks.map((h) => h.url), [`http://127.0.0.1:8000/webhooks/${SECRET}`]);
    await page(s.app); // registered once per process
    assert.equal((await s.monzo.webhooks.list(current)).length, 1);
  });

  test("a login that Monzo ended leads back to Connect Monzo", async () => {
    const s = setup();
    await connect(s);
    s.emulator.login(); // a newer login of the same client evicts the app's token
    const response = await s.app.request(`${ORIGIN}/`);
    assert.equal(response.status, 401);
    assert.match(await response.text(), /Your Monzo login has ended[\s\S]*Connect Monzo/);
    assert.equal(s.auth.isAuthenticated, false);
  });

  test("the dashboard escapes what Monzo sends and marks pending and declined transactions", async () => {
    const s = setup();
    await connect(s);
    const current = s.emulator.accounts.current;
    s.emulator.addTransaction(current, {
      description: `<img src=x onerror="alert(1)">`,
      amount: -100,
    });
    s.emulator.addTransaction(current, { merchant: "Waitrose & Partners", amount: -2599 });
    s.emulator.addTransaction(current, {
      merchant: "Pret A Manger",
      amount: -450,
      decline_reason: "INSUFFICIENT_FUNDS",
    });
    const body = await page(s.app);
    assert.equal(body.includes("<img src=x"), false);
    assert.match(body, /&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt;/);
    assert.match(body, /🛒 Waitrose &amp; Partners<span class="tag pending">pending<\/span>/);
    assert.match(body, /☕ Pret A Manger<span class="tag declined">declined: insufficient funds/);
    assert.match(body, /-£25\.99/);
  });

  test("a pot form submitted twice moves the money once", async () => {
    const s = setup();
    await connect(s);
    const body = await page(s.app);
    const form = body.slice(body.indexOf('<form class="pot-move"'));
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(form)![1];
    const potId = /<option value="(pot_[^"]+)"/.exec(form)![1];
    const accountId = field("account_id");
    const before = (await s.monzo.pots.list(accountId)).find((p) => p.id === potId)!.balance;
    const submit = () =>
      s.app.request(`${ORIGIN}/pots/deposit`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN },
        body: new URLSearchParams({
          account_id: accountId,
          dedupe_id: field("dedupe_id"),
          pot_id: potId,
          amount: "12.34",
        }),
      });
    for (const response of [await submit(), await submit()]) {
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), `/?moved=1234&pot=${potId}`);
    }
    const after = (await s.monzo.pots.list(accountId)).find((p) => p.id === potId)!.balance;
    assert.equal(after - before, 1234);
    assert.match(await page(s.app, `/?moved=1234&pot=${potId}`), /Moved £12\.34 into /);

    const anotherForm = /name="dedupe_id" value="([^"]+)"/.exec(await page(s.app))![1];
    assert.notEqual(anotherForm, field("dedupe_id"));
  });

  test("the pot form refuses bad amounts and cross-site posts", async () => {
    const s = setup();
    await connect(s);
    const post = (origin: string, amount: string) =>
      s.app.request(`${ORIGIN}/pots/deposit`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: origin },
        body: new URLSearchParams({ account_id: "acc_1", dedupe_id: "d", pot_id: "pot_1", amount }),
      });
    assert.equal((await post("https://evil.example", "1.00")).status, 403);
    const bad = await post(ORIGIN, "-1");
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /Enter an amount/);
  });

  test("the webhook checks its secret and the body", async () => {
    const { app } = setup();
    const post = (secret: string, body: string) =>
      app.request(`${ORIGIN}/webhooks/${secret}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body,
      });
    assert.equal((await post("wrong", webhookEvent("x"))).status, 404);
    assert.equal((await post(SECRET.slice(0, -1), webhookEvent("x"))).status, 404);
    assert.equal((await post(SECRET, "{not json")).status, 400);
    assert.equal((await post(SECRET, JSON.stringify({ type: "transaction.created" }))).status, 400);
    assert.equal((await post(SECRET, webhookEvent("Coffee"))).status, 200);
  });

  test("a webhook event reaches open pages as a server-sent event, escaped", async () => {
    const s = setup();
    const events = await s.app.request(`${ORIGIN}/events`);
    assert.equal(events.headers.get("content-type"), "text/event-stream");
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
    assert.match((await reader.read()).value!, /: connected/);
    const sent = await s.app.request(`${ORIGIN}/webhooks/${SECRET}`, {
      method: "POST",
      body: webhookEvent("<script>alert(1)</script>", "acc_live"),
    });
    assert.equal(sent.status, 200);
    let text = "";
    while (!text.includes("\n\n")) text += (await reader.read()).value;
    await reader.cancel();
    assert.match(text, /^event: transaction\n/);
    const event = JSON.parse(/^data: (.*)$/m.exec(text)![1]);
    assert.equal(event.accountId, "acc_live");
    assert.match(event.html, /data-tx="tx_00009test"/);
    assert.match(event.html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(event.html, /pending/);
  });

  test("a new transaction at the emulator arrives through the registered webhook", async () => {
    const s = setup();
    await connect(s);
    await page(s.app); // registers the webhook
    const events = await s.app.request(`${ORIGIN}/events`);
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
    await reader.read();
    const tx = s.emulator.addTransaction(s.emulator.accounts.current, {
      merchant: "Greggs",
      amount: -185,
    });
    let text = "";
    while (!text.includes(tx.id)) text += (await reader.read()).value;
    await reader.cancel();
    assert.match(text, /🥐 Greggs/);
    assert.match(text, /-£1\.85/);
  });

  test("a password guards every page but the webhook", async () => {
    const { app } = setup({ password: "hunter2" });
    assert.equal((await app.request(`${ORIGIN}/`)).status, 401);
    const basic = (password: string) => ({
      headers: { Authorization: `Basic ${btoa(`me:${password}`)}` },
    });
    assert.equal((await app.request(`${ORIGIN}/`, basic("wrong"))).status, 401);
    assert.equal((await app.request(`${ORIGIN}/`, basic("hunter2"))).status, 200);
    const hook = await app.request(`${ORIGIN}/webhooks/${SECRET}`, {
      method: "POST",
      body: webhookEvent("Coffee"),
    });
    assert.equal(hook.status, 200);
  });

  test("pages carry security headers", async () => {
    const response = await setup().app.request(`${ORIGIN}/`);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.match(response.headers.get("content-security-policy")!, /script-src 'self'/);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    await response.body?.cancel();
  });
});
