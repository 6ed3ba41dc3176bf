// Store write throughput: rows per second applying one 10,000-transaction SyncResult (the
// checks, hashes and JSON included) to a fresh database file, in one transaction, per SQLite
// driver of the runtime and journal mode; then the same result again (nothing to write: the
// idempotent re-apply a rerun costs) and a step that modifies every row. MemorySyncStore is
// the reference. Medians of ROUNDS runs (default 5), each on a new file in a temp directory.
//
//   deno run -A bench/sync_store.ts          (node:sqlite)
//   bun bench/sync_store.ts                  (bun:sqlite and node:sqlite)
//   node --import tsx bench/sync_store.ts    (node:sqlite from Node 22.5)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemorySyncStore } from "../src/sync/memory_store.ts";
import { SqliteSyncStore } from "../src/sync/sqlite_store.ts";
import type { SyncResult, SyncStore } from "../src/sync/types.ts";
import { availableDrivers, openDatabase } from "../tests/fixtures/sqlite_drivers.ts";
import { result, transactions } from "../tests/fixtures/sync_results.ts";
import { envNumber, median, report, runtime } from "./_stats.ts";

const ROWS = envNumber("ROWS", 10_000);
const ROUNDS = envNumber("ROUNDS", 5);

const added = result({ added: transactions(0, ROWS), cursor: "c1" });
const modified = result({
  modified: added.added.map((tx) => ({
    transaction: { ...tx, notes: "checked", category: "bills" },
    changed: ["notes", "category"],
  })),
  cursor: "c2",
});

/** Milliseconds to apply each step, in order, to a new store from `open`. */
async function time(open: () => Promise<{ store: SyncStore; close(): void }>) {
  const { store, close } = await open();
  const out: number[] = [];
  for (const step of [added, added, modified] as SyncResult[]) {
    const start = performance.now();
    await store.apply(step);
    out.push(performance.now() - start);
  }
  close();
  return out;
}

const dir = await mkdtemp(join(tmpdir(), "bench-sync-store-"));
const subjects: [string, () => Promise<{ store: SyncStore; close(): void }>][] = [
  ["MemorySyncStore", () => Promise.resolve({ store: new MemorySyncStore(), close() {} })],
];
for (const driver of await availableDrivers()) {
  for (const journal of ["wal", "delete"]) {
    let n = 0;
    subjects.push([`${driver}, file, journal_mode=${journal}`, async () => {
      const db = await openDatabase(driver, join(dir, `${journal}-${n++}.sqlite`));
      db.exec(`PRAGMA journal_mode = ${journal}`);
      return { store: new SqliteSyncStore(db), close: () => db.close() };
    }]);
  }
}

const { name, version } = runtime();
console.log(`${name} ${version}: ${ROWS} transactions per apply, median of ${ROUNDS} rounds`);
const rows: Record<string, unknown>[] = [];
try {
  await time(subjects[subjects.length - 1][1]); // warm-up
  for (const [subject, open] of subjects) {
    const runs: number[][] = [];
    for (let i = 0; i < ROUNDS; i++) runs.push(await time(open));
    const [insert, again, modify] = [0, 1, 2].map((k) => median(runs.map((run) => run[k])));
    const perSecond = (ms: number) => Math.round(ROWS / (ms / 1000));
    rows.push({
      subject,
      insertRowsPerS: perSecond(insert),
      reapplyRowsPerS: perSecond(again),
      modifyRowsPerS: perSecond(modify),
    });
    console.log(
      `${subject.padEnd(40)} insert ${perSecond(insert).toLocaleString("en")} rows/s (${
        insert.toFixed(0)
      } ms)` +
        ` · re-apply ${perSecond(again).toLocaleString("en")} rows/s` +
        ` · modify ${perSecond(modify).toLocaleString("en")} rows/s`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
report("sync_store", { rows: ROWS, rounds: ROUNDS, results: rows });
