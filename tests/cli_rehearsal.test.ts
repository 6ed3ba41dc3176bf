// The offline rehearsal, end to end from a clean config directory, as a new user would run it:
// `monzo emulator` in one terminal; `monzo login --emulator` (the test plays the browser and
// the Monzo app); then `whoami`, `balance`, `transactions` with no flags at all. The login
// records that it belongs to the emulator, and the emulator keeps it across restarts (with no
// emulator running, the commands run it in-process).

import assert from "node:assert/strict";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type CliProcess, freePort, runCli, startCli, tempDir } from "./_cli.ts";

describe("offline rehearsal", () => {
  let dir: { path: string; remove: () => Promise<void> };
  let env: Record<string, string>;
  let emulator: CliProcess | undefined;

  /** Starts `monzo emulator` on a free port; resolves with its URL. */
  async function serve(): Promise<string> {
    emulator = startCli(["emulator", "--port", "0"], env);
    return (await emulator.waitForStderr(/Monzo emulator at (http:\/\/127\.0\.0\.1:\d+)/))[1];
  }

  async function stopEmulator(): Promise<void> {
    emulator!.child.kill("SIGTERM");
    // Deno's child_process reports a trapped signal as the exit (null); the removed
    // emulator.json shows the graceful stop everywhere.
    assert.ok([0, null].includes(await emulator!.exited), emulator!.stderr());
    emulator = undefined;
  }

  /** Runs a command that must succeed. */
  async function monzo(...args: string[]): Promise<string> {
    const result = await runCli(args, env);
    assert.equal(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
  }

  before(async () => {
    dir = await tempDir();
    env = { XDG_CONFIG_HOME: dir.path };
  });
  after(async () => {
    if (emulator) await stopEmulator();
    await dir.remove();
  });

  test("emulator, login --emulator, then whoami, balance, transactions just work", async () => {
    const url = await serve();
    const running = JSON.parse(
      await readFile(join(dir.path, "monzo-api", "emulator.json"), "utf8"),
    );
    assert.equal(running.url, url);

    const redirectUrl = `http://127.0.0.1:${await freePort()}/callback`;
    const login = startCli(
      ["login", "--emulator", "--no-open", "--redirect-url", redirectUrl, "--timeout", "30"],
      env,
    );
    const [authorizationUrl] = await login.waitForStderr(
      new RegExp(`${url.replace(/[.:/]/g, "\\$&")}/auth/\\?\\S+`),
    );
    // The browser: the consent page of the running emulator, Allow, back to the CLI.
    const page = await (await fetch(authorizationUrl)).text();
    const consentId = /name="consent_id" value="([^"]+)"/.exec(page)![1];
    const allowed = await fetch(`${url}/auth/consent`, {
      method: "POST",
      body: new URLSearchParams({ consent_id: consentId, decision: "allow" }),
      redirect: "manual",
    });
    await (await fetch(allowed.headers.get("location")!)).text();
    // The Monzo app: approve.
    await login.waitForStderr(/Now allow access in the Monzo app/);
    await (await fetch(`${url}/_emulator/approve`, { method: "POST" })).body?.cancel();
    assert.equal(await login.exited, 0, login.stderr());
    assert.match(login.stderr(), new RegExp(`allow access at ${url.replace(/[.:/]/g, "\\$&")}`));

    const who = JSON.parse(await monzo("whoami", "--format", "json"));
    assert.equal(who.authenticated, true);
    assert.match(await monzo("balance"), /^account_id +balance +total_balance/);
    const transactions = (await monzo("transactions", "--since", "30d")).trimEnd().split("\n");
    assert.ok(transactions.length > 10, "a month of made-up transactions");
    assert.match(transactions[0], /^created +id +name +category +amount/);
    assert.match(await monzo("status"), new RegExp(`^API: +the Monzo emulator at ${url}`, "m"));
  });

  test("the login survives the emulator: in-process meanwhile, then served again", async () => {
    await stopEmulator();
    await assert.rejects(stat(join(dir.path, "monzo-api", "emulator.json")), { code: "ENOENT" });
    assert.match(await monzo("status"), /^API: +the Monzo emulator \(in-process/m);
    assert.equal(JSON.parse(await monzo("whoami", "--format", "json")).authenticated, true);
    const pots = await monzo("pots", "--format", "json");
    assert.ok(JSON.parse(pots).length > 0);

    const url = await serve();
    assert.match(await monzo("status"), new RegExp(`^API: +the Monzo emulator at ${url}`, "m"));
    assert.equal(JSON.parse(await monzo("whoami", "--format", "json")).authenticated, true);
    const mode = (await stat(join(dir.path, "monzo-api", "emulator-state.json"))).mode & 0o777;
    assert.equal(mode, 0o600, "the emulator's state holds client secrets");
  });

  test("an emulator login never replaces a login to Monzo", async () => {
    const real = join(dir.path, "real.json");
    await writeFile(
      real,
      JSON.stringify({
        accessToken: "a",
        refreshToken: "r",
        clientId: "oauth2client_x",
        clientSecret: "s",
        expiry: 1,
      }),
      { mode: 0o600 },
    );
    const result = await runCli(["login", "--emulator", "--no-open", "--credentials", real], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /holds your Monzo login, which an emulator login would replace/);
    assert.equal(JSON.parse(await readFile(real, "utf8")).accessToken, "a");
  });
});
