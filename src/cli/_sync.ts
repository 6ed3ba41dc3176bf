// `sync`: keeps a SQLite copy of the transactions up to date (TransactionSyncer into a
// SqliteSyncStore), shows its progress, says per account what changed and how far back the copy
// reaches, and can write an atomic CSV snapshot of it. `login --backfill` runs the same thing
// the moment the login is approved, inside Monzo's 5-minute window for the whole history.

import { open } from "node:fs/promises";
import { resolve } from "node:path";
import process from "node:process";
import type { Monzo } from "../monzo.ts";
import { type SqliteDatabase, SqliteSyncStore } from "../sync/sqlite_store.ts";
import { type SyncSummary, TransactionSyncer } from "../sync/syncer.ts";
import type { Coverage, StoredTransaction, SyncProgress, SyncStore } from "../sync/types.ts";
import { MonzoStorageError } from "../errors.ts";
import { replaceFile } from "../handlers/_atomic_file.ts";
import type { Command, OptionSpec, Values } from "./_args.ts";
import { accountId, parseAccount } from "./_commands.ts";
import { CREDENTIALS_OPTION } from "./_config.ts";
import { CliError, UsageError } from "./_errors.ts";
import { type Cell, type Column, formatAmount, printable, toCsv } from "./_format.ts";
import { withProgress } from "./_progress.ts";
import { API_URL_OPTION, openSession } from "./_session.ts";

/** Exit code: synced, but some account's history stops short (log in again within 5 minutes). */
export const EXIT_PARTIAL = 3;
/** Exit code: this runtime has no SQLite (Node before 22.5). */
export const EXIT_NO_SQLITE = 4;

/** Exit codes 3 and 4, which `sync` and `login --backfill` share, for their help texts. */
export const SYNC_EXIT_CODES = `${EXIT_PARTIAL} synced, but an account's history stops short ` +
  "because Monzo's 5-minute window after a login was closed or ran out (run `monzo login " +
  `--backfill --db …\` to read the rest); ${EXIT_NO_SQLITE} this runtime has no SQLite ` +
  "(Node before 22.5: use Node 22.5+, Deno or Bun).";

/** No `node:sqlite` (Node 20): exit code 4, before any request. */
export class MissingSqliteError extends CliError {
  override name = "MissingSqliteError";
}

/** `--db`, for `sync` and `login --backfill`. */
export const DB_OPTION: OptionSpec = {
  type: "string",
  value: "<path>",
  description:
    "The SQLite file that keeps the synced transactions (created with mode 0600 when missing).",
};

/** An open SQLite connection. */
export type Database = SqliteDatabase & { close(): void };

/**
 * Opens (or creates, mode 0600) the SQLite file with the runtime's driver (from
 * {@link sqliteDriver}) and puts the sync store on it. WAL lets readers (a dashboard) in while
 * a sync writes; the busy timeout lets two syncs wait for each other.
 */
export async function openStore(
  path: string,
  Driver: DriverClass,
): Promise<{ db: Database; store: Store }> {
  const handle = await open(path, "a", 0o600).catch((error) => {
    throw new CliError(`Cannot open or create ${printable(path)} (${error?.code ?? error}).`);
  });
  await handle.close();
  let db: Database | undefined;
  try {
    db = new Driver(path);
    db.exec("PRAGMA busy_timeout = 10000");
    db.exec("PRAGMA journal_mode = WAL");
    return { db, store: explained(new SqliteSyncStore(db), path) };
  } catch (error) {
    db?.close();
    const detail = error instanceof Error ? error.message : String(error);
    throw new CliError(`${printable(path)} cannot hold the synced transactions: ${detail}`);
  }
}

/**
 * The store, its SQLite failures (a full disk, a locked file) said as such: the CLI's
 * explanation of a storage error is about the login file.
 */
function explained(store: Store, path: string): Store {
  const wrap = <T>(promise: Promise<T>): Promise<T> =>
    promise.catch((error) => {
      // A stale step is the syncer's to handle (it goes on from the stored cursor).
      if (!(error instanceof MonzoStorageError) || error.code === "sync.stale_step") throw error;
      throw new CliError(`${printable(path)}: ${error.message}`);
    });
  return {
    cursor: (id) => wrap(store.cursor(id)),
    apply: (result) => wrap(store.apply(result)),
    coverage: (id) => wrap(store.coverage(id)),
    transactions: (id, query) => wrap(store.transactions(id, query)),
    merchant: (id) => wrap(store.merchant(id)),
  };
}

/** The sync store as the CLI uses it: the store, and the merchants it keeps. */
export type Store = SyncStore & Pick<SqliteSyncStore, "merchant">;

/** A SQLite driver's connection class. */
export type DriverClass = new (path: string) => Database;

/**
 * The runtime's SQLite driver: `node:sqlite` (Deno, Bun, Node 22.5+). Asked first, before any
 * request: without one (Node 20), a {@link MissingSqliteError}.
 */
export async function sqliteDriver(): Promise<DriverClass> {
  try {
    return (await import("node:sqlite")).DatabaseSync;
  } catch {
    // Node 20 (and Node 22 before 22.13 without --experimental-sqlite) has none.
  }
  throw new MissingSqliteError(
    `This needs SQLite (node:sqlite), which this runtime does not have (Node ` +
      `${process.versions.node}). Run it with Node 22.5 or later, Deno or Bun, for example: ` +
      "deno run -A jsr:@monzo-api/client/cli sync --db monzo.sqlite",
  );
}

/** What one run syncs and how. */
export interface SyncPlan {
  /** The database file, as given (for messages). */
  dbPath: string;
  windowDays?: number;
  sweepEveryDays?: number;
  includePots?: boolean;
}

/**
 * Syncs `accounts` (all of them when undefined) into the store, with a progress line on
 * stderr, then prints a summary per account on stdout. Resolves with the exit code: 3 when an
 * account's history stops short for want of the 5-minute window, else 0.
 */
export async function syncAndReport(
  monzo: Monzo,
  store: Store,
  plan: SyncPlan,
  accounts?: string[],
): Promise<number> {
  const progress = new Progress();
  const syncer = new TransactionSyncer(monzo, store, {
    windowDays: plan.windowDays,
    sweepEveryDays: plan.sweepEveryDays,
    includePots: plan.includePots,
    onProgress: (update) => progress.update(update),
  });
  const summaries: SyncSummary[] = [];
  try {
    await withProgress(() => progress.line(), async () => {
      const ids = accounts ?? await syncer.accounts();
      for (const [i, id] of ids.entries()) {
        progress.start(ids.length > 1 ? ` (${i + 1} of ${ids.length})` : "");
        summaries.push(await syncer.sync(id));
      }
    });
  } finally {
    await syncer.close();
  }
  process.stdout.write(summaries.map((s) => `${summaryLine(s, plan.dbPath)}\n`).join(""));
  return summaries.some((s) => isPartial(s.coverage)) ? EXIT_PARTIAL : 0;
}

/**
 * The progress line: the account, its phase, what was read and the time left in the window.
 * Each step of a sync reports from zero; the line adds the steps of an account up.
 */
class Progress {
  #position = "";
  #last: SyncProgress | undefined;
  #before = { requests: 0, transactions: 0 };

  /** A new account, `(2 of 3)`. */
  start(position: string): void {
    this.#position = position;
    this.#last = undefined;
    this.#before = { requests: 0, transactions: 0 };
  }

  update(progress: SyncProgress): void {
    const last = this.#last;
    if (last && progress.requests < last.requests) {
      this.#before.requests += last.requests;
      this.#before.transactions += last.transactions;
    }
    this.#last = progress;
  }

  line(): string {
    const progress = this.#last;
    if (!progress) return `Syncing${this.#position}`;
    const parts = [`Syncing ${progress.accountId}${this.#position}`];
    if (progress.phase === "history") {
      const done = progress.fraction === null ? "" : ` ${Math.floor(progress.fraction * 100)}%`;
      parts.push(`history${done}`);
    } else parts.push("last 89 days");
    parts.push(
      plural(this.#before.transactions + progress.transactions, "transaction"),
      plural(this.#before.requests + progress.requests, "request"),
    );
    if (progress.msLeft !== undefined) {
      parts.push(`${Math.ceil(progress.msLeft / 1000)} s left in the window`);
    }
    return parts.join(", ");
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** True when the copy stops short for want of the 5-minute window (pots' 90 days are whole). */
function isPartial(coverage: Coverage): boolean {
  return !coverage.complete &&
    (coverage.limitedBy === "history_window" || coverage.limitedBy === "deadline");
}

/** One account's line: the counts, then how far back the copy reaches and why. */
export function summaryLine(summary: SyncSummary, dbPath: string): string {
  const { accountId, added, modified, removed, requests, coverage } = summary;
  const counts = `${accountId}: ${added} added, ${modified} modified, ${removed} removed ` +
    `(${plural(requests, "request")})`;
  const from = coverage.from?.slice(0, 10);
  const again = `run \`monzo login --backfill --db ${shellWord(dbPath)}\``;
  let reach: string;
  if (from === undefined) reach = "nothing read yet";
  else if (coverage.complete) reach = `whole history since ${from}`;
  else if (coverage.limitedBy === "account_type") {
    reach = `from ${from}: a pot's account lists its last 90 days only`;
  } else if (coverage.limitedBy === "deadline") {
    reach = `from ${from}: Monzo's 5-minute window after the login ran out before the older ` +
      `history was read — ${again} to read on from there`;
  } else {
    reach = `from ${from}: Monzo lists older history only in the 5 minutes after you approve ` +
      `a login — ${again} to reopen the window`;
  }
  return printable(`${counts}; ${reach}`);
}

/** A path as one shell word, quoted when it needs to be. */
function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

const CSV_COLUMNS: Column[] = [
  "id",
  "account_id",
  "created",
  "settled",
  "status",
  "amount",
  "currency",
  "description",
  "category",
  "notes",
  "merchant",
].map((header) => ({ header }));

/**
 * Writes the stored transactions of `accounts` (every synced account when undefined), oldest
 * first, as CSV: to a temporary file (0600) beside `path`, flushed to disk, then renamed over
 * it, so a reader sees the old file or the new one, never half of one. Returns the row count.
 */
export async function writeSnapshot(
  db: Database,
  store: Store,
  path: string,
  accounts?: string[],
): Promise<number> {
  const ids = accounts ??
    (db.prepare("SELECT account_id FROM sync_state ORDER BY account_id").all() as {
      account_id: string;
    }[]).map((row) => row.account_id);
  const rows: StoredTransaction[] = [];
  for (const id of ids) rows.push(...await store.transactions(id));
  rows.sort((a, b) => compare(a.created, b.created) || compare(a.id, b.id));
  const merchants = new Map<string, string>();
  const cells: Cell[][] = [];
  for (const row of rows) {
    const { raw } = row;
    cells.push([
      row.id,
      row.accountId,
      row.created,
      raw.settled,
      row.status,
      formatAmount(row.amount, row.currency),
      row.currency,
      raw.description,
      raw.category,
      raw.notes,
      await merchantName(store, raw.merchant, merchants),
    ]);
  }
  await writeAtomically(path, toCsv(CSV_COLUMNS, cells));
  return rows.length;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The merchant's name when the store has it expanded. */
async function merchantName(
  store: Store,
  merchant: unknown,
  cache: Map<string, string>,
): Promise<string> {
  if (merchant && typeof merchant === "object") {
    return String((merchant as { name?: unknown }).name ?? "");
  }
  if (typeof merchant !== "string" || !merchant) return "";
  let name = cache.get(merchant);
  if (name === undefined) {
    name = (await store.merchant(merchant))?.name ?? "";
    cache.set(merchant, name);
  }
  return name;
}

/** The CSV replaces `path` atomically (see `replaceFile`). */
async function writeAtomically(path: string, text: string): Promise<void> {
  try {
    await replaceFile(resolve(path), text);
  } catch (error) {
    throw new CliError(
      `Could not write ${printable(path)}: ${error instanceof Error ? error.message : error}`,
    );
  }
}

/** `--window` and `--sweep`, checked before any request. */
function parseDays(values: Values): { windowDays?: number; sweepEveryDays?: number } {
  const read = (option: string, min: number, max: number, whole: boolean) => {
    const value = values[option];
    if (value === undefined) return undefined;
    const days = Number(value);
    if (
      typeof value !== "string" || value.trim() === "" || !(days >= min && days <= max) ||
      (whole && !Number.isInteger(days))
    ) {
      throw new UsageError(
        `--${option} must be a ${whole ? "whole " : ""}number of days from ${min} to ${max} ` +
          `(got ${value}).`,
      );
    }
    return days;
  };
  return { windowDays: read("window", 1, 89, true), sweepEveryDays: read("sweep", 0, 89, false) };
}

/** `--db`, required. */
export function parseDb(values: Values, command: string): string {
  const db = values.db;
  if (typeof db !== "string" || db === "") {
    throw new UsageError(
      `${command} needs --db <path>, the SQLite file to keep the transactions in (for example ` +
        "--db monzo.sqlite).",
    );
  }
  return db;
}

/** The `sync` command. */
export const syncCommand: Command = {
  spec: {
    name: "sync",
    summary: "Copy your transactions into a SQLite file, then keep it up to date.",
    options: {
      all: {
        type: "boolean",
        description: "Sync every open account (the default).",
      },
      account: {
        type: "string",
        value: "<id|type>",
        description:
          "Sync one account: its id (acc_…, a pot's own account too) or its type (current, joint, business, flex).",
      },
      db: DB_OPTION,
      window: {
        type: "string",
        value: "<days>",
        description: "Days re-read on every run (settlements, backdated payments). Default: 14.",
      },
      sweep: {
        type: "string",
        value: "<days>",
        description: "Days between re-reads of the whole last 89 days (older edits). Default: 7.",
      },
      "include-pots": {
        type: "boolean",
        description: "With --all, also each pot's own account (its last 90 days).",
      },
      csv: {
        type: "string",
        value: "<path>",
        description:
          "Then write every stored transaction of the synced accounts to this CSV file, atomically.",
      },
      credentials: CREDENTIALS_OPTION,
      "api-url": API_URL_OPTION,
    },
    details: [
      "The first run reads the whole history only within 5 minutes of a login's approval; " +
      "`monzo login --backfill --db <path>` starts it at that moment. Later runs fetch new " +
      "transactions and every change (settlements, new amounts, edits, removals).",
      "Exit codes: 0 synced (the whole history, or all a pot's account lists); 1 failed " +
      `(what was committed stays); 2 bad usage; ${SYNC_EXIT_CODES}`,
    ],
  },
  async run(values) {
    const dbPath = parseDb(values, "sync");
    if (values.all && values.account !== undefined) {
      throw new UsageError("Pass --all or --account, not both.");
    }
    const wanted = parseAccount(values);
    if (values["include-pots"] && wanted) {
      throw new UsageError("--include-pots goes with --all (a pot's account: --account acc_…).");
    }
    const days = parseDays(values);
    const csv = typeof values.csv === "string" ? values.csv : undefined;
    if (csv === "") throw new UsageError("--csv needs a file name.");
    const Driver = await sqliteDriver();
    const { monzo } = await openSession(values);
    const { db, store } = await openStore(dbPath, Driver);
    try {
      const accounts = wanted ? [await accountId(monzo, wanted)] : undefined;
      const plan = { dbPath, ...days, includePots: values["include-pots"] === true };
      const code = await syncAndReport(monzo, store, plan, accounts);
      if (csv !== undefined) {
        const count = await writeSnapshot(db, store, csv, accounts);
        process.stderr.write(`Wrote ${count} transactions to ${printable(csv)}.\n`);
      }
      return code;
    } finally {
      db.close();
    }
  },
};
