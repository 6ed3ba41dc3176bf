// The Hono example app, through app.request() against an in-process emulator (no ports):
// cookies, state checks, the webhook secret, escaping, a pot form submitted twice, the
// dashboard over the synced store (back-fill, webhooks as triggers, settlements, restarts), and
// what keeps it safe when exposed (hosts, password, limits, live streams, webhooks, headers).
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, describe, test } from "node:test";
import { Authentication, MemoryStorage, Monzo } from "../mod.ts";
import { MemorySyncStore } from "../src/sync/mod.ts";
import { MonzoEmulator } from "../src/testing/mod.ts";
import { type AppOptions, createApp } from "../examples/hono/app.ts";
import { exposureProblem, sameSecret } from "../examples/hono/guard.ts";
import { openStorage, openSyncDatabase, prepareDataDir } from "../examples/hono/storage.ts";
import { type DashboardStore, DashboardSync } from "../examples/hono/sync.ts";
import { escapeHtml, html } from "../examples/hono/html.ts";
import { formatMoney, parseMoney } from "../examples/hono/money.ts";

const ORIGIN = "http://localhost:8000";
const REDIRECT = `${ORIGIN}/callback`;
const API = "http://emulator.test";
const SECRET = "webhook-secret-123";
/** node:sqlite (Deno, Bun, Node 22.5+; not Node 20), for the tests of the SQLite file. */
const noSqlite = await import("node:sqlite").then(
  () => false,
  () => "node:sqlite is missing in this runtime (Node 20): the demo runs on Deno and Bun",
);

/** Every sync the tests started, stopped at the end (their timers and runs). */
const syncs: DashboardSync[] = [];
after(() => Promise.all(syncs.map((sync) => sync.close())));

/** The parts of a running app that a restart keeps. */
interface Kept {
  emulator: MonzoEmulator;
  /** Where the emulator delivers its webhooks: the app started last. */
  route: { app?: { request: (input: string, init?: RequestInit) => Response | Promise<Response> } };
  storage: MemoryStorage;
  store: DashboardStore;
  /** The login, as a restarted server loads it from its storage. */
  auth: Authentication;
}

/** An app wired to a fresh emulator (or the kept one); its webhooks are delivered to the app. */
function setup(extra: Partial<AppOptions> = {}, redirectUrl = REDIRECT, kept?: Partial<Kept>) {
  const route: Kept["route"] = kept?.route ?? {};
  const emulator = kept?.emulator ?? new MonzoEmulator({
    webhookRetryDelayMs: 0,
    fetch: async (input, init) => await route.app!.request(String(input), init),
  });
  emulator.addRedirectUri(emulator.client.id, redirectUrl);
  const auth = kept?.auth ?? new Authentication({
    clientId: emulator.client.id,
    clientSecret: emulator.client.secret,
    redirectUrl,
    apiUrl: API,
    authUrl: `${API}/auth`,
    retryDelayMs: 1,
    fetch: (input, init) => emulator.fetch(new Request(input, init)),
  });
  const storage = kept?.storage ?? new MemoryStorage();
  if (!kept?.auth) auth.registerCallbackHandler(storage);
  const monzo = new Monzo(auth);
  const store = kept?.store ?? new MemorySyncStore();
  const errors: unknown[] = [];
  const sync = new DashboardSync(monzo, store, {
    debounceMs: 10,
    approvalPollMs: 5,
    onError: (error) => errors.push(error),
  });
  syncs.push(sync);
  const app = createApp({
    auth,
    monzo,
    sync,
    webhookSecret: SECRET,
    mode: { kind: "emulator", url: API, approveUrl: `${API}/auth/approve` },
    origins: [ORIGIN, "http://127.0.0.1:8000", "https://dash.example.com"],
    webhookBaseUrl: "http://127.0.0.1:8000",
    fetch: (input, init) => emulator.fetch(new Request(input, init)),
    ...extra,
  });
  route.app = app;
  return { app, emulator, auth, monzo, sync, storage, store, route, errors };
}

type Setup = ReturnType<typeof setup>;

/** Goes through /login and /callback with a code from the emulator; approves unless told not to. */
async function connect({ app, emulator, sync }: Setup, approve = true): Promise<Response> {
  const login = await app.request(`${ORIGIN}/login`);
  const cookie = login.headers.get("set-cookie")!.split(";")[0];
  const state = new URL(login.headers.get("location")!).searchParams.get("state")!;
  const code = emulator.authorize({ redirectUri: REDIRECT, approveLater: true });
  const callback = await app.request(
    `${ORIGIN}/callback?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`,
    { headers: { cookie } },
  );
  if (approve) {
    emulator.approve();
    await sync.backfilled();
  }
  return callback;
}

/** Posts a same-origin form. */
function postForm(
  app: Setup["app"],
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return Promise.resolve(app.request(`${ORIGIN}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN, ...headers },
    body: new URLSearchParams(fields),
  }));
}

/** The pot form of the current account on the dashboard: its fields. */
async function potForm(app: Setup["app"]) {
  const body = await page(app);
  const form = body.slice(body.indexOf('<form class="pot-move"'));
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(form)![1];
  return {
    account_id: field("account_id"),
    dedupe_id: field("dedupe_id"),
    pot_id: /<option value="(pot_[^"]+)"/.exec(form)![1],
  };
}

/** Reads server-sent events until `done` says the text so far is enough. */
async function readEvents(
  reader: ReadableStreamDefaultReader<string>,
  done: (text: string) => boolean,
): Promise<string> {
  let text = "";
  while (!done(text)) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += chunk.value;
  }
  return text;
}

/** The server-sent events in `text`, parsed. */
function parseEvents(text: string): { event: string; data: Record<string, string> }[] {
  return [...text.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((m) => ({
    event: m[1],
    data: JSON.parse(m[2]),
  }));
}

/** Opens /events and reads its first comment. */
async function openEvents(app: Setup["app"]): Promise<ReadableStreamDefaultReader<string>> {
  const events = await app.request(`${ORIGIN}/events`);
  assert.equal(events.headers.get("content-type"), "text/event-stream");
  const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
  assert.match((await reader.read()).value!, /: connected/);
  return reader;
}

/** The pushed rows of `id` in the events read until one of them arrives. */
async function pushedRow(reader: ReadableStreamDefaultReader<string>, id: string) {
  const text = await readEvents(reader, (t) => parseEvents(t).some((e) => e.data.id === id));
  return parseEvents(text).filter((e) => e.event === "transaction" && e.data.id === id);
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

  test("/callback shows a declined login with a fixed message, never the URL's text", async () => {
    const lure = "Your account is locked: call 0800 000 000";
    for (const error of ["access_denied", "made_up_code"]) {
      const response = await setup().app.request(
        `${ORIGIN}/callback?error=${error}&error_description=${encodeURIComponent(lure)}`,
      );
      assert.equal(response.status, 400);
      const body = await response.text();
      assert.equal(body.includes("0800"), false);
      assert.equal(body.includes(error), false);
      assert.match(
        body,
        error === "access_denied"
          ? /You chose not to connect/
          : /Monzo did not connect your account/,
      );
    }
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
    await s.sync.backfilled();
    const dashboard = await page(s.app);
    assert.match(dashboard, /Current account/);
    assert.match(dashboard, /History since \d+ \w+ \d{4}/);
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

  test("a pot move after the login ended asks to connect again", async () => {
    const s = setup();
    await connect(s);
    s.emulator.login();
    const response = await postForm(s.app, "/pots/deposit", {
      account_id: s.emulator.accounts.current,
      dedupe_id: "d1",
      pot_id: "pot_x",
      amount: "1.00",
    });
    assert.equal(response.status, 401);
    const body = await response.text();
    assert.match(body, /Your Monzo login has ended\. Connect again to carry on\./);
    assert.match(body, /id="connect"/);
    assert.equal(body.includes("bad_access_token"), false);
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
    await s.sync.syncAll();
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
    const locations = [];
    for (const response of [await submit(), await submit()]) {
      assert.equal(response.status, 303);
      locations.push(response.headers.get("location")!);
    }
    const after = (await s.monzo.pots.list(accountId)).find((p) => p.id === potId)!.balance;
    assert.equal(after - before, 1234);
    assert.match(locations[0], /^\/\?notice=[0-9a-f-]{36}$/);
    assert.match(await page(s.app, locations[0]), /Moved £12\.34 into /);
    // The notice is the server's own text: a made-up one shows nothing.
    const forged = await page(s.app, "/?notice=Moved%20%C2%A3999%20to%20attacker&moved=1&pot=x");
    assert.equal(forged.includes("attacker"), false);
    assert.equal(forged.includes('class="notice'), false);

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

  test("a webhook event reaches open pages as a server-sent event, escaped, with the balance", async () => {
    const s = setup();
    assert.equal((await s.app.request(`${ORIGIN}/events`)).status, 401, "login required");
    await connect(s);
    await page(s.app); // registers the webhook
    const current = s.emulator.accounts.current;
    const reader = await openEvents(s.app);
    // The emulator sends the webhook; the sync it triggers reads the row, which is pushed.
    const tx = s.emulator.addTransaction(current, {
      description: "<script>alert(1)</script>",
      amount: -350,
    });
    const [{ data: event }] = await pushedRow(reader, tx.id);
    await reader.cancel();
    assert.equal(event.accountId, current);
    assert.match(event.html, new RegExp(`data-tx="${tx.id}"`));
    assert.match(event.html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.equal(event.html.includes("<script>"), false);
    assert.match(event.html, /pending/);
    const balance = await s.monzo.balance.get(current);
    assert.equal(event.balance, formatMoney(balance.balance, balance.currency));
  });

  test("webhooks: replays, unknown accounts and bad rows are dropped, never a 500", async () => {
    const s = setup();
    await connect(s);
    await page(s.app);
    const current = s.emulator.accounts.current;
    const reader = await openEvents(s.app);
    const post = (body: string) =>
      s.app.request(`${ORIGIN}/webhooks/${SECRET}`, { method: "POST", body });
    const bad = (patch: Record<string, unknown>) => {
      const event = JSON.parse(webhookEvent("x", current));
      Object.assign(event.data, patch);
      return JSON.stringify(event);
    };
    assert.equal((await post(bad({ created: "yesterday" }))).status, 400);
    assert.equal((await post(bad({ currency: "pounds" }))).status, 400);
    const unknown = await post(webhookEvent("Not mine", "acc_someone_else"));
    assert.deepEqual(await unknown.json(), { ignored: "not a connected account" });
    // A row too large to push is kept (a reload shows it) but not sent to open pages.
    const huge = s.emulator.addTransaction(current, { description: "x".repeat(20_000) });
    const coffee = s.emulator.addTransaction(current, { description: "Coffee", amount: -250 });
    const event = JSON.stringify({ type: "transaction.created", data: coffee });
    assert.equal((await post(event)).status, 200);
    assert.deepEqual(await (await post(event)).json(), { ignored: "already received" });
    const marker = s.emulator.addTransaction(current, { description: "Marker", amount: -1 });
    const text = await readEvents(reader, (t) => t.includes(marker.id));
    await reader.cancel();
    const pushed = parseEvents(text).filter((e) => e.event === "transaction").map((e) => e.data.id);
    assert.equal(pushed.filter((id) => id === coffee.id).length, 1, "Coffee once");
    assert.equal(pushed.includes(huge.id), false);
    assert.equal(text.includes("Not mine"), false);
    assert.ok((await page(s.app)).includes(`data-tx="${huge.id}"`));
    assert.deepEqual(s.errors, []);
  });

  test("live streams: capped, and a client that stops reading is dropped", async () => {
    const s = setup({ maxLiveClients: 2 });
    await connect(s);
    await page(s.app);
    const current = s.emulator.accounts.current;
    const reading = (await s.app.request(`${ORIGIN}/events`)).body!
      .pipeThrough(new TextDecoderStream()).getReader();
    await reading.read();
    const stalled = await s.app.request(`${ORIGIN}/events`);
    const full = await s.app.request(`${ORIGIN}/events`);
    assert.equal(full.status, 503);
    let last = "";
    for (let i = 0; i < 40; i++) {
      last = s.emulator.addTransaction(current, { description: `Coffee ${i}`, amount: -100 }).id;
      await readEvents(reading, (t) => t.includes(last));
    }
    // The stalled client was cut off: its stream ends, and a new client fits in again.
    const stalledText = await readEvents(
      stalled.body!.pipeThrough(new TextDecoderStream()).getReader(),
      () => false,
    );
    assert.ok(!stalledText.includes(last), "the stalled client got everything");
    const again = await s.app.request(`${ORIGIN}/events`);
    assert.equal(again.status, 200);
    await again.body!.cancel();
    await reading.cancel();
  });

  test("a new transaction at the emulator arrives through the registered webhook", async () => {
    const s = setup();
    await connect(s);
    await page(s.app); // registers the webhook
    const reader = await openEvents(s.app);
    const tx = s.emulator.addTransaction(s.emulator.accounts.current, {
      merchant: "Greggs",
      amount: -185,
    });
    const [{ data }] = await pushedRow(reader, tx.id);
    await reader.cancel();
    assert.match(data.html, /🥐 Greggs/);
    assert.match(data.html, /-£1\.85/);
    // It was synced into the store: a reload lists it from there.
    assert.ok((await page(s.app)).includes(`data-tx="${tx.id}"`));
  });

  test("the dashboard lists the synced store: its rows, statuses and coverage", async () => {
    const s = setup();
    await connect(s);
    const current = s.emulator.accounts.current;
    const stored = await s.store.transactions(current, { limit: 15 });
    assert.equal(stored.length, 15);
    const requests = s.emulator.transactionRequests().length;
    const body = await page(s.app);
    assert.equal(s.emulator.transactionRequests().length, requests, "no listing per page");
    const section = body.slice(body.indexOf(`data-account="${current}"`));
    const shown = [...section.matchAll(/<tr data-tx="([^"]+)"/g)].map((m) => m[1]).slice(0, 15);
    assert.deepEqual(shown, stored.map((row) => row.id));
    const coverage = (await s.store.coverage(current))!;
    assert.equal(coverage.complete, true, "the back-fill read the whole history");
    assert.match(section, /History since \d+ \w+ \d{4}: all of it/);
    // A store that starts after the 5-minute window: 89 days, and what to do.
    s.emulator.advanceTime(6 * 60);
    const late = setup({}, REDIRECT, { emulator: s.emulator, route: s.route, auth: s.auth });
    await late.sync.backfilled();
    const partial = (await late.store.coverage(current))!;
    assert.equal(partial.complete, false);
    assert.match(await page(late.app), /Monzo lists older transactions only in the 5 minutes/);
  });

  test("a settlement with a new amount and a removal show live and after a reload", async () => {
    const s = setup();
    await connect(s);
    await page(s.app);
    const current = s.emulator.accounts.current;
    const hold = s.emulator.addTransaction(current, {
      merchant: "Dishoom",
      amount: -10000,
      amountIsPending: true,
    });
    await s.emulator.deliveries();
    await s.sync.syncAll();
    const row = (body: string) =>
      /<tr data-tx="[^"]+"[^]*?<\/tr>/.exec(
        body.slice(body.indexOf(`<tr data-tx="${hold.id}"`)),
      )![0];
    assert.match(row(await page(s.app)), /pending[^]*-£100\.00/);
    const reader = await openEvents(s.app);
    s.emulator.settleTransaction(hold.id, { amount: -12345 });
    await s.sync.syncAll();
    const [{ data }] = await pushedRow(reader, hold.id);
    await reader.cancel();
    assert.match(data.html, /-£123\.45/);
    assert.equal(data.html.includes("pending"), false);
    const body = await page(s.app);
    assert.match(row(body), /-£123\.45/);
    assert.equal(row(body).includes("pending"), false);
    assert.equal(body.split(`data-tx="${hold.id}"`).length, 2, "one row");

    // Removed at Monzo: the open page drops the row, and so does a reload.
    const again = await openEvents(s.app);
    s.emulator.removeTransaction(hold.id);
    await s.sync.syncAll();
    const text = await readEvents(again, (t) => t.includes("event: removed"));
    await again.cancel();
    assert.deepEqual(parseEvents(text).find((e) => e.event === "removed")?.data, {
      accountId: current,
      id: hold.id,
    });
    assert.equal((await page(s.app)).includes(hold.id), false);
  });

  test("a restart keeps the history in the SQLite file: shown before any sync", {
    skip: noSqlite,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "monzo-hono-sync-"));
    try {
      const first = await openSyncDatabase(dir, "emulator");
      const s = setup({}, REDIRECT, { store: first.store });
      await connect(s);
      const current = s.emulator.accounts.current;
      const before = await page(s.app);
      const ids = [...before.matchAll(/<tr data-tx="([^"]+)"/g)].map((m) => m[1]);
      assert.ok(ids.length > 15);
      await s.sync.close();
      first.close();
      // Restarted: Monzo's listing fails, so every row shown comes from the file.
      s.emulator.injectFault({ path: "/transactions", status: 503, count: Infinity });
      const second = await openSyncDatabase(dir, "emulator");
      const restarted = setup({}, REDIRECT, {
        emulator: s.emulator,
        route: s.route,
        store: second.store,
        auth: s.auth,
      });
      const after = await page(restarted.app);
      assert.deepEqual([...after.matchAll(/<tr data-tx="([^"]+)"/g)].map((m) => m[1]), ids);
      assert.match(after, /History since/);
      assert.ok((await second.store.coverage(current))!.complete);
      await restarted.sync.close();
      second.close();
      if (process.platform !== "win32") {
        for (const file of await readdir(dir)) {
          const mode = (await stat(join(dir, file))).mode & 0o777;
          assert.equal(mode, 0o600, `${file} is ${mode.toString(8)}`);
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
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

  test("wrong passwords are rate limited; the right one works again a minute later", async () => {
    let time = 1_000_000;
    const { app } = setup({ password: "correct horse", now: () => time });
    const basic = (password: string) => ({
      headers: { Authorization: `Basic ${btoa(`me:${password}`)}` },
    });
    for (let i = 0; i < 10; i++) {
      assert.equal((await app.request(`${ORIGIN}/`, basic(`guess${i}`))).status, 401);
    }
    const limited = await app.request(`${ORIGIN}/`, basic("correct horse"));
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "60");
    time += 60_001;
    assert.equal((await app.request(`${ORIGIN}/`, basic("correct horse"))).status, 200);
  });

  test("the app refuses to start exposed without a password", () => {
    assert.match(exposureProblem({ HOST: "0.0.0.0" })!, /HOST=0\.0\.0\.0 .*DASHBOARD_PASSWORD/);
    assert.match(exposureProblem({ PUBLIC_URL: "https://dash.example.com" })!, /PUBLIC_URL/);
    assert.equal(
      exposureProblem({ HOST: "0.0.0.0", DASHBOARD_PASSWORD: "x".repeat(20) }),
      undefined,
    );
    assert.equal(exposureProblem({ HOST: "127.0.0.1" }), undefined);
    assert.equal(exposureProblem({}), undefined);
  });

  test("only the hosts the app is served as are answered (DNS rebinding)", async () => {
    const s = setup();
    await connect(s);
    const rebound = "http://rebind.test:8000";
    const read = await s.app.request(`${rebound}/`);
    assert.equal(read.status, 421);
    assert.equal((await read.text()).includes("Current account"), false);
    const { account_id, pot_id } = await potForm(s.app);
    const before = (await s.monzo.pots.list(account_id)).find((p) => p.id === pot_id)!.balance;
    const move = await s.app.request(`${rebound}/pots/deposit`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: rebound },
      body: new URLSearchParams({ account_id, pot_id, dedupe_id: "r1", amount: "7.00" }),
    });
    assert.equal(move.status, 421);
    // An allowed host with a foreign Origin: csrf() with the explicit origin list says no.
    const foreign = await postForm(s.app, "/pots/deposit", {
      account_id,
      pot_id,
      dedupe_id: "r2",
      amount: "7.00",
    }, { Origin: rebound });
    assert.equal(foreign.status, 403);
    const after = (await s.monzo.pots.list(account_id)).find((p) => p.id === pot_id)!.balance;
    assert.equal(after, before);
  });

  test("every POST has a body limit", async () => {
    const s = setup();
    await connect(s);
    const big = "x".repeat(100_000);
    for (const path of ["/pots/deposit", "/pots/withdraw", "/logout", "/emulator/payment"]) {
      const response = await postForm(s.app, path, { amount: big });
      assert.equal(response.status, 413, path);
    }
    assert.equal(s.auth.isAuthenticated, true, "the logout did not happen");
    const hook = await s.app.request(`${ORIGIN}/webhooks/${SECRET}`, {
      method: "POST",
      body: "x".repeat(300_000),
    });
    assert.equal(hook.status, 413);
  });

  test("money moves out of a pot, and Monzo's refusals read as plain sentences", async () => {
    const s = setup();
    await connect(s);
    const form = await potForm(s.app);
    const balance = async () =>
      (await s.monzo.pots.list(form.account_id)).find((p) => p.id === form.pot_id)!.balance;
    const before = await balance();
    const into = await postForm(s.app, "/pots/deposit", { ...form, amount: "20.00" });
    assert.equal(into.status, 303);
    const out = await postForm(s.app, "/pots/withdraw", { ...form, amount: "5.00" });
    assert.equal(out.status, 303);
    assert.match(await page(s.app, out.headers.get("location")!), /Moved £5\.00 out of /);
    assert.equal(
      await balance() - before,
      1500,
      "the same form's deposit and withdrawal both moved",
    );
    assert.match(await page(s.app), /formaction="\/pots\/withdraw"/);

    const broke = await postForm(s.app, "/pots/deposit", {
      ...form,
      dedupe_id: "big",
      amount: "99999999",
    });
    assert.equal(broke.status, 400);
    const text = await broke.text();
    assert.match(text, /Not enough money for this move\. Try a smaller amount\./);
    assert.equal(/insufficient_funds|PUT \/pots/.test(text), false);
  });

  test("pages carry security headers; HSTS only on the https public origin", async () => {
    const { app } = setup();
    const response = await app.request(`${ORIGIN}/`);
    assert.equal(response.headers.get("cache-control"), "no-store");
    const csp = response.headers.get("content-security-policy")!;
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("cross-origin-opener-policy"), "same-origin");
    assert.match(response.headers.get("permissions-policy")!, /camera=\(\)/);
    assert.equal(response.headers.get("strict-transport-security"), null);
    await response.body?.cancel();
    const remote = await app.request("https://dash.example.com/");
    assert.match(remote.headers.get("strict-transport-security")!, /max-age=31536000/);
    await remote.body?.cancel();
  });

  test("first-run details: spent today, approval wording, favicon, 404, test payment", async () => {
    const s = setup();
    const waiting = await connect(s, false).then(() => page(s.app));
    assert.equal(waiting.includes("tap <strong>Allow</strong>"), false);
    assert.match(waiting, /press <strong>Approve<\/strong>/);
    s.emulator.approve();
    const dashboard = await page(s.app);
    assert.equal(/spent today -£/.test(dashboard), false);
    assert.match(dashboard, /spent today £\d/);
    assert.match(dashboard, /<link rel="icon" href="\/favicon.ico"/);

    const icon = await s.app.request(`${ORIGIN}/favicon.ico`);
    assert.equal(icon.status, 200);
    assert.match(await icon.text(), /^<svg/);
    const missing = await s.app.request(`${ORIGIN}/nowhere`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /<style>[\s\S]*Page not found/);

    const current = s.emulator.accounts.current;
    assert.match(dashboard, /Make a test payment/);
    const paid = await postForm(s.app, "/emulator/payment", { account_id: current });
    assert.equal(paid.status, 303);
    assert.match(await page(s.app, paid.headers.get("location")!), /test payment of £/);
    const real = setup({ mode: { kind: "monzo", host: "api.monzo.com" } });
    assert.equal((await postForm(real.app, "/emulator/payment", {})).status, 404);
  });

  test("the login's files are 0600, in a directory no other user can write to", {
    skip: process.platform === "win32",
  }, async () => {
    const root = await mkdtemp(join(tmpdir(), "monzo-hono-"));
    try {
      const shared = join(root, "shared");
      await mkdir(shared);
      await chmod(shared, 0o777);
      await assert.rejects(prepareDataDir(shared), /can be written by other users \(mode 777\)/);
      const open = join(root, "open");
      await mkdir(open);
      await chmod(open, 0o755);
      const stored = await openStorage(open, "emulator");
      await stored.storage.store(
        {
          accessToken: "a",
          refreshToken: "r",
          clientId: "c",
          clientSecret: "s",
          expiry: 1,
        } as Parameters<typeof stored.storage.store>[0],
      );
      const files = await readdir(open);
      assert.ok(files.length > 0);
      for (const file of files) {
        if (file.endsWith(".lock")) continue;
        const mode = (await stat(join(open, file))).mode & 0o777;
        assert.equal(mode, 0o600, `${file} is ${mode.toString(8)}`);
      }
      (stored.storage as { close?: () => void }).close?.();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
