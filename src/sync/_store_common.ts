// What MemorySyncStore and SqliteSyncStore share: checking a SyncResult before anything is
// written, turning transactions into rows, and the one apply algorithm both run, so that the
// two stores count and log exactly the same changes.
import { MonzoArgumentError, MonzoStorageError } from "../errors.ts";
import type { Merchant, Transaction } from "../models.ts";
import { contentHash, TRACKED_FIELDS, transactionStatus, withMerchantId } from "./fingerprint.ts";
import type { ApplyCounts, Coverage, StoredTransaction, SyncResult } from "./types.ts";

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const LIMITS = new Set(["history_window", "deadline", "account_type"]);

/**
 * One entry of a store's change log: what `apply` really changed, in order.
 *
 * @example
 * ```ts
 * import type { ChangeRecord } from "@monzo-api/client/sync/sqlite";
 * declare const change: ChangeRecord;
 * if (change.op === "modified") console.log(change.id, change.changed?.join(", "));
 * ```
 */
export interface ChangeRecord {
  /** Position in the log: increases by one per change, never reused. */
  seq: number;
  /** The transaction (`tx_…`). */
  id: string;
  /** Its account (`acc_…`). */
  accountId: string;
  /** RFC 3339: when the store applied it (the store's clock). */
  at: string;
  /** `added` (new, or back after a removal), `modified` or `removed`. */
  op: "added" | "modified" | "removed";
  /** For `modified`, the top-level fields that differ from the stored row (`other` if none of the tracked ones); null otherwise. */
  changed: string[] | null;
  /** The transaction after the change (for `removed`, as it was last stored; merchant as its id). */
  transaction: Transaction;
}

/**
 * Which part of the change log to read: entries after `after`, oldest first.
 *
 * @example
 * ```ts
 * import type { ChangesQuery } from "@monzo-api/client/sync/sqlite";
 * const query: ChangesQuery = { after: 120, accountId: "acc_123", limit: 500 };
 * ```
 */
export interface ChangesQuery {
  /**
   * Only entries with a larger `seq` (the last `seq` you saw).
   * @default 0
   */
  after?: number;
  /** Only this account's entries; all accounts when absent. */
  accountId?: string;
  /** At most this many entries; all when absent. */
  limit?: number;
}

/**
 * Which of an account's rows `transactions` returns (newest first, removed rows excluded).
 *
 * @example
 * ```ts
 * import type { TransactionsQuery } from "@monzo-api/client/sync/sqlite";
 * const march: TransactionsQuery = { since: "2026-03-01T00:00:00Z", before: "2026-04-01T00:00:00Z" };
 * ```
 */
export interface TransactionsQuery {
  /** RFC 3339 or a Date: rows created at or after it. */
  since?: string | Date;
  /** RFC 3339 or a Date: rows created strictly before it. */
  before?: string | Date;
  /** At most this many rows (a whole number ≥ 1); all when absent. */
  limit?: number;
}

/**
 * Options of both stores.
 *
 * @example
 * ```ts
 * import type { SyncStoreOptions } from "@monzo-api/client/sync/sqlite";
 * const options: SyncStoreOptions = { now: () => Date.parse("2026-06-01T09:00:00Z") };
 * ```
 */
export interface SyncStoreOptions {
  /**
   * The clock for the times the store writes (`first_seen`, `last_changed`, `removed_at`,
   * the change log's `at`, the state's `updated_at`), in epoch ms. Fix it to compare stores.
   * @default Date.now
   */
  now?: () => number;
}

/** A transaction as both stores keep it; `raw` is JSON with the merchant as its id. */
export interface Row {
  id: string;
  account_id: string;
  /** UTC with milliseconds (`toISOString`), so that text order is time order. */
  created: string;
  amount: number;
  currency: string;
  status: string;
  /** null while pending. */
  settled: string | null;
  decline_reason: string | null;
  category: string | null;
  notes: string | null;
  description: string | null;
  merchant_id: string | null;
  local_amount: number | null;
  local_currency: string | null;
  hash: string;
  raw: string;
}

/** A checked result, ready to write: rows in order, merchants, removals and the state. */
export interface Prepared {
  accountId: string;
  rows: Row[];
  merchants: { id: string; raw: string }[];
  removed: string[];
  cursor: string;
  /** The cursor the step started from; undefined when the result does not say. */
  previousCursor: string | null | undefined;
  coverage: string;
}

/** What the apply algorithm needs from a store, inside its transaction. */
export interface Backend {
  /** The stored row's hash and whether it is marked removed, or undefined. */
  find(id: string): { hash: string; removed: boolean; accountId: string } | undefined;
  /** The account's stored cursor, or null. */
  cursor(accountId: string): string | null;
  /** The stored row's raw JSON (called only for a row that exists). */
  raw(id: string): string;
  /** Inserts or updates (un-removing) the row unless it is stored unchanged; true if written. */
  upsert(row: Row, at: string): boolean;
  /** Marks the row removed unless it already is; true if written. */
  remove(id: string, at: string): boolean;
  /** Appends a change-log entry. */
  log(
    entry: { id: string; accountId: string; at: string; op: string; changed: string | null },
    raw: string,
  ): void;
  /** Stores an expanded merchant unless stored unchanged. */
  merchant(id: string, raw: string): void;
  /** Stores the cursor and coverage unless both are stored unchanged. */
  state(accountId: string, cursor: string, coverage: string, at: string): void;
}

/** Runs a checked result against a store; the caller holds the transaction. */
export function applyPrepared(backend: Backend, prepared: Prepared, at: string): ApplyCounts {
  const { accountId, previousCursor, cursor } = prepared;
  if (previousCursor !== undefined) {
    const stored = backend.cursor(accountId);
    if (stored !== previousCursor && stored !== cursor) {
      throw new MonzoStorageError(
        `Another sync of ${accountId} committed first; this step was computed from an older ` +
          "cursor and is not applied (nothing was written). Sync again from the stored cursor.",
        { code: "sync.stale_step" },
      );
    }
  }
  const counts: ApplyCounts = { added: 0, modified: 0, removed: 0 };
  for (const row of prepared.rows) {
    const before = backend.find(row.id);
    const live = before !== undefined && !before.removed;
    const oldRaw = live && before.hash !== row.hash ? backend.raw(row.id) : undefined;
    if (!backend.upsert(row, at)) continue;
    if (oldRaw === undefined) {
      counts.added++;
      backend.log(
        { id: row.id, accountId: row.account_id, at, op: "added", changed: null },
        row.raw,
      );
    } else {
      counts.modified++;
      const changed = JSON.stringify(changedFields(oldRaw, row.raw));
      backend.log({ id: row.id, accountId: row.account_id, at, op: "modified", changed }, row.raw);
    }
  }
  for (const merchant of prepared.merchants) backend.merchant(merchant.id, merchant.raw);
  for (const id of prepared.removed) {
    const before = backend.find(id);
    if (before === undefined || before.accountId !== prepared.accountId) continue;
    if (!backend.remove(id, at)) continue;
    counts.removed++;
    const entry = { id, accountId: prepared.accountId, at, op: "removed", changed: null };
    backend.log(entry, backend.raw(id));
  }
  backend.state(prepared.accountId, prepared.cursor, prepared.coverage, at);
  return counts;
}

/** The tracked fields whose values differ between two raw JSON texts; `["other"]` if none. */
function changedFields(before: string, after: string): string[] {
  const a = JSON.parse(before) as Record<string, unknown>;
  const b = JSON.parse(after) as Record<string, unknown>;
  const changed = TRACKED_FIELDS.filter((field) =>
    JSON.stringify(a[field] ?? null) !== JSON.stringify(b[field] ?? null)
  );
  return changed.length > 0 ? changed : ["other"];
}

/** Checks a whole result and builds its rows; throws MonzoArgumentError before any write. */
export function prepareResult(result: SyncResult): Prepared {
  const value = result as unknown as Record<string, unknown>;
  if (typeof result !== "object" || result === null || Array.isArray(result)) {
    throw new MonzoArgumentError("result", "must be a SyncResult object");
  }
  const accountId = checkString(value.accountId, "result.accountId");
  const added = checkArray(value.added, "result.added");
  const modified = checkArray(value.modified, "result.modified");
  const removed = checkArray(value.removed, "result.removed");
  const cursor = checkString(value.cursor, "result.cursor");
  const previousCursor = value.previousCursor;
  if (
    previousCursor !== undefined && previousCursor !== null && typeof previousCursor !== "string"
  ) {
    throw new MonzoArgumentError("result.previousCursor", "must be a string, null or absent");
  }
  const coverage = checkCoverage(value.coverage, "result.coverage");
  const rows: Row[] = [];
  const merchants = new Map<string, string>();
  const take = (tx: unknown, name: string) => {
    const row = toRow(tx, name, accountId);
    rows.push(row);
    const merchant = (tx as Transaction).merchant;
    if (merchant !== null && typeof merchant === "object") {
      merchants.set(merchant.id, json(merchant as Merchant, `${name}.merchant`));
    }
  };
  added.forEach((tx, i) => take(tx, `result.added[${i}]`));
  modified.forEach((entry, i) => {
    const name = `result.modified[${i}]`;
    if (typeof entry !== "object" || entry === null) {
      throw new MonzoArgumentError(name, "must be { transaction, changed }");
    }
    take((entry as Record<string, unknown>).transaction, `${name}.transaction`);
  });
  const removedIds = removed.map((entry, i) => {
    const name = `result.removed[${i}]`;
    const item = (entry ?? {}) as Record<string, unknown>;
    const id = checkString(item.id, `${name}.id`);
    if (item.accountId !== accountId) {
      throw new MonzoArgumentError(
        `${name}.accountId`,
        `must be the result's account (${accountId})`,
      );
    }
    return id;
  });
  return {
    accountId,
    rows,
    merchants: [...merchants].map(([id, raw]) => ({ id, raw })),
    removed: removedIds,
    cursor,
    previousCursor,
    coverage,
  };
}

function toRow(value: unknown, name: string, accountId: string): Row {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MonzoArgumentError(name, "must be a transaction object");
  }
  const tx = value as Transaction;
  const id = checkString(tx.id, `${name}.id`);
  if (!Number.isSafeInteger(tx.amount)) {
    throw new MonzoArgumentError(`${name}.amount`, "must be an integer of minor units (pence)");
  }
  const currency = checkString(tx.currency, `${name}.currency`);
  const created = checkInstant(tx.created, `${name}.created`);
  if (tx.account_id !== undefined && tx.account_id !== accountId) {
    throw new MonzoArgumentError(
      `${name}.account_id`,
      `must be the result's account (${accountId})`,
    );
  }
  const local = tx.local_amount;
  if (local !== undefined && local !== null && !Number.isSafeInteger(local)) {
    throw new MonzoArgumentError(`${name}.local_amount`, "must be an integer of minor units");
  }
  const merchant = tx.merchant;
  const merchantId = merchant !== null && typeof merchant === "object"
    ? checkString(merchant.id, `${name}.merchant.id`)
    : optional(merchant, `${name}.merchant`);
  return {
    id,
    account_id: accountId,
    created,
    amount: tx.amount,
    currency,
    status: transactionStatus(tx),
    settled: optional(tx.settled, `${name}.settled`) || null,
    decline_reason: optional(tx.decline_reason, `${name}.decline_reason`) || null,
    category: optional(tx.category, `${name}.category`),
    notes: optional(tx.notes, `${name}.notes`),
    description: optional(tx.description, `${name}.description`),
    merchant_id: merchantId,
    local_amount: typeof local === "number" ? local : null,
    local_currency: optional(tx.local_currency, `${name}.local_currency`),
    hash: hashOf(tx, name),
    raw: json(withMerchantId(tx), name),
  };
}

function hashOf(tx: Transaction, name: string): string {
  try {
    return contentHash(tx);
  } catch (cause) {
    throw new MonzoArgumentError(name, `must be plain JSON data (${(cause as Error).message})`);
  }
}

function json(value: unknown, name: string): string {
  try {
    return JSON.stringify(value);
  } catch (cause) {
    throw new MonzoArgumentError(name, `must be plain JSON data (${(cause as Error).message})`);
  }
}

function checkCoverage(value: unknown, name: string): string {
  const coverage = (value ?? undefined) as Coverage | undefined;
  if (typeof coverage !== "object" || Array.isArray(coverage)) {
    throw new MonzoArgumentError(name, "must be { from, complete, limitedBy? }");
  }
  const from = coverage.from === null ? null : checkInstant(coverage.from, `${name}.from`, true);
  if (typeof coverage.complete !== "boolean") {
    throw new MonzoArgumentError(`${name}.complete`, "must be a boolean");
  }
  const { limitedBy } = coverage;
  if (limitedBy !== undefined && !LIMITS.has(limitedBy)) {
    throw new MonzoArgumentError(
      `${name}.limitedBy`,
      "must be history_window, deadline or account_type",
    );
  }
  const out: Coverage = { from, complete: coverage.complete };
  if (limitedBy !== undefined) out.limitedBy = limitedBy;
  return JSON.stringify(out);
}

function checkString(value: unknown, name: string): string {
  if (typeof value !== "string" || value === "") {
    throw new MonzoArgumentError(name, "must be a non-empty string");
  }
  return value;
}

function optional(value: unknown, name: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw new MonzoArgumentError(name, "must be a string");
  return value;
}

function checkArray(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw new MonzoArgumentError(name, "must be an array");
  return value;
}

/** An RFC 3339 instant, normalized to UTC with milliseconds (or kept as given with `keep`). */
function checkInstant(value: unknown, name: string, keep = false): string {
  if (typeof value === "string" && RFC3339.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return keep ? value : new Date(ms).toISOString();
  }
  throw new MonzoArgumentError(name, "must be an RFC 3339 timestamp");
}

/** A query bound: a Date or RFC 3339, normalized like `created`; undefined when absent. */
export function queryBound(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
  if (typeof value === "string") return checkInstant(value, name);
  throw new MonzoArgumentError(name, "must be a valid Date or an RFC 3339 timestamp");
}

/** A whole number ≥ `min`, or undefined when absent. */
export function queryCount(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < min) {
    throw new MonzoArgumentError(name, `must be a whole number ≥ ${min}`);
  }
  return value as number;
}

/** An account id argument. */
export function checkAccountId(value: unknown): string {
  return checkString(value, "accountId");
}

/** Runs synchronous store work as a promise: what it throws becomes a rejection. */
export function attempt<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The store's clock as an RFC 3339 reader. */
export function clock(now: (() => number) | undefined): () => string {
  const read = now ?? Date.now;
  return () => new Date(read()).toISOString();
}

/** A stored row as the public shape. */
export function toStored(
  row: { id: string; account_id: string; created: string; amount: number; currency: string },
  status: string,
  raw: string,
  removedAt: string | null,
): StoredTransaction {
  const stored: StoredTransaction = {
    id: row.id,
    accountId: row.account_id,
    created: row.created,
    amount: row.amount,
    currency: row.currency,
    status: status as StoredTransaction["status"],
    raw: JSON.parse(raw) as Transaction,
  };
  if (removedAt !== null) stored.removedAt = removedAt;
  return stored;
}

/** A change-log entry as both stores keep it (`changed` and `raw` as JSON). */
export interface ChangeRow {
  seq: number;
  id: string;
  account_id: string;
  at: string;
  op: string;
  changed: string | null;
  raw: string;
}

/** A change-log entry as the public shape. */
export function toChange(entry: ChangeRow): ChangeRecord {
  return {
    seq: entry.seq,
    id: entry.id,
    accountId: entry.account_id,
    at: entry.at,
    op: entry.op as ChangeRecord["op"],
    changed: entry.changed === null ? null : JSON.parse(entry.changed) as string[],
    transaction: JSON.parse(entry.raw) as Transaction,
  };
}
