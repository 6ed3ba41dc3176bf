// The demo, clicked through in Debian's Chromium (playwright-core): the example server runs
// as `deno run -A examples/hono/main.ts` with its emulator; connect, allow, approve in the
// "app", read the dashboard, move money into a pot with a double submit, and watch a new
// transaction arrive through the webhook without a reload. Node only (Playwright's driver).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
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

/** Starts the example; resolves with its URL and the emulator's once both are printed. */
function startExample(
  dataDir: string,
): Promise<{ child: ChildProcess; url: string; emulator: string }> {
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
        resolve({ child, url, emulator });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`the example exited (${code}):\n${output}`)));
  });
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
  const { child, url, emulator } = await startExample(dataDir);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
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
    const current = page.locator("section.account", { hasText: "Current account" });
    await current.waitFor();
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
    await Promise.all([page.waitForURL(/moved=1234/), form.locator("button").click()]);
    assert.match(await page.locator(".notice").innerText(), /Moved £12\.34 into /);
    assert.equal(await potBalance(page, potId) - before, 1234);

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

    mkdirSync(".tmp", { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  } finally {
    await browser.close();
    child.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  }
});
