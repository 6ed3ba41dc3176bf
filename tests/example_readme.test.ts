// The README's quick start, run as a new user would: copied out of README.md, unchanged, into a
// clean directory after a login saved where `monzo login` saves it, then `deno run -A
// quickstart.ts` (no --unstable-kv). The directory's deno.json is what `deno add
// jsr:@monzo-api/client` writes, its imports pointed at this checkout (JSR is out of reach).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { BunFileStorage } from "../src/handlers/bun_file.ts";
import { startEmulator, storedLogin } from "./_emulator.ts";

const DENO = "node_modules/.bin/deno";

/** The first ```ts block under "## Quick start". */
async function quickStart(): Promise<string> {
  const readme = await readFile("README.md", "utf8");
  const section = readme.slice(readme.indexOf("## Quick start"));
  return /```ts\n([\s\S]*?)```/.exec(section)![1];
}

/** The deno.json of a project that added the package, pointed at this checkout. */
function denoJson(): string {
  const local = (path: string) => pathToFileURL(join(process.cwd(), path)).href;
  return JSON.stringify({
    imports: {
      "@monzo-api/client": local("mod.ts"),
      "@monzo-api/client/handlers/bun-file": local("src/handlers/bun_file.ts"),
      "valibot": local("node_modules/valibot/dist/index.mjs"),
    },
  });
}

test("the README's quick start runs from a clean directory on the CLI's saved login", {
  skip: existsSync(DENO) ? false : `${DENO} is missing (npm ci)`,
  timeout: 60_000,
}, async () => {
  const code = await quickStart();
  const served = await startEmulator();
  const home = await mkdtemp(join(tmpdir(), "monzo-readme-"));
  try {
    await mkdir(join(home, ".config", "monzo-api"), { recursive: true });
    await new BunFileStorage(join(home, ".config", "monzo-api", "credentials.json")).store(
      storedLogin(served.emulator),
    );
    await writeFile(join(home, "quickstart.ts"), code);
    await writeFile(join(home, "deno.json"), denoJson());
    const { status, output } = await new Promise<{ status: number | null; output: string }>(
      (resolve) => {
        const child = spawn(join(process.cwd(), DENO), ["run", "-A", "quickstart.ts"], {
          cwd: home,
          env: { ...process.env, HOME: home, MONZO_API_URL: served.url, NO_COLOR: "1" },
        });
        let output = "";
        child.stdout.on("data", (chunk) => output += chunk);
        child.stderr.on("data", (chunk) => output += chunk);
        child.on("close", (status) => resolve({ status, output }));
      },
    );
    assert.equal(status, 0, output);
    assert.match(output, /total_balance/);
    assert.match(output, /^\d{4}-\d\d-\d\dT\S+ -?\d+ \S/m, "transactions are listed");
  } finally {
    await served.close();
    await rm(home, { recursive: true, force: true });
  }
});
