// Transaction sync figures (issue 12): the back-fill of ~20,000 transactions right after an
// approved login, against the emulator served on loopback with 300 ms injected on every
// `GET /transactions`, through `TransactionSyncer` into a `MemorySyncStore` and a
// `SqliteSyncStore` (node:sqlite, a temporary file), at several concurrencies: wall time
// against Monzo's 5-minute window and against the minimum the page count allows; then the
// requests of steady-state runs (an hour later, each day after, the 7-day sweep).
//
//   deno run -A bench/sync.ts            (both parts)
//   bun bench/sync.ts backfill           (or: syncall, steady)
//
// Knobs: BENCH_SYNC_DAYS (1460), BENCH_SYNC_PER_DAY (13: 19,844 transactions in the current
// account), BENCH_SYNC_LATENCY_MS (300), BENCH_SYNC_CONCURRENCY (1,2,4,8),
// BENCH_SYNC_STORES (memory,sqlite).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { MemorySyncStore, type SyncStore, TransactionSyncer } from "../src/sync/mod.ts";
import { SqliteSyncStore } from "../src/sync/sqlite_store.ts";
import { listings, type Rig, startRig } from "./_sync_setup.ts";
import { envNumber, report, runtime } from "./_stats.ts";

const DAYS = envNumber("BENCH_SYNC_DAYS", 1460);
const PER_DAY = envNumber("BENCH_SYNC_PER_DAY", 13);
const LATENCY = envNumber("BENCH_SYNC_LATENCY_MS", 300);
const CONCURRENCY = (process.env.BENCH_SYNC_CONCURRENCY || "1,2,4,8").split(",").map(Number);
const STORES = (process.env.BENCH_SYNC_STORES || "memory,sqlite").split(",");
const WINDOW_MS = 5 * 60_000;
/** When the engine stops reading history: 30 s before the window closes. */
const DEADLINE_MS = WINDOW_MS - 30_000;
const DAY_S = 86_400;

/** What the syncer handed the store, step by step. */
interface Applied {
  steps: number;
  delivered: number;
  ids: Set<string>;
  applyMs: number;
}

/** The store, with what `apply` received counted and timed. */
function counting(store: SyncStore): { store: SyncStore; applied: Applied } {
  const applied: Applied = { steps: 0, delivered: 0, ids: new Set(), applyMs: 0 };
  return {
    applied,
    store: {
      cursor: (accountId) => store.cursor(accountId),
      coverage: (accountId) => store.coverage(accountId),
      transactions: (accountId, options) => store.transactions(accountId, options),
      apply: async (result) => {
        applied.steps++;
        applied.delivered += result.added.length;
        for (const tx of result.added) applied.ids.add(tx.id);
        const t0 = performance.now();
        try {
          return await store.apply(result);
        } finally {
          applied.applyMs += performance.now() - t0;
        }
      },
    },
  };
}

async function rowCount(store: SyncStore, accountId: string): Promise<number> {
  return (await store.transactions(accountId, { limit: 10_000_000 })).length;
}

/** Opens a store of the kind; `close` removes what it made. */
async function openStore(kind: string): Promise<{ store: SyncStore; close(): Promise<void> }> {
  if (kind === "memory") return { store: new MemorySyncStore(), close: async () => {} };
  const { DatabaseSync } = await import("node:sqlite");
  const dir = await mkdtemp(join(tmpdir(), "monzo-bench-sync-"));
  const db = new DatabaseSync(join(dir, "monzo.sqlite"));
  return {
    store: new SqliteSyncStore(db),
    close: async () => {
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One back-fill: a fresh emulator and login, the latency injected, `syncer.sync(current)`. */
async function backfill(
  kind: string,
  concurrency: number,
  then?: (rig: Rig, s: Steady) => Promise<void>,
) {
  const rig = await startRig(DAYS, PER_DAY);
  const opened = await openStore(kind);
  try {
    const { store, applied } = counting(opened.store);
    const { emulator, accountId } = rig;
    emulator.injectFault({ path: "/transactions", delayMs: LATENCY, count: Infinity });
    const syncer = new TransactionSyncer(rig.monzo, store, {
      concurrency,
      now: () => emulator.now(),
    });
    const from = emulator.now();
    const t0 = performance.now();
    const summary = await syncer.sync(accountId);
    const wallMs = performance.now() - t0;
    const sinceApprovalMs = emulator.now() - rig.auth.approvedAt!;
    const log = listings(emulator, accountId, from);
    const rows = await rowCount(store, accountId);
    const history = log.windows.filter((w) => w.before !== null);
    const recentPages = log.pages - history.reduce((n, w) => n + w.pages, 0);
    const slots = Math.min(concurrency, history.length) || 1;
    const historyPages = log.pages - recentPages;
    // The schedule the engine can reach at best: history windows in parallel (each window's
    // pages one after another, `concurrency` windows at a time), then the recent part.
    const criticalPages = Math.max(
      Math.max(0, ...history.map((w) => w.pages)),
      Math.ceil(historyPages / slots),
    ) + recentPages;
    const result = {
      figure: `backfill-c${concurrency}`,
      store: kind,
      concurrency,
      latencyMs: LATENCY,
      truth: rig.truth,
      rows,
      summaryAdded: summary.added,
      delivered: applied.delivered,
      duplicatesDelivered: applied.delivered - applied.ids.size,
      steps: applied.steps,
      coverage: summary.coverage,
      coverageFromOpening: summary.coverage.from === new Date(rig.openedAt).toISOString(),
      requests: summary.requests,
      pages: log.pages,
      failed: log.failed,
      confirms: log.confirms,
      historyWindows: history.map((w) =>
        `${w.since.slice(0, 10)}..${w.before!.slice(0, 10)} ${w.pages}p`
      ),
      recentPages,
      maxSpanDays: Math.round(log.maxSpanDays * 10) / 10,
      wallMs: Math.round(wallMs),
      sinceApprovalMs: Math.round(sinceApprovalMs),
      windowShare: sinceApprovalMs / WINDOW_MS,
      fitsWindow: summary.coverage.complete && sinceApprovalMs < DEADLINE_MS,
      applyMs: Math.round(applied.applyMs),
      minSequentialMs: log.pages * LATENCY,
      minPerConcurrencyMs: Math.round(log.pages * LATENCY / concurrency),
      minScheduleMs: criticalPages * LATENCY,
    };
    report("sync", result);
    const ok = rows === rig.truth && summary.coverage.complete && result.duplicatesDelivered === 0;
    console.log(
      `${runtime().name} ${kind} c=${concurrency}: ${(wallMs / 1000).toFixed(1)} s wall, ` +
        `${(sinceApprovalMs / 1000).toFixed(1)} s after approval (${
          (result.windowShare * 100).toFixed(0)
        }% of 5 min), ` +
        `${summary.requests} requests, ${log.pages} pages, ${applied.steps} steps; minimum ` +
        `${(result.minSequentialMs / 1000).toFixed(1)} s sequential, ${
          (result.minPerConcurrencyMs / 1000).toFixed(1)
        } s /c, ` +
        `${(result.minScheduleMs / 1000).toFixed(1)} s schedule; rows ${rows}/${rig.truth}${
          ok ? "" : "  ← NOT COMPLETE"
        }`,
    );
    if (then) await then(rig, { syncer, store, applied });
    await syncer.close();
  } finally {
    await opened.close();
    await rig.close();
  }
}

interface Steady {
  syncer: TransactionSyncer;
  store: SyncStore;
  applied: Applied;
}

/** Runs after a back-fill: 1 hour later, then each day up to a sweep and one day past it. */
async function steady(rig: Rig, { syncer, store }: Steady): Promise<void> {
  const { emulator, accountId } = rig;
  let truth = rig.truth;
  const runs: Record<string, unknown>[] = [];
  const plan: [string, number][] = [["+1 h", 3600]];
  for (let day = 1; day <= 8; day++) plan.push([`day ${day}`, day === 1 ? DAY_S - 3600 : DAY_S]);
  for (const [label, seconds] of plan) {
    emulator.advanceTime(seconds);
    const fresh = label === "+1 h" ? 2 : 12;
    for (let i = 0; i < fresh; i++) {
      emulator.addTransaction(accountId, {
        amount: -(100 + i),
        created: new Date(emulator.now() - (fresh - i) * 60_000).toISOString(),
      });
    }
    truth += fresh;
    const from = emulator.now();
    const t0 = performance.now();
    const summary = await syncer.sync(accountId);
    const wallMs = performance.now() - t0;
    const log = listings(emulator, accountId, from);
    const rows = await rowCount(store, accountId);
    const run = {
      figure: `steady ${label}`,
      runLabel: label,
      requests: summary.requests,
      pages: log.pages,
      confirms: log.confirms,
      failed: log.failed,
      added: summary.added,
      modified: summary.modified,
      removed: summary.removed,
      newTransactions: fresh,
      rows,
      truth,
      maxSpanDays: Math.round(log.maxSpanDays * 10) / 10,
      windowsFrom: log.windows.map((w) => w.since.slice(0, 10)),
      wallMs: Math.round(wallMs),
    };
    runs.push(run);
    report("sync", { store: "memory", concurrency: 4, latencyMs: LATENCY, ...run });
    console.log(
      `  ${label}: ${summary.requests} requests (${log.pages} pages, ${log.confirms} confirms), ` +
        `+${summary.added} ~${summary.modified} -${summary.removed}, rows ${rows}/${truth}, ` +
        `${(wallMs / 1000).toFixed(1)} s`,
    );
  }
}

/** `syncAll()` right after the login: every open account, as `monzo login --backfill` does. */
async function backfillAll(): Promise<void> {
  const rig = await startRig(DAYS, PER_DAY);
  try {
    const { emulator } = rig;
    emulator.injectFault({ path: "/transactions", delayMs: LATENCY, count: Infinity });
    const store = new MemorySyncStore();
    const syncer = new TransactionSyncer(rig.monzo, store, { now: () => emulator.now() });
    const from = emulator.now();
    const t0 = performance.now();
    const summaries = await syncer.syncAll();
    const wallMs = performance.now() - t0;
    const sinceApprovalMs = emulator.now() - rig.auth.approvedAt!;
    const accounts = [];
    for (const s of summaries) {
      const log = listings(emulator, s.accountId, from);
      accounts.push({
        account: s.accountId === rig.accountId ? "current" : "other",
        added: s.added,
        rows: await rowCount(store, s.accountId),
        requests: s.requests,
        pages: log.pages,
        failed: log.failed,
        maxSpanDays: Math.round(log.maxSpanDays * 10) / 10,
        coverage: s.coverage,
      });
    }
    report("sync", {
      figure: "backfill-all",
      store: "memory",
      concurrency: 4,
      latencyMs: LATENCY,
      truth: rig.truth,
      accounts,
      wallMs: Math.round(wallMs),
      sinceApprovalMs: Math.round(sinceApprovalMs),
      windowShare: sinceApprovalMs / WINDOW_MS,
    });
    console.log(
      `${runtime().name} syncAll: ${(wallMs / 1000).toFixed(1)} s wall, ${
        (sinceApprovalMs / 1000).toFixed(1)
      } s after approval; ` +
        accounts.map((a) =>
          `${a.account}: ${a.rows} rows, ${a.requests} requests, ${
            a.coverage.complete ? "complete" : `partial (${a.coverage.limitedBy})`
          } from ${a.coverage.from?.slice(0, 10)}`
        ).join("; "),
    );
    await syncer.close();
  } finally {
    await rig.close();
  }
}

const part = process.argv[2] ?? "all";
const { name, version } = runtime();
console.log(
  `${name} ${version}: ${DAYS} days × ${PER_DAY} card transactions a day, ${LATENCY} ms per listing`,
);
if (part === "all" || part === "backfill") {
  for (const kind of STORES) {
    for (const concurrency of CONCURRENCY) await backfill(kind, concurrency);
  }
}
if (part === "all" || part === "syncall") await backfillAll();
if (part === "all" || part === "steady") {
  console.log("steady state (memory store, concurrency 4), after a back-fill:");
  await backfill("memory", 4, steady);
}
