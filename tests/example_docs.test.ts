// docs/getting-started.md's two-line CLI script, in the project a Node user starts from
// (`npm init -y`: CommonJS), run with tsx as the docs say. The package is stood in for by a
// local one whose `./cli` export is this checkout's CLI (JSR is out of reach).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

const TSX = join(process.cwd(), "node_modules", ".bin", "tsx");

test("the getting-started CLI script runs with tsx in a default npm project", {
  skip: "Deno" in globalThis || "Bun" in globalThis ? "a Node and tsx matter" : false,
  timeout: 60_000,
}, async () => {
  const docs = await readFile("docs/getting-started.md", "utf8");
  const script = /```ts\n(\/\/ (\S+): run with [^\n]*`npx tsx (\S+) login`[\s\S]*?)```/.exec(docs);
  assert.ok(script, "the script and how to run it");
  const [, code, name, ran] = script;
  assert.equal(ran, name);
  const project = await mkdtemp(join(tmpdir(), "monzo-npm-init-"));
  try {
    // What `npm init -y` writes (no "type": CommonJS), and the installed package.
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "p", version: "1.0.0" }));
    const pkg = join(project, "node_modules", "@monzo-api", "client");
    await mkdir(pkg, { recursive: true });
    await writeFile(
      join(pkg, "package.json"),
      JSON.stringify({
        name: "@monzo-api/client",
        type: "module",
        exports: { "./cli": "./cli.ts" },
      }),
    );
    const cli = pathToFileURL(join(process.cwd(), "src", "cli", "mod.ts")).href;
    await writeFile(join(pkg, "cli.ts"), `export { main } from "${cli}";\n`);
    await writeFile(join(project, name), code);
    const { status, output } = await new Promise<{ status: number | null; output: string }>(
      (resolve) => {
        const child = spawn(TSX, [name, "--version"], { cwd: project });
        let output = "";
        child.stdout.on("data", (chunk) => output += chunk);
        child.stderr.on("data", (chunk) => output += chunk);
        child.on("close", (status) => resolve({ status, output }));
      },
    );
    assert.equal(status, 0, output);
    assert.match(output, /^monzo \d+\.\d+\.\d+$/m);
  } finally {
    await rm(project, { recursive: true, force: true });
  }
});
