// The demo, clicked through in Debian's Chromium (playwright-core): the example server runs
// as `deno run -A examples/hono/main.ts` with its emulator; connect, allow, approve in the
// "app", read the dashboard, move money into a pot with a double submit and out again, and
// watch a new transaction arrive through the webhook without a reload (the webhook triggers a
// sync of the SQLite store, whose new row is pushed); a restart keeps the login. Then what an attacker would try: a DNS-rebound name, and the password when exposed.
// Node only (Playwright's driver).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";
import { chromium, type Page } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
const DENO = "node_modules/.bin/deno";
const SCREENSHOT = ".tmp/example-browser.png";

const skip = "Deno" in globalThis || "Bun" in globalThis
  ? "the browser test runs under Node only"
  : !existsSync(CHROMIUM)
  ? `${CHROMIUM} is missing: apt-get install chromium (as .ci/run does)`
  : !existsSync(DENO)
  ? `${DENO} is missing: npm ci`
  : false;

const BROWSER_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // A name that resolves to this machine, as an attacker's DNS would after rebinding.
  "--host-resolver-rules=MAP rebind.test 127.0.0.1",
];

/** Starts the example; resolves with its URL and the emulator's once both are printed. */
function startExample(
  dataDir: string,
  extra: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; emulator: string; output: () => string }> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: "0",
    DATA_DIR: dataDir,
    NO_COLOR: "1",
  };
  for (
    const name of [
      "MONZO_CLIENT_ID",
      "MONZO_CLIENT_SECRET",
      "MONZO_REDIRECT_URL",
      "PUBLIC_URL",
      "WEBHOOK_SECRET",
      "DASHBOARD_PASSWORD",
    ]
  ) {
    delete env[name];
  }
  Object.assign(env, extra);
  const child = spawn(DENO, ["run", "-A", "examples/hono/main.ts"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`the example did not start:\n${output}`)),
      30_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk;
      const url = /Listening on (http:\S+?)\/?$/m.exec(output)?.[1];
      const emulator = /emulator at (http:\S+)/.exec(output)?.[1];
      if (url && emulator) {
        clearTimeout(timer);
        resolve({ child, url, emulator, output: () => output });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`the example exited (${code}):\n${output}`)));
  });
}

/** Runs the example expecting it to refuse to start; resolves with its exit code and output. */
async function failedStart(
  dataDir: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const error = await startExample(dataDir, env).then(
    ({ child }) => {
      child.kill("SIGTERM");
      throw new Error("the example started");
    },
    (error: Error) => error,
  );
  const code = /exited \((\w+)\)/.exec(error.message)?.[1];
  return { code: code === undefined ? null : Number(code), output: error.message };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}

/** Reads "£1,234.56" (or "-£3.50") as minor units. */
function pence(text: string): number {
  const match = /(-?)£([\d,]+)\.(\d\d)/.exec(text);
  assert.ok(match, `no amount in ${text}`);
  return (match[1] ? -1 : 1) * (Number(match[2].replaceAll(",", "")) * 100 + Number(match[3]));
}

async function potBalance(page: Page, potId: string): Promise<number> {
  return pence(await page.locator(`li[data-pot="${potId}"] .balance`).innerText());
}

test("the demo works by clicking through it in Chromium", { skip, timeout: 90_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "monzo-example-"));
  let { child, url, emulator } = await startExample(dataDir);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.setDefaultTimeout(15_000);

    // Connect: the emulator's consent page, then back to the callback.
    await page.goto(url);
    assert.match(await page.locator("#mode").innerText(), /Using the built-in Monzo emulator/);
    await page.click("#connect");
    await page.waitForURL(`${emulator}/auth/**`);
    await page.click("#allow");

    // Until the approval in the app (the emulator's approval page), the page says so.
    await page.waitForSelector("#approval");
    assert.match(await page.locator("h2").innerText(), /Approve access in your Monzo app/);
    const [approval] = await Promise.all([
      page.waitForEvent("popup"),
      page.click("#emulator-approve"),
    ]);
    await approval.click("#approve");
    assert.match(await approval.locator("#result").innerText(), /Approved 1 login/);
    await approval.close();

    // The approval page reloads itself into the dashboard.
    // The back-fill runs the moment the approval lands; its rows and coverage show up live.
    const current = page.locator("section.account", { hasText: "Current account" });
    await current.waitFor();
    await current.locator("[data-coverage]", { hasText: "History since" }).waitFor();
    await current.locator("tr[data-tx]").first().waitFor();
    assert.match(await current.locator("[data-balance]").innerText(), /^-?£[\d,]+\.\d\d$/);
    assert.ok(await current.locator("li[data-pot]").count() > 0, "pots are listed");
    assert.ok(await current.locator("tr[data-tx]").count() > 0, "transactions are listed");
    assert.match(await current.locator("tbody").innerText(), /£\d+\.\d\d/);
    const accountId = (await current.getAttribute("data-account"))!;

    // Move £12.34 into a pot with one form sent twice (its data posted first, as a resubmit
    // would, then the form itself): both carry the same dedupe key, the money moves once.
    const form = current.locator("form.pot-move");
    const value = (name: string) => form.locator(`[name=${name}]`).inputValue();
    const potId = await value("pot_id");
    const before = await potBalance(page, potId);
    await form.locator("input[name=amount]").fill("12.34");
    const first = await page.request.post(`${url}/pots/deposit`, {
      form: {
        account_id: await value("account_id"),
        dedupe_id: await value("dedupe_id"),
        pot_id: potId,
        amount: await value("amount"),
      },
      headers: { Origin: new URL(url).origin },
      maxRedirects: 0,
    });
    assert.equal(first.status(), 303);
    await Promise.all([page.waitForURL(/notice=/), form.locator("button.deposit").click()]);
    assert.match(await page.locator(".notice").innerText(), /Moved £12\.34 into /);
    assert.equal(await potBalance(page, potId) - before, 1234);

    // And £2.00 back out of the same pot.
    await current.locator("form.pot-move input[name=amount]").fill("2.00");
    await current.locator("form.pot-move select[name=pot_id]").selectOption(potId);
    await Promise.all([
      page.waitForURL(/notice=/),
      current.locator("form.pot-move button.withdraw").click(),
    ]);
    assert.match(await page.locator(".notice").innerText(), /Moved £2\.00 out of /);
    assert.equal(await potBalance(page, potId) - before, 1034);

    // A new card payment at the emulator reaches the page through the webhook, no reload.
    await page.waitForSelector("body[data-live]");
    await page.evaluate(() => Object.assign(globalThis, { sameDocument: true }));
    const response = await fetch(`${emulator}/_emulator/transactions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ account_id: accountId, amount: -1250, merchant: "Dishoom" }),
    });
    assert.equal(response.status, 200);
    const { transaction } = await response.json();
    const row = page.locator(`tbody[data-account="${accountId}"] tr[data-tx="${transaction.id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /🍛 Dishoom[\s\S]*pending[\s\S]*-£12\.50/);
    assert.equal(await page.evaluate(() => "sameDocument" in globalThis), true);
    assert.equal(await current.locator("tbody tr").first().getAttribute("data-tx"), transaction.id);
    assert.equal(await current.locator(`tr[data-tx="${transaction.id}"]`).count(), 1);
    const database = join(dataDir, "transactions-emulator.sqlite");
    assert.equal(statSync(database).mode & 0o777, 0o600);

    // The balance on the page followed the payment.
    const balance = await current.locator("[data-balance]").innerText();
    const reloaded = await page.request.get(url);
    assert.ok((await reloaded.text()).includes(`data-balance>${balance}<`), balance);

    mkdirSync(".tmp", { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // A page on a rebound name (rebind.test → 127.0.0.1) reads nothing and moves nothing.
    const port = new URL(url).port;
    const evil = await browser.newPage();
    const rebound = await evil.goto(`http://rebind.test:${port}/`);
    assert.equal(rebound!.status(), 421);
    assert.doesNotMatch(await evil.content(), /Current account/);
    const status = await evil.evaluate(async (fields) => {
      const response = await fetch("/pots/deposit", {
        method: "POST",
        body: new URLSearchParams(fields),
      });
      return response.status;
    }, { account_id: accountId, pot_id: potId, dedupe_id: "evil", amount: "7.00" });
    assert.equal(status, 421);
    await evil.close();

    // A restart keeps the login (the emulator keeps its logins next to ours).
    await stop(child);
    ({ child, url, emulator } = await startExample(dataDir));
    await page.goto(url);
    await page.locator("section.account", { hasText: "Current account" }).waitFor();
    assert.equal(await page.locator("#connect").count(), 0);
  } finally {
    await browser.close();
    await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("exposed: no start without a password, and the password guards the pages", {
  skip,
  timeout: 90_000,
}, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "monzo-example-"));
  const refused = await failedStart(dataDir, { HOST: "0.0.0.0" });
  assert.equal(refused.code, 1);
  assert.match(refused.output, /Cannot start: HOST=0\.0\.0\.0 listens beyond this machine/);
  assert.doesNotMatch(refused.output, /^ {4}at /m, "no stack trace");

  const password = "a long random password";
  const { child, url } = await startExample(dataDir, { DASHBOARD_PASSWORD: password });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
  try {
    // A busy port is a sentence, not a stack trace.
    const busy = await failedStart(dataDir, { PORT: new URL(url).port });
    assert.equal(busy.code, 1);
    assert.match(busy.output, new RegExp(`port ${new URL(url).port} is already in use`));
    assert.doesNotMatch(busy.output, /^ {4}at /m);

    const stranger = await browser.newPage();
    assert.equal((await stranger.request.get(url)).status(), 401);
    await stranger.close();
    const owner = await (await browser.newContext({
      httpCredentials: { username: "me", password },
    })).newPage();
    assert.equal((await owner.goto(url))!.status(), 200);
    assert.match(await owner.locator("#connect").innerText(), /Connect Monzo/);
    const guesses = await owner.evaluate(async (origin) => {
      const statuses = [];
      for (let i = 0; i < 12; i++) {
        const response = await fetch(`${origin}/`, {
          headers: { Authorization: `Basic ${btoa(`me:guess${i}`)}` },
        });
        statuses.push(response.status);
      }
      return statuses;
    }, url);
    // (Chromium may send a refused request twice: count only that guessing gets stopped.)
    assert.equal(guesses[0], 401);
    assert.equal(guesses.at(-1), 429);
    assert.deepEqual([...new Set(guesses)], [401, 429]);
  } finally {
    await browser.close();
    await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
