// The benchmark command: `node bench/run.mjs`. Runs every benchmark under Deno and Bun as
// child processes (the emulator served on loopback by a Deno process of its own), collects
// their `BENCH_RESULT {json}` lines, and writes the table to bench/README.md.
// Takes about 2–3 minutes on 2 cores.
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
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
const deno = (script, ...flags) => [DENO, ["run", "-A", "--no-check", ...flags, script]];
const bun = (script) => [BUN, [script]];
const started = new Date();
const loadAtStart = loadavg();
const results = [];
const failures = [];

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
          const result = JSON.parse(line.slice(13));
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

/** Serves an emulator from a Deno process; resolves with its details and `stop()`. */
function serve(transactionsPerDay) {
  return new Promise((resolve, reject) => {
    const args = ["run", "-A", "--no-check", "bench/_serve.ts"];
    if (transactionsPerDay) args.push(String(transactionsPerDay));
    const child = spawn(DENO, args, { cwd: root, stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const line = out.split("\n").find((l) => l.startsWith("BENCH_SERVER "));
      if (line && !child.resolved) {
        child.resolved = true;
        resolve({
          info: line.slice(13),
          stop: () =>
            new Promise((done) => {
              child.on("close", done);
              child.stdin.end();
            }),
        });
      }
    });
    child.on("close", (code) => {
      if (!child.resolved) reject(new Error(`the emulator server exited with ${code}`));
    });
  });
}

function version(cmd, args = ["--version"]) {
  const out = spawnSync(cmd, args, { encoding: "utf8" });
  return (out.stdout || out.stderr || "").split("\n")[0].trim();
}

const versions = {
  node: process.version,
  deno: version(DENO).replace(/^deno /, "").replace(/ \(.*$/, ""),
  bun: version(BUN),
  esbuild: version(bin("esbuild")),
};
console.log(
  `Node ${versions.node}, Deno ${versions.deno}, Bun ${versions.bun}, esbuild ${versions.esbuild}`,
);

// 1 and 2: overhead and validation, on an emulator with the default history.
{
  const server = await serve();
  const env = { BENCH_EMULATOR: server.info, BENCH_OVERHEAD_ROUNDS: "11" };
  await run("1. overhead (deno)", deno("bench/overhead.ts"), [], env);
  await run("1. overhead (bun)", bun("bench/overhead.ts"), [], env);
  await run("2. validation (deno)", deno("bench/validation.ts"), [], env);
  await run("2. validation (bun)", bun("bench/validation.ts"), [], env);
  await server.stop();
}
// 3: paging, on an emulator with ~50,000 transactions in its year of history.
{
  const server = await serve(Math.ceil(50_000 / 365));
  const env = { BENCH_EMULATOR: server.info, BENCH_PAGING_PASSES: "3" };
  await run("3. paging (deno)", deno("bench/paging.ts", "--v8-flags=--expose-gc"), [], env);
  await run("3. paging (bun)", bun("bench/paging.ts"), [], env);
  await server.stop();
}
// 4: refresh under load (the emulator in the benchmark's own process).
await run("4. refresh, 1,000 concurrent calls (deno)", deno("bench/refresh_load.ts"), [
  "concurrent",
]);
await run("4. refresh, 1,000 concurrent calls (bun)", bun("bench/refresh_load.ts"), ["concurrent"]);
await run(
  "4. refresh, 8 processes (deno orchestrator)",
  deno("bench/refresh_load.ts", "--unstable-kv"),
  ["processes"],
);
// 5: size and start-up.
await run("5. size", [process.execPath, ["bench/size.mjs"]]);
await run("5. start-up", [process.execPath, ["bench/startup.mjs"]]);

const loadAtEnd = loadavg();
const seconds = (Date.now() - started.getTime()) / 1000;
writeFileSync(join(here, "README.md"), render());
// Formatted as `deno fmt --check` (part of `npm test`) wants it.
spawnSync(DENO, ["fmt", "--quiet", "bench/README.md"], { cwd: root, stdio: "inherit" });
console.log(`\nWrote bench/README.md (${seconds.toFixed(0)} s in all).`);
if (failures.length) {
  console.log(`${failures.length} benchmark(s) failed: ${failures.map((f) => f.label).join(", ")}`);
  process.exitCode = 1;
}

// ---------------------------------------------------------------------------------------

function find(bench, runtime, pred = () => true) {
  return results.find((r) =>
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

function render() {
  const o = { deno: find("overhead", "deno"), bun: find("overhead", "bun") };
  const v = { deno: find("validation", "deno"), bun: find("validation", "bun") };
  const p = { deno: find("paging", "deno"), bun: find("paging", "bun") };
  const rc = { deno: find("refresh_concurrent", "deno"), bun: find("refresh_concurrent", "bun") };
  const rp = {
    kv: find("refresh_processes", null, (r) => r.store === "deno-kv"),
    file: find("refresh_processes", null, (r) => r.store === "bun-file"),
  };
  const sizeOurs = find("size", null, (r) => r.package === "@monzo-api/client");
  const sizePeer = find("size", null, (r) => r.package === "@otters/monzo");
  const st = { deno: find("startup", "deno"), bun: find("startup", "bun") };
  const PAGES_BOUND = 5;

  const cell = (r, bench, runtime, show) => (r ? show(r) : missing(bench, runtime));
  const overheadCell = (r, rt) =>
    cell(
      r,
      "overhead",
      rt,
      (r) =>
        `${x(r.ratio)} (${fmt(r.clientUsPerRequest, 0)} vs ${
          fmt(r.rawUsPerRequest, 0)
        } µs/request; rounds ${fmt(r.ratioRange[0])}–${fmt(r.ratioRange[1])}×)`,
    );
  const validationCell = (r, rt) =>
    cell(
      r,
      "validation",
      rt,
      (r) =>
        `${x(r.ratio)}; ${fmt(r.validationUsPerTx)} µs/transaction for the check (${
          fmt(r.validatedUsPerTx)
        } vs ${fmt(r.jsonParseUsPerTx)} µs/transaction in all)`,
    );
  const pagingCell = (r, rt) =>
    cell(
      r,
      "paging",
      rt,
      (r) =>
        `${fmt(r.clientTxPerSec, 0)} tx/s (raw loop ${fmt(r.rawTxPerSec, 0)} tx/s, ${
          x(r.ratio)
        }); peak heap growth ${kb(r.peakGrowthBytes)} = ${
          fmt(r.peakGrowthPages, 1)
        } pages (1 page ≈ ${kb(r.pageHeapBytes)}; the whole history ≈ ${
          fmt(r.historyHeapBytesEstimate / 2 ** 20, 0)
        } MiB)`,
    );
  const concurrentCell = (r, rt) =>
    cell(
      r,
      "refresh, 1,000",
      rt,
      (r) =>
        `token requests per burst: ${
          r.clientExpired.tokenRequests.join(", ")
        } (expiry known to the client), ${
          r.serverExpired.tokenRequests.join(", ")
        } (401 from the server); failed calls ${
          r.clientExpired.failed + r.serverExpired.failed
        }; time vs a live token ${x(r.clientExpired.ratio)} / ${x(r.serverExpired.ratio)}`,
    );
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
  const startupCell = (r, rt) =>
    cell(
      r,
      "start-up",
      rt,
      (r) =>
        `${x(r.ratio)} (${fmt(r.mainMs, 1)} vs ${fmt(r.emptyMs, 1)} ms; +${
          fmt(r.addedMs, 1)
        } ms; import() inside the process ${fmt(r.importMs, 1)} ms)`,
    );

  const overheadOk = (r) => (r ? r.ratio <= 1.1 : undefined);
  const pagingOk = (r) => (r ? r.peakGrowthPages <= PAGES_BOUND : undefined);
  const concurrentOk = (r) =>
    r
      ? [...r.clientExpired.tokenRequests, ...r.serverExpired.tokenRequests].every((n) =>
        n === 1
      ) &&
        r.clientExpired.failed + r.serverExpired.failed === 0
      : undefined;
  const processOk = (r) => (r ? r.reuses === 0 && r.grants === r.expiries : undefined);
  const failedNote = [rp.kv, rp.file].filter((r) => r?.failedCalls).map((r) =>
    `${r.failedCalls} of ${fmt(r.calls + r.failedCalls, 0)} calls failed (${r.store})`
  );
  const verdicts = (f, a, b) => {
    if (!a && !b) return "–";
    const va = a ? f(a) : undefined, vb = b ? f(b) : undefined;
    if (va === vb) return verdict(va);
    return `Deno ${verdict(va)}, Bun ${verdict(vb)}`;
  };
  const sizeRatio = sizeOurs?.gzip && sizePeer?.gzip
    ? `${x(sizeOurs.gzip / sizePeer.gzip)} the peer's gzipped size`
    : "–";

  const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores`;
  const lines = [
    "# Benchmarks",
    "",
    "Run them all, and rewrite this file, with one command from the repository root:",
    "",
    "```sh",
    "node bench/run.mjs",
    "```",
    "",
    `Latest run: ${started.toISOString().slice(0, 16).replace("T", " ")} UTC, ${
      fmt(seconds, 0)
    } s in all. Deno ${versions.deno}, Bun ${versions.bun}, Node ${versions.node} (the orchestrator, and the size benchmark), esbuild ${versions.esbuild}. ${machine}; load average ${
      loadAtStart.map((l) => fmt(l)).join(" / ")
    } at the start and ${
      loadAtEnd.map((l) => fmt(l)).join(" / ")
    } at the end (other work shared the machine, so every figure is a ratio to a baseline measured in the same process, the two interleaved and repeated, medians reported).`,
    "",
    failures.length
      ? `**Failed in this run:** ${
        failures.map((f) => `${f.label}: ${f.why} ${f.tail}`).join("; ")
      }\n`
      : "",
    "| # | Figure | Deno | Bun | Target | Verdict |",
    "|---|---|---|---|---|---|",
    `| 1 | Request overhead: \`balance.get\` vs raw \`fetch\` + \`JSON.parse\` of the same URL, ${
      fmt(o.deno?.requests ?? o.bun?.requests ?? 2000, 0)
    } sequential requests | ${overheadCell(o.deno, "deno")} | ${
      overheadCell(o.bun, "bun")
    } | ≤ 1.10× | ${verdicts(overheadOk, o.deno, o.bun)} |`,
    `| 2 | Page validation: \`JSON.parse\` + the schema check of a 100-transaction page with merchants vs \`JSON.parse\` alone | ${
      validationCell(v.deno, "deno")
    } | ${validationCell(v.bun, "bun")} | (report) | – |`,
    `| 3 | Paging: \`transactions.iterate\` over ${
      fmt(p.deno?.transactions ?? p.bun?.transactions ?? 50000, 0)
    } transactions, pages of 100 with merchants | ${pagingCell(p.deno, "deno")} | ${
      pagingCell(p.bun, "bun")
    } | heap growth bounded by a few pages (≤ ${PAGES_BOUND}), not by the history | ${
      verdicts(pagingOk, p.deno, p.bun)
    } |`,
    `| 4a | Refresh: 1,000 concurrent calls on an expired token (3 bursts each way) | ${
      concurrentCell(rc.deno, "deno")
    } | ${concurrentCell(rc.bun, "bun")} | one token request per burst | ${
      verdicts(concurrentOk, rc.deno, rc.bun)
    } |`,
    `| 4b | Refresh: 8 processes sharing one store, the token expired every 2 s | ${
      processCell(rp.kv, "Deno KV")
    } (one Deno KV file) | ${
      processCell(rp.file, "Bun file")
    } (one \`BunFileStorage\` file) | zero reuses, one grant per expiry | ${
      verdicts(processOk, rp.kv, rp.file)
    }${failedNote.length ? `; but ${failedNote.join(", ")}` : ""} |`,
    `| 5a | Size: main entry bundled + minified (esbuild), gzipped | ${
      sizeCell(sizeOurs)
    } | vs \`@otters/monzo\`${sizePeer?.version ? ` ${sizePeer.version}` : ""}: ${
      sizeCell(sizePeer)
    } | (report) | ${sizeRatio} |`,
    `| 5b | Start-up: process importing the main entry vs an empty script | ${
      startupCell(st.deno, "deno")
    } | ${startupCell(st.bun, "bun")} | (report) | – |`,
    "",
    "## How each figure is measured",
    "",
    "- **The emulator** (`MonzoEmulator` from `src/testing/`) is served on 127.0.0.1. For 1–3 it runs in a Deno process of its own (`bench/_serve.ts`), so that its work does not share the measured client's thread; for 4 it runs inside the benchmark's process, which drives its clock.",
    `- **1. Overhead** (\`bench/overhead.ts\`): one \`Monzo\` client with a live token; the baseline is \`fetch(url, { headers: { Authorization } })\` + \`JSON.parse(await response.text())\` of the same \`/balance?account_id=…\` URL. After 300 warm-up requests each, ${
      o.deno?.rounds ?? 11
    } rounds; a round is ${
      fmt(o.deno?.requests ?? 2000, 0)
    } sequential requests per side, sent in chunks of 200 that alternate between the sides (so that load from other work hits both alike); the ratio is the median of the per-round ratios, \"rounds\" gives their spread.`,
    "- **2. Validation** (`bench/validation.ts`): one real page from the emulator (100 transactions, `expand[]=merchant`, " +
    (v.deno
      ? `${kb(v.deno.pageBytes)} of JSON, ${v.deno.withMerchant} with a merchant object`
      : "about 145 KiB of JSON") +
    '). Baseline `JSON.parse(text)`; subject `JSON.parse(text)` then the library\'s valibot check of `GET /transactions` (the private `parse(TransactionsSchema, …)` that `transactions.list` runs). Batches of 200, 15 interleaved rounds, medians. "µs/transaction for the check" is (subject − baseline) / 100.' +
    (v.deno && v.bun
      ? ` Through the whole client path, with an in-memory \`fetch\` that returns that page (no network): \`transactions.list\` takes ${
        fmt(v.deno.listUsPerPage, 0)
      } µs per page on Deno and ${fmt(v.bun.listUsPerPage, 0)} µs on Bun, ${
        x(v.deno.listRatio)
      } and ${x(v.bun.listRatio)} the in-memory \`fetch\` + \`response.text()\` + \`JSON.parse\`.`
      : ""),
    `- **3. Paging** (\`bench/paging.ts\`): an emulator seeded with ${
      Math.ceil(50000 / 365)
    } card transactions a day over its year of history; each pass logs in afresh (the 5-minute full-history window) and iterates from \`since\` = 400 days ago with \`limit: 100\`, \`expandMerchant: true\`, summing the amounts. Throughput: the median of ${
      p.deno?.passes ?? 3
    } passes, interleaved with a raw loop (\`fetch\` + \`JSON.parse\`, \`since\` = the last id) over the same pages. Heap: one more pass that forces a full GC (\`--expose-gc\` on Deno, \`Bun.gc(true)\`) and reads \`process.memoryUsage().heapUsed\` on every 5th page; the peak minus the heap before the loop is compared with the heap one parsed page holds (10 pages kept alive, measured between two GCs, divided by 10).`,
    "- **4a. Concurrent refresh** (`bench/refresh_load.ts concurrent`): 1,000 `balance.get` calls started at once on one `Authentication` (a `MemoryStorage` handler), in three cases, three bursts each, interleaved: a live token (the baseline), a token whose expiry the client knows has passed (it refreshes before sending), and a token the client believes live but the emulator's clock has passed (every call gets a 401 `unauthorized.bad_access_token.expired` first). Token requests are counted by the emulator.",
    `- **4b. Processes** (\`bench/refresh_load.ts processes\`, Deno): the emulator in this process; the login stored in a fresh store; ${
      rp.kv?.workers ?? 8
    } worker processes (\`bench/_refresh_worker.ts\`) each load it with \`Authentication.fromStorage\` and call \`balance.get\` in a tight loop for ${
      fmt((rp.kv ?? rp.file)?.seconds ?? 12, 0)
    } s. Every 2 s the orchestrator moves the emulator's clock past the token's lifetime (\`advanceTime\`), so every token the workers hold expires for the server (the workers' own clocks do not move; they learn it from the 401). Deno workers share one Deno KV file (\`DenoKvStorage\`), then Bun workers share one JSON file (\`BunFileStorage\`); both lease the refresh. Grants and reuses are the emulator's counters (\`grants.refresh_token\`, \`refreshReuses\`). \"Failed\" counts calls that threw to the caller. Afterwards a newcomer loads the store and makes a call${
      rp.kv
        ? ` (extra grants it needed: ${rp.kv.newcomerGrants} for KV, ${
          rp.file?.newcomerGrants ?? "–"
        } for the file)`
        : ""
    }.`,
    `- **5a. Size** (\`bench/size.mjs\`, Node): \`export * from\` the entry, bundled by esbuild (\`bundle\`, \`minify\`, ESM, \`platform: "node"\` so that Node built-ins stay external, as the peer's \`qs\` needs \`util\`), gzip level 9. Ours bundles ${
      sizeOurs?.bundledPackages?.join(", ") || "–"
    }; the peer (installed into \`bench/.peer\` with npm on first run) bundles ${
      sizePeer?.bundledPackages?.length ?? "–"
    } packages${sizePeer?.bundledPackages ? ` (${sizePeer.bundledPackages.join(", ")})` : ""}.`,
    `- **5b. Start-up** (\`bench/startup.mjs\`, Node): wall time of \`deno run\` / \`bun\` on \`bench/_import_main.ts\` (\`import "../mod.ts"\`) vs \`bench/_empty.ts\`, ${
      st.deno?.rounds ?? 20
    } interleaved pairs after 3 warm-ups (so Deno's module cache is warm), medians; \"import() inside the process\" is \`performance.now()\` around \`await import("../mod.ts")\` (\`bench/_import_timed.ts\`).`,
    "",
    "Each benchmark also runs alone (`deno run -A bench/overhead.ts`, `bun bench/paging.ts`, …); without `BENCH_EMULATOR` it serves an emulator in its own process. Knobs: `BENCH_OVERHEAD_REQUESTS`, `BENCH_OVERHEAD_ROUNDS`, `BENCH_VALIDATION_ROUNDS`, `BENCH_PAGING_TRANSACTIONS`, `BENCH_PAGING_PASSES`, `BENCH_REFRESH_CALLS`, `BENCH_REFRESH_WORKERS`, `BENCH_REFRESH_DURATION_MS`, `BENCH_REFRESH_EXPIRE_EVERY_MS`, `BENCH_STARTUP_ROUNDS`.",
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
