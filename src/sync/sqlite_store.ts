/**
 * A {@link SyncStore} in SQLite: synced transactions with integer money and Monzo's raw JSON,
 * a change log, expanded merchants, and each account's cursor and coverage, written in the
 * same transaction as the rows, so a crash mid-apply changes nothing and a rerun gives the
 * same store.
 *
 * It takes a database you opened: `node:sqlite`'s `DatabaseSync` (Deno 2.9+, Bun 1.4+,
 * Node 22.13+, or 22.5+ with `--experimental-sqlite`), `bun:sqlite`'s `Database` or
 * better-sqlite3's `Database`, unchanged. It never
 * opens files and never sets pragmas: `PRAGMA journal_mode = WAL` (readers alongside the
 * writer) and `PRAGMA busy_timeout` (several writing processes) are your choice.
 *
 * Tables: `transactions` (one row per id; `raw` is the JSON with the merchant as its id),
 * `transaction_changes` (the log: `seq`, `id`, `account_id`, `at`, `op`, `changed`, `raw`),
 * `merchants`, `sync_state` (cursor and coverage per account) and `sync_meta` (the schema
 * version).
 *
 * @example Keep a copy of every account's transactions in a file
 * ```ts
 * import { DatabaseSync } from "node:sqlite";
 * import type { Monzo } from "@monzo-api/client";
 * import { SqliteSyncStore } from "@monzo-api/client/sync/sqlite";
 * declare const monzo: Monzo;
 * const db = new DatabaseSync("monzo.sqlite");
 * db.exec("PRAGMA journal_mode = WAL");
 * const store = new SqliteSyncStore(db);
 * let result;
 * do {
 *   result = await monzo.transactions.sync("acc_123", { cursor: await store.cursor("acc_123") });
 *   await store.apply(result);
 * } while (result.hasMore);
 * db.close();
 * ```
 *
 * @module
 */

import { MonzoError, MonzoStorageError } from "../errors.ts";
import type { Merchant } from "../models.ts";
import {
  applyPrepared,
  attempt,
  type Backend,
  type ChangeRecord,
  type ChangeRow,
  type ChangesQuery,
  checkAccountId,
  clock,
  prepareResult,
  queryBound,
  queryCount,
  type Row,
  type SyncStoreOptions,
  toChange,
  toStored,
  type TransactionsQuery,
} from "./_store_common.ts";
import type { ApplyCounts, Coverage, StoredTransaction, SyncResult, SyncStore } from "./types.ts";

export type { ChangeRecord, ChangesQuery, SyncStoreOptions, TransactionsQuery };
export type * from "./types.ts";
export type { Attachment, Merchant, MerchantAddress, Transaction } from "../models.ts";

/** The schema version this module writes, kept in `sync_meta`. */
const SCHEMA_VERSION = "1";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sync_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transactions(
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  created TEXT NOT NULL,
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  status TEXT NOT NULL,
  settled TEXT,
  decline_reason TEXT,
  category TEXT,
  notes TEXT,
  description TEXT,
  merchant_id TEXT,
  local_amount INTEGER,
  local_currency TEXT,
  hash TEXT NOT NULL,
  raw TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_changed TEXT NOT NULL,
  removed_at TEXT
);
CREATE INDEX IF NOT EXISTS transactions_by_account ON transactions(account_id, created, id);
CREATE TABLE IF NOT EXISTS transaction_changes(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  at TEXT NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('added', 'modified', 'removed')),
  changed TEXT,
  raw TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS merchants(id TEXT PRIMARY KEY, raw TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sync_state(
  account_id TEXT PRIMARY KEY,
  cursor TEXT NOT NULL,
  coverage TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
INSERT OR IGNORE INTO sync_meta(key, value) VALUES ('schema_version', '${SCHEMA_VERSION}');
`;

const COLUMNS = [
  "id",
  "account_id",
  "created",
  "amount",
  "currency",
  "status",
  "settled",
  "decline_reason",
  "category",
  "notes",
  "description",
  "merchant_id",
  "local_amount",
  "local_currency",
  "hash",
  "raw",
] as const satisfies readonly (keyof Row)[];

const UPSERT = `INSERT INTO transactions(${COLUMNS.join(", ")}, first_seen, last_changed)
  VALUES (${COLUMNS.map(() => "?").join(", ")}, ?, ?)
  ON CONFLICT(id) DO UPDATE SET
    ${COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(", ")},
    last_changed = excluded.last_changed, removed_at = NULL
  WHERE transactions.hash IS NOT excluded.hash OR transactions.removed_at IS NOT NULL`;

/**
 * A prepared statement as {@link SqliteDatabase} returns it: positional `?` parameters
 * (only strings, integers and null are bound), rows as plain objects.
 *
 * @example
 * ```ts
 * import { DatabaseSync } from "node:sqlite";
 * import type { SqliteStatement } from "@monzo-api/client/sync/sqlite";
 * const statement: SqliteStatement = new DatabaseSync(":memory:").prepare("SELECT 1 AS one");
 * console.log(statement.get()); // { one: 1 }
 * ```
 */
export interface SqliteStatement {
  /** Runs a statement that returns no rows; `changes` counts the rows it wrote. */
  run(...params: (string | number | null)[]): { changes: number | bigint };
  /** The first row, or undefined (node:sqlite, better-sqlite3) or null (bun:sqlite). */
  get(...params: (string | number | null)[]): unknown;
  /** Every row. */
  all(...params: (string | number | null)[]): unknown[];
}

/**
 * The part of a SQLite connection the store uses. `node:sqlite`'s `DatabaseSync`,
 * `bun:sqlite`'s `Database` and better-sqlite3's `Database` satisfy it unchanged: the store
 * runs only `exec` (schema, `BEGIN IMMEDIATE`, `COMMIT`, `ROLLBACK`), `run` on writes and
 * `get`/`all` on queries (better-sqlite3 refuses `get`/`all` on writes), binds only strings,
 * integers and null, and reads integers as numbers (leave `safeIntegers`/`readBigInts` off).
 *
 * @example
 * ```ts
 * import { Database } from "bun:sqlite";
 * import type { SqliteDatabase } from "@monzo-api/client/sync/sqlite";
 * const db: SqliteDatabase = new Database("monzo.sqlite");
 * ```
 */
export interface SqliteDatabase {
  /** Runs one or more SQL statements without parameters. */
  exec(sql: string): unknown;
  /** Compiles one statement. */
  prepare(sql: string): SqliteStatement;
}

/**
 * A {@link SyncStore} in a SQLite database you opened. The schema is created on first use
 * (`CREATE TABLE IF NOT EXISTS`); a database written by a newer schema version is refused.
 * Each `apply` is one `BEGIN IMMEDIATE … COMMIT`: rows, change log, merchants, cursor and
 * coverage together, rolled back on any error. Do not call it inside your own transaction on
 * the same connection.
 *
 * @example Read the synced rows for a CSV export
 * ```ts
 * import { DatabaseSync } from "node:sqlite";
 * import { SqliteSyncStore } from "@monzo-api/client/sync/sqlite";
 * const store = new SqliteSyncStore(new DatabaseSync("monzo.sqlite"));
 * for (const row of await store.transactions("acc_123", { since: "2026-01-01T00:00:00Z" })) {
 *   console.log([row.created, row.amount, row.currency, row.status, row.raw.description].join(","));
 * }
 * ```
 */
export class SqliteSyncStore implements SyncStore {
  #db: SqliteDatabase;
  #now: () => string;
  #statements = new Map<string, SqliteStatement>();

  /**
   * Creates the schema if needed and checks its version.
   *
   * @param db An open connection.
   * @param options The clock for the times it records.
   * @throws {MonzoStorageError} When the schema cannot be created or is from a newer version.
   */
  constructor(db: SqliteDatabase, options: SyncStoreOptions = {}) {
    this.#db = db;
    this.#now = clock(options.now);
    if (this.#version() === undefined) {
      this.#transaction("create the sync tables", () => db.exec(SCHEMA));
    }
    const version = this.#version();
    if (version !== SCHEMA_VERSION) {
      throw new MonzoStorageError(
        `The sync tables have schema version ${version}; this library reads ${SCHEMA_VERSION}`,
        { code: "storage.schema_version" },
      );
    }
  }

  /**
   * The cursor stored with the account's rows.
   *
   * @example
   * ```ts
   * import { DatabaseSync } from "node:sqlite";
   * import { SqliteSyncStore } from "@monzo-api/client/sync/sqlite";
   * const store = new SqliteSyncStore(new DatabaseSync(":memory:"));
   * console.log(await store.cursor("acc_123")); // null
   * ```
   *
   * @param accountId The account (`acc_…`).
   * @returns The cursor, or null before the first apply.
   */
  cursor(accountId: string): Promise<string | null> {
    return this.#promise(() => {
      const sql = "SELECT cursor FROM sync_state WHERE account_id = ?";
      return this.#get<{ cursor: string }>(sql, checkAccountId(accountId))?.cursor ?? null;
    });
  }

  /**
   * The coverage stored with the account's rows.
   *
   * @example
   * ```ts
   * import { DatabaseSync } from "node:sqlite";
   * import { SqliteSyncStore } from "@monzo-api/client/sync/sqlite";
   * const store = new SqliteSyncStore(new DatabaseSync("monzo.sqlite"));
   * const coverage = await store.coverage("acc_123");
   * if (coverage && !coverage.complete) console.log(`from ${coverage.from}: ${coverage.limitedBy}`);
   * ```
   *
   * @param accountId The account (`acc_…`).
   * @returns How far back the copy reaches, or null before the first apply.
   */
  coverage(accountId: string): Promise<Coverage | null> {
    return this.#promise(() => {
      const sql = "SELECT coverage FROM sync_state WHERE account_id = ?";
      const row = this.#get<{ coverage: string }>(sql, checkAccountId(accountId));
      return row ? JSON.parse(row.coverage) as Coverage : null;
    });
  }

  /**
   * Applies a result and stores its cursor and coverage in one transaction. Unchanged rows
   * are not written (the upsert's `WHERE transactions.hash IS NOT excluded.hash`), so
   * re-applying a result changes nothing and counts zero; an `added` row already stored with
   * another hash counts as modified; a removal marks `removed_at` once.
   *
   * @example
   * ```ts
   * import { DatabaseSync } from "node:sqlite";
   * import type { SyncResult } from "@monzo-api/client/sync";
   * import { SqliteSyncStore } from "@monzo-api/client/sync/sqlite";
   * declare const result: SyncResult;
   * const store = new SqliteSyncStore(new DatabaseSync("monzo.sqlite"));
   * const { added, modified, removed } = await store.apply(result);
   * console.log(`${added} added, ${modified} modified, ${removed} removed`);
   * ```
   *
   * @param result A step of `monzo.transactions.sync`.
   * @returns What really changed.
   * @throws {MonzoArgumentError} When the result is malformed (nothing is written).
   * @throws {MonzoStorageError} When SQLite fails (everything is rolled back).
   */
  apply(result: SyncResult): Promise<ApplyCounts> {
    return this.#promise(() => {
      const prepared = prepareResult(result);
      const at = this.#now();
      return this.#transaction(
        `apply the sync of ${prepared.accountId}`,
        () => applyPrepared(this.#backend(), prepared, at),
      );
    });
  }

  /**
   * An account's rows, newest first (by `created`, then id), removed ones excluded.
   * `created` is normalized to UTC with milliseconds; `raw` keeps Monzo's text.
   *
   * @example
   * ```ts
   * import { DatabaseSync } from "node:sqlite";
   * import { SqliteSyncStore } from "@monzo-api/client/sync/sqlite";
   * const store = new SqliteSyncStore(new DatabaseSync("monzo.sqlite"));
   * const latest = await store.transactions("acc_123", { limit: 20 });
   * ```
   *
   * @param accountId The account (`acc_…`).
   * @param options `since` (inclusive), `before` (exclusive) and `limit`.
   * @returns The rows.
   */
  transactions(accountId: string, options: TransactionsQuery = {}): Promise<StoredTransaction[]> {
    return this.#promise(() => {
      const params: (string | number)[] = [checkAccountId(accountId)];
      let sql = "SELECT id, account_id, created, amount, currency, status, raw FROM transactions" +
        " WHERE account_id = ? AND removed_at IS NULL";
      const since = queryBound(options.since, "options.since");
      const before = queryBound(options.before, "options.before");
      const limit = queryCount(options.limit, "options.limit", 1);
      if (since !== undefined) {
        sql += " AND created >= ?";
        params.push(since);
      }
      if (before !== undefined) {
        sql += " AND created < ?";
        params.push(before);
      }
      sql += " ORDER BY created DESC, id DESC LIMIT ?";
      params.push(limit ?? -1);
      const rows = this.#statement(sql).all(...params) as (Row & { raw: string })[];
      return rows.map((row) => toStored(row, row.status, row.raw, null));
    });
  }

  /**
   * The change log after a given `seq`, oldest first: what each `apply` really changed. A
   * dashboard polls it for live updates; a CLI appends it to an NDJSON file.
   *
   * @example
   * ```ts
   * import { DatabaseSync } from "node:sqlite";
   * import { SqliteSyncStore } from "@monzo-api/client/sync/sqlite";
   * const store = new SqliteSyncStore(new DatabaseSync("monzo.sqlite"));
   * for (const change of await store.changes({ after: 0, limit: 100 })) {
   *   console.log(change.seq, change.op, change.id, change.changed ?? "");
   * }
   * ```
   *
   * @param options `after`, `accountId` and `limit`.
   * @returns The entries.
   */
  changes(options: ChangesQuery = {}): Promise<ChangeRecord[]> {
    return this.#promise(() => {
      const params: (string | number)[] = [queryCount(options.after, "options.after", 0) ?? 0];
      let sql = "SELECT seq, id, account_id, at, op, changed, raw FROM transaction_changes" +
        " WHERE seq > ?";
      if (options.accountId !== undefined) {
        sql += " AND account_id = ?";
        params.push(checkAccountId(options.accountId));
      }
      sql += " ORDER BY seq LIMIT ?";
      params.push(queryCount(options.limit, "options.limit", 1) ?? -1);
      return (this.#statement(sql).all(...params) as ChangeRow[]).map(
        toChange,
      );
    });
  }

  /**
   * A merchant seen expanded in a synced transaction.
   *
   * @example
   * ```ts
   * import { DatabaseSync } from "node:sqlite";
   * import { SqliteSyncStore } from "@monzo-api/client/sync/sqlite";
   * const store = new SqliteSyncStore(new DatabaseSync("monzo.sqlite"));
   * console.log((await store.merchant("merch_123"))?.name);
   * ```
   *
   * @param id The merchant (`merch_…`).
   * @returns The merchant as last seen, or null.
   */
  merchant(id: string): Promise<Merchant | null> {
    return this.#promise(() => {
      const row = this.#get<{ raw: string }>("SELECT raw FROM merchants WHERE id = ?", id);
      return row ? JSON.parse(row.raw) as Merchant : null;
    });
  }

  #backend(): Backend {
    const upsert = this.#statement(UPSERT);
    const find = "SELECT hash, removed_at, account_id FROM transactions WHERE id = ?";
    return {
      find: (id) => {
        const row = this.#get<{ hash: string; removed_at: string | null; account_id: string }>(
          find,
          id,
        );
        return row
          ? { hash: row.hash, removed: row.removed_at !== null, accountId: row.account_id }
          : undefined;
      },
      cursor: (accountId) =>
        this.#get<{ cursor: string }>(
          "SELECT cursor FROM sync_state WHERE account_id = ?",
          accountId,
        )?.cursor ?? null,
      raw: (id) => this.#get<{ raw: string }>("SELECT raw FROM transactions WHERE id = ?", id)!.raw,
      upsert: (row, at) => changed(upsert.run(...COLUMNS.map((c) => row[c]), at, at)),
      remove: (id, at) =>
        changed(
          this.#statement(
            "UPDATE transactions SET removed_at = ?, last_changed = ? WHERE id = ? AND removed_at IS NULL",
          ).run(at, at, id),
        ),
      log: (entry, raw) =>
        void this.#statement(
          "INSERT INTO transaction_changes(id, account_id, at, op, changed, raw) VALUES (?, ?, ?, ?, ?, ?)",
        ).run(entry.id, entry.accountId, entry.at, entry.op, entry.changed, raw),
      merchant: (id, raw) =>
        void this.#statement(
          "INSERT INTO merchants(id, raw) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET raw = excluded.raw WHERE merchants.raw IS NOT excluded.raw",
        ).run(id, raw),
      state: (accountId, cursor, coverage, at) =>
        void this.#statement(
          "INSERT INTO sync_state(account_id, cursor, coverage, updated_at) VALUES (?, ?, ?, ?)" +
            " ON CONFLICT(account_id) DO UPDATE SET cursor = excluded.cursor," +
            " coverage = excluded.coverage, updated_at = excluded.updated_at" +
            " WHERE sync_state.cursor IS NOT excluded.cursor OR sync_state.coverage IS NOT excluded.coverage",
        ).run(accountId, cursor, coverage, at),
    };
  }

  /** The stored schema version, or undefined before the tables exist. */
  #version(): string | undefined {
    try {
      const exists =
        "SELECT 1 AS yes FROM sqlite_master WHERE type = 'table' AND name = 'sync_meta'";
      if (this.#get(exists) === undefined) return undefined;
      const sql = "SELECT value FROM sync_meta WHERE key = 'schema_version'";
      return this.#get<{ value: string }>(sql)?.value;
    } catch (cause) {
      throw storageError("read the schema version", cause);
    }
  }

  #statement(sql: string): SqliteStatement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #get<T>(sql: string, ...params: (string | number | null)[]): T | undefined {
    return (this.#statement(sql).get(...params) ?? undefined) as T | undefined;
  }

  /** Runs `work` in `BEGIN IMMEDIATE … COMMIT`, rolling back on any error. */
  #transaction<T>(what: string, work: () => T): T {
    try {
      this.#db.exec("BEGIN IMMEDIATE");
    } catch (cause) {
      throw storageError(`${what} (nothing was written)`, cause);
    }
    try {
      const out = work();
      this.#db.exec("COMMIT");
      return out;
    } catch (cause) {
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // SQLite already rolled back (for example after SQLITE_FULL); nothing is left open.
      }
      throw storageError(`${what} (rolled back: nothing was written)`, cause);
    }
  }

  /** Runs synchronous database work as a promise, with SQLite's errors wrapped. */
  #promise<T>(work: () => T): Promise<T> {
    return attempt(() => {
      try {
        return work();
      } catch (cause) {
        throw storageError("read the sync tables", cause);
      }
    });
  }
}

function changed(result: { changes: number | bigint }): boolean {
  return Number(result.changes) > 0;
}

function storageError(what: string, cause: unknown): MonzoError {
  if (cause instanceof MonzoError) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new MonzoStorageError(`SQLite: could not ${what}: ${detail}`, {
    cause,
  });
}
