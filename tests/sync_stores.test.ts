// The sync stores: MemorySyncStore, and SqliteSyncStore over every SQLite driver the running
// runtime has (node:sqlite under Deno, Bun and Node 22.5+; bun:sqlite under Bun; none on
// Node 20, where the SQLite tests skip). Re-applying changes nothing; the change log records
// added → modified → removed with the changed fields; bad input is refused before any write;
// a SQLite error late in a result rolls everything back; a SIGKILL in the middle of an apply
// (a child process on a real file) leaves the previous cursor and rows, and a rerun gives a
// store identical to a clean run (every table dumped, with the store's clock fixed).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { MonzoArgumentError, MonzoStorageError } from "../src/errors.ts";
import type { Transaction } from "../src/models.ts";
import { MemorySyncStore } from "../src/sync/memory_store.ts";
import { type SqliteDatabase, SqliteSyncStore } from "../src/sync/sqlite_store.ts";
import type { SyncResult } from "../src/sync/types.ts";
import {
  availableDrivers,
  type Connection,
  type Driver,
  dump,
  openDatabase,
} from "./fixtures/sqlite_drivers.ts";
import {
  ACCOUNT,
  crashSteps,
  result,
  transaction,
  transactions,
  txId,
} from "./fixtures/sync_results.ts";

// better-sqlite3 is not installed. Its documented API (README "API" and @types/better-sqlite3:
// Database#exec(source) returns the database, Statement#run(...params) returns { changes:
// number, lastInsertRowid: number | bigint }, #get a row or undefined, #all an array; get/all
// throw on statements that return no data, which the store never asks of them) must satisfy
// SqliteDatabase unchanged; `deno check` of this file proves it.
interface BetterSqlite3Database {
  exec(source: string): this;
  prepare(source: string): {
    run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
  };
}
void ((db: BetterSqlite3Database): SqliteDatabase => db);

const drivers = await availableDrivers();
const noSqlite = drivers.length === 0 ? "no SQLite driver in this runtime (Node 20)" : false;
const T1 = Date.parse("2026-02-01T12:00:00Z");
const T2 = Date.parse("2026-03-02T07:00:00Z");

type Store = MemorySyncStore | SqliteSyncStore;

/** A store under test: a MemorySyncStore, or a SqliteSyncStore on an in-memory database. */
interface Subject {
  name: string;
  open(now: () => number): Promise<{ store: Store; db?: Connection }>;
}

const subjects: Subject[] = [
  {
    name: "MemorySyncStore",
    open: (now) => Promise.resolve({ store: new MemorySyncStore({ now }) }),
  },
  ...drivers.map((driver): Subject => ({
    name: `SqliteSyncStore (${driver})`,
    async open(now) {
      const db = await openDatabase(driver, ":memory:");
      return { store: new SqliteSyncStore(db, { now }), db };
    },
  })),
];

/** Everything a store shows through its API (and, for SQLite, every table). */
async function snapshot(store: Store, db?: Connection): Promise<unknown> {
  return {
    cursor: await store.cursor(ACCOUNT),
    coverage: await store.coverage(ACCOUNT),
    transactions: await store.transactions(ACCOUNT),
    changes: await store.changes(),
    tables: db === undefined ? null : dump(db),
  };
}

/** A clock the test moves. */
function movable(start: number): { now: () => number; set(ms: number): void } {
  let ms = start;
  return { now: () => ms, set: (next) => void (ms = next) };
}

for (const subject of subjects) {
  test(`${subject.name}: applying a result twice changes nothing`, async () => {
    const clock = movable(T1);
    const { store, db } = await subject.open(clock.now);
    const [first, second] = crashSteps(200);
    assert.deepEqual(await store.apply(first), { added: 200, modified: 0, removed: 0 });
    const once = await snapshot(store, db);
    clock.set(T2); // a later run: still nothing may change
    assert.deepEqual(await store.apply(first), { added: 0, modified: 0, removed: 0 });
    assert.deepEqual(await snapshot(store, db), once);

    const counts = await store.apply(second);
    const pending = first.added.filter((tx) => tx.settled === "" && !tx.decline_reason).length;
    assert.deepEqual(counts, { added: 200, modified: pending + 1, removed: 2 });
    const twice = await snapshot(store, db);
    clock.set(T2 + 86_400_000);
    assert.deepEqual(await store.apply(second), { added: 0, modified: 0, removed: 0 });
    assert.deepEqual(
      await store.apply(first),
      { added: 2, modified: pending + 1, removed: 0 },
      "the old content is a change again; the removed rows come back",
    );
    assert.equal(await store.cursor(ACCOUNT), "cursor-1");
    assert.notDeepEqual(await snapshot(store, db), twice);
    db?.close();
  });

  test(`${subject.name}: a step from a cursor the store no longer holds is refused, nothing written`, async () => {
    const { store, db } = await subject.open(() => T1);
    const coffee = transaction(1);
    const hold = transaction(9);
    await store.apply(result({ added: [coffee], cursor: "c1", previousCursor: null }));
    await store.apply(
      result({ added: [{ ...hold, amount: -6500 }], cursor: "c2", previousCursor: "c1" }),
    );
    const before = await snapshot(store, db);
    // A step computed from c1 by another instance, with the hold's older amount.
    const stale = result({ added: [hold], cursor: "c2'", previousCursor: "c1" });
    await assert.rejects(
      store.apply(stale),
      (error: unknown) => error instanceof MonzoStorageError && error.code === "sync.stale_step",
    );
    assert.deepEqual(await snapshot(store, db), before);
    // Re-applying the step the store holds is still harmless.
    const again = result({
      added: [{ ...hold, amount: -6500 }],
      cursor: "c2",
      previousCursor: "c1",
    });
    assert.deepEqual(await store.apply(again), { added: 0, modified: 0, removed: 0 });
    db?.close();
  });

  test(`${subject.name}: added → modified → removed, with the changed fields, in the log`, async () => {
    const clock = movable(T1);
    const { store, db } = await subject.open(clock.now);
    const preauth = transaction(9); // a pending card payment (a pre-authorisation)
    assert.equal(preauth.settled, "");
    const coffee = transaction(1);
    assert.deepEqual(
      await store.apply(result({ added: [preauth, coffee], cursor: "c1" })),
      { added: 2, modified: 0, removed: 0 },
    );
    clock.set(T1 + 9 * 86_400_000);
    const settled = { ...preauth, amount: -23_456, settled: "2026-02-10T09:00:00.000Z" };
    const edited = { ...coffee, notes: "lunch with Sam" };
    const counts = await store.apply(result({
      added: [coffee, edited], // coffee as stored: not counted; then edited: a modification
      modified: [{ transaction: settled, changed: ["amount", "settled"] }],
      cursor: "c2",
    }));
    assert.deepEqual(counts, { added: 0, modified: 2, removed: 0 });
    clock.set(T1 + 20 * 86_400_000);
    const removal = result({ removed: [{ id: preauth.id, accountId: ACCOUNT }], cursor: "c3" });
    assert.deepEqual(await store.apply(removal), { added: 0, modified: 0, removed: 1 });
    assert.deepEqual(await store.apply(removal), { added: 0, modified: 0, removed: 0 }, "once");
    const gone = result({ removed: [{ id: txId(999), accountId: ACCOUNT }], cursor: "c3" });
    assert.deepEqual(await store.apply(gone), { added: 0, modified: 0, removed: 0 }, "unknown id");

    const log = (await store.changes()).map(({ seq, id, op, changed, at, transaction }) => ({
      seq,
      id,
      op,
      changed,
      at,
      amount: transaction.amount,
    }));
    const day = (d: number) => new Date(T1 + d * 86_400_000).toISOString();
    assert.deepEqual(log, [
      { seq: 1, id: preauth.id, op: "added", changed: null, at: day(0), amount: preauth.amount },
      { seq: 2, id: coffee.id, op: "added", changed: null, at: day(0), amount: coffee.amount },
      {
        seq: 3,
        id: coffee.id,
        op: "modified",
        changed: ["notes"],
        at: day(9),
        amount: coffee.amount,
      },
      {
        seq: 4,
        id: preauth.id,
        op: "modified",
        changed: ["amount", "settled"],
        at: day(9),
        amount: -23_456,
      },
      { seq: 5, id: preauth.id, op: "removed", changed: null, at: day(20), amount: -23_456 },
    ]);
    assert.deepEqual((await store.changes({ after: 3, limit: 1 })).map((c) => c.seq), [4]);
    assert.deepEqual(await store.changes({ accountId: "acc_other" }), []);
    const rows = await store.transactions(ACCOUNT);
    assert.deepEqual(rows.map((row) => [row.id, row.raw.notes, row.status]), [
      [coffee.id, "lunch with Sam", "settled"],
    ]);

    // A removed transaction that comes back is added again.
    assert.deepEqual(
      await store.apply(result({ added: [settled], cursor: "c4" })),
      { added: 1, modified: 0, removed: 0 },
    );
    assert.equal((await store.changes({ after: 5 }))[0].op, "added");
    assert.equal((await store.transactions(ACCOUNT)).length, 2);
    db?.close();
  });

  test(`${subject.name}: bad input is refused with a typed error before anything is written`, async () => {
    const { store, db } = await subject.open(() => T1);
    await store.apply(result({ added: transactions(0, 20), cursor: "good" }));
    const before = await snapshot(store, db);
    const late = (patch: Partial<Transaction>) =>
      result({ added: [...transactions(20, 30), transaction(50, patch)], cursor: "bad" });
    const cases: [unknown, string][] = [
      [late({ amount: 12.5 }), "result.added[30].amount"],
      [late({ amount: "-350" as unknown as number }), "result.added[30].amount"],
      [late({ id: undefined as unknown as string }), "result.added[30].id"],
      [late({ created: "yesterday" }), "result.added[30].created"],
      [late({ currency: undefined as unknown as string }), "result.added[30].currency"],
      [late({ account_id: "acc_someone_else" }), "result.added[30].account_id"],
      [late({ local_amount: 1.5 }), "result.added[30].local_amount"],
      [late({ metadata: { n: 1n } as unknown as Record<string, string> }), "result.added[30]"],
      [{ ...late({}), cursor: undefined }, "result.cursor"],
      [{ ...late({}), accountId: "" }, "result.accountId"],
      [{ ...late({}), coverage: { from: "2026", complete: true } }, "result.coverage.from"],
      [{ ...late({}), coverage: { from: null, complete: "yes" } }, "result.coverage.complete"],
      [
        { ...late({}), modified: [{ transaction: { id: "tx_1" } }] },
        "result.modified[0].transaction.amount",
      ],
      [
        { ...late({}), removed: [{ id: "tx_1", accountId: "acc_x" }] },
        "result.removed[0].accountId",
      ],
      [{ ...late({}), added: "none" }, "result.added"],
      [null, "result"],
    ];
    for (const [bad, argument] of cases) {
      await assert.rejects(store.apply(bad as SyncResult), (error: unknown) => {
        assert.ok(error instanceof MonzoArgumentError, String(error));
        assert.equal(error.argument, argument);
        assert.equal(error.code, "argument.invalid");
        return true;
      });
    }
    assert.deepEqual(await snapshot(store, db), before);
    assert.equal(await store.cursor(ACCOUNT), "good");
    await assert.rejects(store.transactions(ACCOUNT, { limit: 0 }), MonzoArgumentError);
    await assert.rejects(store.transactions(ACCOUNT, { since: "last week" }), MonzoArgumentError);
    await assert.rejects(store.cursor(""), MonzoArgumentError);
    db?.close();
  });

  test(`${subject.name}: reads: newest first, since/before/limit, coverage, raw and merchants`, async () => {
    const { store, db } = await subject.open(() => T1);
    assert.equal(await store.cursor(ACCOUNT), null);
    assert.equal(await store.coverage(ACCOUNT), null);
    const offset = { ...transaction(30), created: "2026-01-05T23:30:00.5+01:00" }; // 22:30:00.500Z
    const big = { ...transaction(32), amount: -9_007_199_254_740_991, future_field: { x: [1] } };
    const coverage = { from: "2025-01-05T00:00:00Z", complete: true };
    await store.apply(
      result({
        added: [...transactions(0, 30), offset, big, transaction(49)],
        cursor: "c",
        coverage,
      }),
    );
    assert.deepEqual(await store.coverage(ACCOUNT), coverage);

    const all = await store.transactions(ACCOUNT);
    assert.equal(all.length, 33);
    const keys = all.map((row) => [row.created, row.id]);
    assert.deepEqual(keys, [...keys].sort().reverse(), "newest first");
    const shifted = all.find((row) => row.id === offset.id)!;
    assert.equal(shifted.created, "2026-01-05T22:30:00.500Z");
    assert.equal(shifted.raw.created, offset.created, "raw keeps Monzo's text");
    const since = "2026-01-05T12:00:00Z";
    const before = "2026-01-05T20:00:00.000Z";
    const range = await store.transactions(ACCOUNT, { since, before: new Date(before) });
    assert.ok(range.length > 3);
    assert.ok(
      range.every((row) => row.created >= "2026-01-05T12:00:00.000Z" && row.created < before),
    );
    assert.deepEqual(
      range,
      all.filter((row) => row.created >= "2026-01-05T12:00:00.000Z" && row.created < before),
    );
    assert.deepEqual(await store.transactions(ACCOUNT, { limit: 3 }), all.slice(0, 3));
    assert.deepEqual(await store.transactions("acc_other"), []);

    const stored = all.find((row) => row.id === big.id)!;
    assert.equal(stored.amount, -9_007_199_254_740_991);
    assert.deepEqual(stored.raw.future_field, { x: [1] });
    assert.equal(typeof stored.raw.merchant, "string", "the merchant is kept as its id");
    const shop = transaction(32).merchant as { id: string; name: string };
    assert.equal(stored.raw.merchant, shop.id);
    assert.equal((await store.merchant(shop.id))?.name, shop.name);
    assert.equal(await store.merchant("merch_unknown"), null);
    const declined = all.find((row) => row.id === txId(49))!;
    assert.equal(declined.status, "declined");
    assert.equal(all.find((row) => row.id === txId(9))!.status, "pending");
    assert.equal(all.find((row) => row.id === txId(3))!.status, "settled");
    if (db) {
      const types = db.prepare(
        "SELECT DISTINCT typeof(amount) AS t FROM transactions UNION SELECT DISTINCT typeof(local_amount) FROM transactions",
      ).all() as { t: string }[];
      assert.deepEqual(types.map((row) => row.t), ["integer"]);
    }
    db?.close();
  });
}

test(
  "MemorySyncStore and SqliteSyncStore count and log the same changes",
  { skip: noSqlite },
  async () => {
    const memory = new MemorySyncStore({ now: () => T1 });
    const db = await openDatabase(drivers[0], ":memory:");
    const sqlite = new SqliteSyncStore(db, { now: () => T1 });
    const [first, second] = crashSteps(300);
    const third = result({
      added: [transaction(5), { ...transaction(7), category: "shopping" }],
      removed: [{ id: txId(5), accountId: ACCOUNT }, { id: txId(400), accountId: ACCOUNT }],
      cursor: "cursor-3",
    });
    for (const step of [first, second, second, third, first]) {
      assert.deepEqual(await sqlite.apply(step), await memory.apply(step));
    }
    assert.deepEqual(await sqlite.changes(), await memory.changes());
    assert.deepEqual(await sqlite.transactions(ACCOUNT), await memory.transactions(ACCOUNT));
    assert.equal(await sqlite.cursor(ACCOUNT), await memory.cursor(ACCOUNT));
    db.close();
  },
);

for (const driver of drivers) {
  test(`SqliteSyncStore (${driver}): a SQLite error late in a result rolls everything back`, async () => {
    const db = await openDatabase(driver, ":memory:");
    const store = new SqliteSyncStore(db, { now: () => T1 });
    const [first, second] = crashSteps(300);
    await store.apply(first);
    const before = dump(db);
    const late = second.added.at(-2)!.id;
    db.exec(`CREATE TRIGGER fail BEFORE INSERT ON transactions WHEN NEW.id = '${late}'
      BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
    const withTrigger = dump(db);
    await assert.rejects(store.apply(second), (error: unknown) => {
      assert.ok(error instanceof MonzoStorageError, String(error));
      assert.match(error.message, /rolled back: nothing was written.*disk on fire/);
      return true;
    });
    assert.deepEqual(dump(db), withTrigger);
    assert.equal(await store.cursor(ACCOUNT), "cursor-1");
    db.exec("DROP TRIGGER fail");
    assert.deepEqual(dump(db), before);
    // The connection is usable and not left inside a transaction.
    await store.apply(second);
    const clean = await openDatabase(driver, ":memory:");
    const cleanStore = new SqliteSyncStore(clean, { now: () => T1 });
    await cleanStore.apply(first);
    await cleanStore.apply(second);
    assert.deepEqual(dump(db), dump(clean));
    db.close();
    clean.close();
  });

  test(`SqliteSyncStore (${driver}): another writer holding the file: a typed error, nothing written`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "sync-busy-"));
    try {
      const path = join(dir, "monzo.sqlite");
      const writer = await openDatabase(driver, path);
      const db = await openDatabase(driver, path);
      const store = new SqliteSyncStore(db, { now: () => T1 });
      const [first, second] = crashSteps(20);
      await store.apply(first);
      const before = dump(db);
      writer.exec("BEGIN IMMEDIATE");
      await assert.rejects(store.apply(second), (error: unknown) => {
        assert.ok(error instanceof MonzoStorageError, String(error));
        assert.match(error.message, /nothing was written/);
        return true;
      });
      writer.exec("ROLLBACK");
      assert.deepEqual(dump(db), before);
      assert.equal((await store.apply(second)).added, 20);
      writer.close();
      db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test(`SqliteSyncStore (${driver}): the schema is created once, kept, and versioned`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "sync-schema-"));
    try {
      const path = join(dir, "monzo.sqlite");
      const db = await openDatabase(driver, path);
      await new SqliteSyncStore(db, { now: () => T1 }).apply(crashSteps(10)[0]);
      db.close();
      const again = await openDatabase(driver, path);
      const store = new SqliteSyncStore(again);
      assert.equal(await store.cursor(ACCOUNT), "cursor-1");
      assert.equal((await store.transactions(ACCOUNT)).length, 10);
      again.exec("UPDATE sync_meta SET value = '2' WHERE key = 'schema_version'");
      assert.throws(() => new SqliteSyncStore(again), (error: unknown) => {
        assert.ok(error instanceof MonzoStorageError);
        assert.equal(error.code, "storage.schema_version");
        return true;
      });
      again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  for (const journal of ["wal", "delete"]) {
    test(`SqliteSyncStore (${driver}, journal_mode=${journal}): SIGKILL mid-apply keeps the previous cursor and rows; a rerun equals a clean run`, async () => {
      const count = 3000;
      const [first, second] = crashSteps(count);
      const dir = await mkdtemp(join(tmpdir(), "sync-crash-"));
      try {
        const path = join(dir, "monzo.sqlite");
        const db = await openDatabase(driver, path);
        db.exec(`PRAGMA journal_mode = ${journal}`);
        await new SqliteSyncStore(db, { now: () => T1 }).apply(first);
        const afterFirst = dump(db);
        db.close();

        const output = await killMidApply(driver, path, count, count);
        assert.equal(output, "mid\n", "killed inside the transaction, after thousands of writes");
        const leftover = journal === "wal" ? `${path}-wal` : `${path}-journal`;
        assert.ok((await stat(leftover)).size > 0, "the killed apply had written to disk");

        const reopened = await openDatabase(driver, path);
        assert.deepEqual(dump(reopened), afterFirst, "nothing of the killed apply is visible");
        const store = new SqliteSyncStore(reopened, { now: () => T2 });
        assert.equal(await store.cursor(ACCOUNT), "cursor-1");
        const counts = await store.apply(second);
        assert.equal(counts.added, count);
        const clean = await openDatabase(driver, ":memory:");
        await new SqliteSyncStore(clean, { now: () => T1 }).apply(first);
        await new SqliteSyncStore(clean, { now: () => T2 }).apply(second);
        assert.deepEqual(dump(reopened), dump(clean), "the rerun gives the clean run's store");
        assert.equal(await store.cursor(ACCOUNT), "cursor-2");
        reopened.close();
        clean.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
}

/** Runs the crash child on `path` and SIGKILLs it once it says it is mid-transaction. */
function killMidApply(driver: Driver, path: string, count: number, pauseAfter: number) {
  const script = fileURLToPath(new URL("./fixtures/sync_store_crash.ts", import.meta.url));
  const args = [script, driver, path, String(count), String(pauseAfter)];
  const argv = "Deno" in globalThis
    ? ["run", "-A", ...args]
    : "Bun" in globalThis
    ? args
    : ["--import", "tsx", ...args];
  const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (stdout.includes("mid\n")) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(stdout);
      else reject(new Error(`the child exited (${code}) before the kill: ${stdout}${stderr}`));
    });
  });
}
