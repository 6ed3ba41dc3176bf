// Start-up: the wall time of a process that imports the main entry vs one running an empty
// script, under Deno and Bun, interleaved; plus the import time measured inside the process.
//   node bench/startup.mjs [rounds]
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const rounds = Number(process.argv[2] ?? process.env.BENCH_STARTUP_ROUNDS ?? 20);
const WARMUP = 3;
const runtimes = {
  deno: (script) => [join(root, "node_modules/.bin/deno"), ["run", "-A", "--no-check", script]],
  bun: (script) => [join(root, "node_modules/.bin/bun"), [script]],
};

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Runs a script once; returns its wall time in ms and its stdout. */
function time(runtime, script) {
  const [cmd, args] = runtimes[runtime](join(root, "bench", script));
  const start = process.hrtime.bigint();
  const run = spawnSync(cmd, args, {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.status !== 0) throw new Error(`${runtime} ${script} failed: ${run.stderr}`);
  return { ms, stdout: run.stdout };
}

for (const runtime of Object.keys(runtimes)) {
  for (let i = 0; i < WARMUP; i++) {
    time(runtime, "_empty.ts");
    time(runtime, "_import_main.ts");
    time(runtime, "_import_timed.ts");
  }
  const empty = [], main = [], ratios = [], inProcess = [];
  for (let i = 0; i < rounds; i++) {
    // Alternate the order so that neither side always runs first.
    const [a, b] = i % 2 ? ["_import_main.ts", "_empty.ts"] : ["_empty.ts", "_import_main.ts"];
    const first = time(runtime, a).ms;
    const second = time(runtime, b).ms;
    const e = a === "_empty.ts" ? first : second;
    const m = a === "_empty.ts" ? second : first;
    empty.push(e);
    main.push(m);
    ratios.push(m / e);
    inProcess.push(Number(time(runtime, "_import_timed.ts").stdout.match(/IMPORT_MS ([\d.]+)/)[1]));
  }
  const version = spawnSync(runtimes[runtime]("")[0], ["--version"], { encoding: "utf8" }).stdout
    .split("\n")[0].trim()
    .replace(/^deno /, "").replace(/ \(.*$/, "");
  console.log(`BENCH_RESULT ${
    JSON.stringify({
      bench: "startup",
      runtime: { name: runtime, version },
      rounds,
      emptyMs: median(empty),
      mainMs: median(main),
      ratio: median(ratios),
      addedMs: median(main.map((m, i) => m - empty[i])),
      importMs: median(inProcess),
    })
  }`);
}
