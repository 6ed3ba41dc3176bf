// `login` end to end: the CLI serves an emulator (`--emulator`), the test plays the browser
// (consent form) and the Monzo app (approval), and every clear error is checked.

import assert from "node:assert/strict";
import { chmod, mkdir, readFile, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, test } from "node:test";
import { type CliProcess, freePort, runCli, startCli, tempDir } from "./_cli.ts";

const URL_PATTERN = /(http:\/\/127\.0\.0\.1:\d+)\/auth\/\?\S+/;

/** Starts `login --emulator` on a free loopback port, writing to `credentials`. */
async function startLogin(
  credentials: string,
  extra: string[] = [],
): Promise<CliProcess & { redirectUrl: string }> {
  const redirectUrl = `http://127.0.0.1:${await freePort()}/callback`;
  const args = ["--credentials", credentials, "--redirect-url", redirectUrl, ...extra];
  return { ...startCli(["login", "--emulator", "--no-open", ...args]), redirectUrl };
}

/** Plays the browser: opens the printed URL, presses a consent button, follows the redirect. */
async function consent(cli: CliProcess, button: "allow" | "deny"): Promise<string> {
  const [authorizationUrl, emulatorUrl] = await cli.waitForStderr(URL_PATTERN);
  const page = await (await fetch(authorizationUrl)).text();
  const action = page.match(/<form[^>]*action="([^"]+)"/)![1];
  const consentId = page.match(/name="consent_id" value="([^"]+)"/)![1];
  const [, name, value] = page.match(new RegExp(`id="${button}" name="([^"]+)" value="([^"]+)"`))!;
  const answer = await fetch(new URL(action, emulatorUrl), {
    method: "POST",
    body: new URLSearchParams({ consent_id: consentId, [name]: value }),
    redirect: "manual",
  });
  assert.equal(answer.status, 302);
  const callback = await fetch(answer.headers.get("location")!);
  assert.equal(callback.status, 200);
  await callback.text();
  return emulatorUrl;
}

describe("login", () => {
  let dir: { path: string; remove: () => Promise<void> };
  before(async () => (dir = await tempDir()));
  after(() => dir.remove());

  test("--emulator: consent, code exchange, approval, credentials saved with mode 0600", async () => {
    const file = join(dir.path, "nested", "credentials.json");
    const cli = await startLogin(file, ["--timeout", "30"]);
    const emulatorUrl = await consent(cli, "allow");
    await cli.waitForStderr(/Now allow access in the Monzo app/);
    const approval = await fetch(`${emulatorUrl}/_emulator/approve`, { method: "POST" });
    assert.deepEqual(await approval.json(), { approved: 1 });
    assert.equal(await cli.exited, 0, cli.stderr());

    assert.match(cli.stderr(), /Saved the credentials to .*credentials\.json \(mode 0600\)/);
    assert.match(cli.stderr(), /Approved\. For the next 5 minutes/);
    if (process.platform !== "win32") assert.equal((await stat(file)).mode & 0o777, 0o600);
    const saved = JSON.parse(await readFile(file, "utf8"));
    for (const key of ["accessToken", "clientId", "clientSecret", "expiry", "refreshToken"]) {
      assert.ok(key in saved, key);
    }
    const record = JSON.parse(
      await readFile(join(dir.path, "nested", "credentials.api.json"), "utf8"),
    );
    assert.deepEqual(record, { api: "emulator" }, "the login records which API it belongs to");
    assert.match(saved.clientId, /^oauth2client_/);
    assert.ok(saved.expiry > Date.now() / 1000 + 3600);
    for (const secret of [saved.accessToken, saved.refreshToken, saved.clientSecret]) {
      assert.ok(!cli.stderr().includes(secret) && !cli.stdout().includes(secret), "secret shown");
    }
  });

  test("a denied consent is reported and saves nothing", async () => {
    const file = join(dir.path, "denied.json");
    const cli = await startLogin(file);
    await consent(cli, "deny");
    assert.equal(await cli.exited, 1);
    assert.match(cli.stderr(), /Access was not allowed on Monzo's page\. Nothing was saved/);
    await assert.rejects(stat(file), { code: "ENOENT" });
  });

  test("a forged callback (another state) is ignored, and the real one still logs in", async () => {
    const file = join(dir.path, "forged.json");
    const cli = await startLogin(file, ["--timeout", "30"]);
    await cli.waitForStderr(URL_PATTERN);
    for (const query of ["code=stolen&state=forged", "error=access_denied&state=", "code=x"]) {
      const forged = await fetch(`${cli.redirectUrl}?${query}`);
      assert.equal(forged.status, 400, query);
      assert.match(await forged.text(), /does not belong to the login running in your terminal/);
    }
    await assert.rejects(stat(file), { code: "ENOENT" });
    const emulatorUrl = await consent(cli, "allow");
    await cli.waitForStderr(/Now allow access in the Monzo app/);
    await (await fetch(`${emulatorUrl}/_emulator/approve`, { method: "POST" })).body?.cancel();
    assert.equal(await cli.exited, 0, cli.stderr());
    assert.ok((await stat(file)).isFile());
  });

  test("a config directory others can write to is made private first", {
    skip: process.platform === "win32",
  }, async () => {
    const shared = join(dir.path, "shared");
    await mkdir(shared);
    await chmod(shared, 0o777);
    const cli = await startLogin(join(shared, "credentials.json"), ["--timeout", "1"]);
    assert.equal(await cli.exited, 1);
    assert.match(cli.stderr(), /could be written by other users \(mode 777\): changed it to 700/);
    assert.equal((await stat(shared)).mode & 0o777, 0o700);
  });

  test("no browser coming back is a timeout", async () => {
    const cli = await startLogin(join(dir.path, "timeout.json"), ["--timeout", "1"]);
    assert.equal(await cli.exited, 1);
    assert.match(cli.stderr(), /Timed out after 1 s waiting for the browser/);
  });

  test("no approval in the app is a timeout that keeps the saved login", async () => {
    const file = join(dir.path, "unapproved.json");
    const cli = await startLogin(file, ["--timeout", "3"]);
    await consent(cli, "allow");
    assert.equal(await cli.exited, 1);
    assert.match(cli.stderr(), /not allowed in the Monzo app within 3 s/);
    assert.ok((await stat(file)).isFile());
  });

  test("a redirect port in use is a clear error", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      const result = await runCli([
        "login",
        "--emulator",
        "--no-open",
        "--credentials",
        join(dir.path, "port.json"),
        "--redirect-url",
        `http://127.0.0.1:${port}/callback`,
      ]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`Port ${port} is already in use`));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("a missing client id or secret is a usage error", async () => {
    const noId = await runCli(["login", "--no-open"]);
    assert.equal(noId.code, 2);
    assert.match(noId.stderr, /Missing the client id: pass --client-id or set MONZO_CLIENT_ID/);
    const noSecret = await runCli(["login", "--no-open"], { MONZO_CLIENT_ID: "oauth2client_1" });
    assert.equal(noSecret.code, 2);
    assert.match(noSecret.stderr, /Missing the client secret/);
  });

  test("usage errors: bad redirect URL, bad timeout, unknown option, unknown command", async () => {
    const cases: [string[], RegExp][] = [
      [["login", "--redirect-url", "https://example.com/cb"], /--redirect-url must be an http/],
      [["login", "--timeout", "soon"], /--timeout must be a positive number/],
      [["login", "--port", "1"], /Unknown option '--port'/],
      [["logni"], /Unknown command "logni"\. Did you mean `monzo login`\?/],
      [["transactoins"], /Did you mean `monzo transactions`\?/],
      [["frobnicate"], /Unknown command "frobnicate"\. Run `monzo --help`/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, message);
    }
    const help = await runCli(["login", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--redirect-url <url>/);
  });
});
