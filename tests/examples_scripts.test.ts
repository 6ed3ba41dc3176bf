// The examples as processes, run as the README says: examples/deno.ts under Deno and
// examples/bun.ts under Bun report a refresh both ways, and the Hono example keeps its login
// across a restart under each runtime.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";
import { MonzoEmulator, serveEmulator } from "../src/testing/mod.ts";

/** Runs a command; resolves with its exit code and everything it printed. */
function run(cmd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, NO_COLOR: "1" } });
    let output = "";
    child.stdout.on("data", (chunk) => output += chunk);
    child.stderr.on("data", (chunk) => output += chunk);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

function checkOutput(output: string, storage: string): void {
  assert.match(output, /^balance of acc_\w+: -?£[\d,]+\.\d\d$/m);
  assert.match(output, /^pots: \S/m);
  assert.match(output, /^way 1, handler: new tokens stored, the access token expires at \d{4}-/m);
  assert.match(
    output,
    /^way 2, properties: new access token \(expires at \d{4}-.*\), a new refresh token$/m,
  );
  assert.match(output, new RegExp(`^${storage} holds the new tokens: true`, "m"));
  assert.doesNotMatch(output, /eyJ|mnzconf/, "no token or secret is printed");
}

const deno = "node_modules/.bin/deno";
const bun = "node_modules/.bin/bun";

/** The command an example's first line tells to run (`npx deno run -A …`), as argv. */
async function headerCommand(path: string): Promise<string[]> {
  const first = (await readFile(path, "utf8")).split("\n")[0];
  const command = /`(npx [^`]+)`/.exec(first)?.[1];
  assert.ok(command, `${path} does not say how to run it with npx: ${first}`);
  return command.split(" ");
}

test("examples/deno.ts reports the refresh both ways, run as its first line says", {
  skip: existsSync(deno) ? false : `${deno} is missing (npm ci)`,
  timeout: 60_000,
}, async () => {
  const [npx, ...args] = await headerCommand("examples/deno.ts");
  const { code, output } = await run(npx, args);
  assert.equal(code, 0, output);
  checkOutput(output, "DenoKvStorage");
});

test("examples/bun.ts reports the refresh both ways, run as its first line says", {
  skip: existsSync(bun) ? false : `${bun} is missing (npm ci)`,
  timeout: 60_000,
}, async () => {
  const [npx, ...args] = await headerCommand("examples/bun.ts");
  const { code, output } = await run(npx, args);
  assert.equal(code, 0, output);
  checkOutput(output, "BunFileStorage");
  assert.match(output, /^Bun \d+\.\d+/m);
  assert.match(output, /\(mode 600\)/);
});

/** Starts examples/hono/main.ts; resolves with its URL once it listens, and a stop function. */
function startExample(cmd: string, args: string[], env: Record<string, string>) {
  const child = spawn(cmd, args, { env: { ...process.env, NO_COLOR: "1", PORT: "0", ...env } });
  let output = "";
  const exited = new Promise((resolve) => child.on("close", resolve));
  return new Promise<{ url: string; stop(): Promise<unknown> }>((resolve, reject) => {
    const onData = (chunk: string) => {
      output += chunk;
      const url = /Listening on (http:\S+?)\/?$/m.exec(output)?.[1];
      if (url) resolve({ url, stop: () => (child.kill("SIGTERM"), exited) });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    exited.then(() => reject(new Error(`the example exited:\n${output}`)));
  });
}

for (
  const [runtime, cmd, args, storage] of [
    ["Deno", deno, ["run", "-A", "examples/hono/main.ts"], "DenoKvStorage"],
    ["Bun", bun, ["examples/hono/main.ts"], "BunFileStorage"],
  ] as const
) {
  test(
    `the Hono example under ${runtime} keeps the login and the synced history across a restart (${storage})`,
    {
      skip: existsSync(cmd) ? false : `${cmd} is missing (npm ci)`,
      timeout: 60_000,
    },
    async () => {
      // The "real Monzo" here is an emulator served by the test, so that it outlives the example.
      const emulator = new MonzoEmulator();
      const api = await serveEmulator(emulator);
      const redirectUrl = "https://dashboard.example/callback";
      emulator.addRedirectUri(emulator.client.id, redirectUrl);
      const dataDir = await mkdtemp(join(tmpdir(), "monzo-restart-"));
      const env = {
        MONZO_CLIENT_ID: emulator.client.id,
        MONZO_CLIENT_SECRET: emulator.client.secret,
        MONZO_REDIRECT_URL: redirectUrl,
        MONZO_API_URL: api.url,
        MONZO_AUTH_URL: `${api.url}/auth`,
        DATA_DIR: dataDir,
      };
      try {
        const first = await startExample(cmd, [...args], env);
        const login = await fetch(`${first.url}/login`, { redirect: "manual" });
        const cookie = login.headers.get("set-cookie")!.split(";")[0];
        const state = new URL(login.headers.get("location")!).searchParams.get("state")!;
        const code = emulator.authorize({ redirectUri: redirectUrl });
        const callback = await fetch(`${first.url}/callback?code=${code}&state=${state}`, {
          headers: { cookie },
          redirect: "manual",
        });
        assert.equal(callback.status, 303);
        // The back-fill runs once the login is approved (it is: authorize approves at once).
        const rows = (page: string) => [...page.matchAll(/data-tx="(tx_\w+)"/g)].map((m) => m[1]);
        const done = (page: string) =>
          (page.match(/all of it/g)?.length ?? 0) >= 2 && !/Reading the history/.test(page);
        let before = "";
        for (let i = 0; i < 100 && !done(before); i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          before = await (await fetch(first.url)).text();
        }
        assert.ok(done(before), before);
        assert.ok(rows(before).length > 0, "no synced rows");
        await first.stop();

        // Restarted while Monzo cannot list transactions: the history comes from the SQLite file.
        emulator.injectFault({ path: "/transactions", status: 503, count: Infinity });
        const second = await startExample(cmd, [...args], env);
        const page = await (await fetch(second.url)).text();
        await second.stop();
        assert.deepEqual(rows(page), rows(before));
        assert.match(page, /Current account/);
        assert.match(page, new RegExp(`Connected to ${new URL(api.url).host}`));
        assert.equal(emulator.counters.grants.authorization_code, 1);
      } finally {
        await api.close();
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  );
}
