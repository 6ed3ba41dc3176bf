/**
 * The shapes of transaction sync: what `monzo.transactions.sync` and `backfill` return, their
 * options, and the store interface that keeps the result and its cursor together.
 *
 * @module
 */

import type { Transaction } from "../models.ts";

/**
 * Where a transaction stands: `declined` (it has a `decline_reason`), `pending` (`settled` is
 * `""`; the amount may still change) or `settled` (`settled` is set; for transfers Monzo sets
 * it, in the future, from the start).
 *
 * @example
 * ```ts
 * import type { TransactionStatus } from "@monzo-api/client/sync";
 * const status: TransactionStatus = "pending";
 * ```
 */
export type TransactionStatus = "pending" | "settled" | "declined";

/**
 * Why the synced history stops where it does: `history_window` (Monzo lists more than 89 days
 * back only in the 5 minutes after the user approves a login: log in again to reopen it),
 * `deadline` (the back-fill ran out of its share of that window), `account_type` (pot
 * accounts list 90 days only).
 *
 * @example
 * ```ts
 * import type { CoverageLimit } from "@monzo-api/client/sync";
 * const why: CoverageLimit = "history_window";
 * ```
 */
export type CoverageLimit = "history_window" | "deadline" | "account_type";

/**
 * How far back the synced copy of an account reaches.
 *
 * @example
 * ```ts
 * import type { Coverage } from "@monzo-api/client/sync";
 * declare const coverage: Coverage;
 * if (!coverage.complete) console.log(`history from ${coverage.from} (${coverage.limitedBy})`);
 * ```
 */
export interface Coverage {
  /** RFC 3339: the oldest instant the copy is known to be whole from; null before any read. */
  from: string | null;
  /** True when the copy reaches back to the account's creation. */
  complete: boolean;
  /** Why it stops at `from` when it is not complete. */
  limitedBy?: CoverageLimit;
}

/**
 * One changed transaction in a {@link SyncResult}.
 *
 * @example
 * ```ts
 * import type { ModifiedTransaction } from "@monzo-api/client/sync";
 * declare const change: ModifiedTransaction;
 * if (change.changed.includes("amount")) console.log(change.transaction.amount);
 * ```
 */
export interface ModifiedTransaction {
  /** The transaction as Monzo lists it now. */
  transaction: Transaction;
  /**
   * The top-level fields that changed, from `amount`, `settled`, `decline_reason`, `notes`,
   * `category`, `metadata`, `description`, `merchant`, `local_amount`, `counterparty`,
   * `attachments`; `other` when only something else changed.
   */
  changed: string[];
}

/**
 * One step of an account's delta stream (`monzo.transactions.sync`): apply `added`,
 * `modified` and `removed`, store `cursor` in the same commit, and call again while `hasMore`.
 *
 * @example
 * ```ts
 * import type { Monzo } from "@monzo-api/client";
 * import type { SyncResult } from "@monzo-api/client/sync";
 * declare const monzo: Monzo;
 * let result: SyncResult | undefined;
 * do {
 *   result = await monzo.transactions.sync("acc_123", { cursor: result?.cursor });
 *   console.log(result.added.length, result.modified.length, result.removed.length);
 * } while (result.hasMore);
 * ```
 */
export interface SyncResult {
  /** The account (`acc_…`). */
  accountId: string;
  /** Transactions not seen before (backdated inserts included). */
  added: Transaction[];
  /** Transactions seen before whose content changed. */
  modified: ModifiedTransaction[];
  /** Transactions Monzo no longer has (each confirmed by a 404). */
  removed: { id: string; accountId: string }[];
  /** Opaque; pass it to the next call. Store it in the same transaction as the rows. */
  cursor: string;
  /**
   * The cursor this step started from (null: from scratch). A store applies the result only
   * while it still holds that cursor (or already holds `cursor`: a re-apply), so that a
   * step computed before another run committed never overwrites newer rows.
   */
  previousCursor?: string | null;
  /** True when there is more to read now: call again with `cursor`. */
  hasMore: boolean;
  /** How far back the copy reaches. */
  coverage: Coverage;
  /** How many HTTP requests this step sent. */
  requests: number;
}

/**
 * Progress of a sync or back-fill, for a progress bar.
 *
 * @example
 * ```ts
 * import type { SyncProgress } from "@monzo-api/client/sync";
 * const onProgress = (p: SyncProgress) => console.log(p.accountId, p.phase, p.transactions);
 * ```
 */
export interface SyncProgress {
  /** The account. */
  accountId: string;
  /** `history`: older than 89 days, oldest first; `recent`: the readable 89 days and the tail. */
  phase: "history" | "recent";
  /** Requests sent so far. */
  requests: number;
  /** Transactions read so far. */
  transactions: number;
  /** RFC 3339: the oldest instant read so far. */
  reachedBack: string | null;
  /** 0..1 of the history to read, when known. */
  fraction: number | null;
  /** Milliseconds left before the back-fill deadline, when there is one. */
  msLeft?: number;
}

/**
 * Options of `monzo.transactions.sync`.
 *
 * @example
 * ```ts
 * import type { SyncOptions } from "@monzo-api/client/sync";
 * const options: SyncOptions = { windowDays: 30, sweepEveryDays: 3 };
 * ```
 */
export interface SyncOptions {
  /** The cursor of the previous step; none (or null) starts from scratch. */
  cursor?: string | null;
  /**
   * Days re-read on every call, to see settlements, amount changes and backdated inserts.
   * @default 14
   */
  windowDays?: number;
  /**
   * Days between sweeps of the whole readable 89 days (which catch older edits).
   * @default 7
   */
  sweepEveryDays?: number;
  /**
   * History: stop a step (with `hasMore`) once this many transactions are in it (100 or more).
   * @default 2000
   */
  maxChanges?: number;
  /**
   * Epoch ms after which no more history older than 89 days is read; by default, 4 min 30 s
   * after the login's approval (`auth.approvedAt`), or none when that is unknown.
   */
  deadline?: number;
  /**
   * History windows read at once; halves on every 429.
   * @default 4
   */
  concurrency?: number;
  /**
   * The clock, in epoch ms (for tests that move the emulator's clock).
   * @default Date.now
   */
  now?: () => number;
  /** Called after every page. */
  onProgress?: (progress: SyncProgress) => void;
  /** Cancels the step; nothing is returned, so nothing is lost. */
  signal?: AbortSignal;
}

/**
 * What a store changed when it applied a {@link SyncResult}: re-applying the same result
 * changes nothing and counts zero.
 *
 * @example
 * ```ts
 * import type { ApplyCounts } from "@monzo-api/client/sync";
 * const counts: ApplyCounts = { added: 3, modified: 1, removed: 0 };
 * ```
 */
export interface ApplyCounts {
  /** Rows inserted. */
  added: number;
  /** Rows whose content changed. */
  modified: number;
  /** Rows marked removed. */
  removed: number;
}

/**
 * A transaction as a store keeps it.
 *
 * @example
 * ```ts
 * import type { StoredTransaction } from "@monzo-api/client/sync";
 * declare const row: StoredTransaction;
 * console.log(row.status, row.amount / 100, row.raw.description);
 * ```
 */
export interface StoredTransaction {
  /** `tx_…`. */
  id: string;
  /** `acc_…`. */
  accountId: string;
  /** RFC 3339. */
  created: string;
  /** Minor units (integer); negative is a debit. */
  amount: number;
  /** ISO 4217. */
  currency: string;
  /** Pending, settled or declined. */
  status: TransactionStatus;
  /** The transaction as Monzo last listed it, unknown fields included (merchant as its id). */
  raw: Transaction;
  /** RFC 3339: when the store marked it removed, if it did. */
  removedAt?: string;
}

/**
 * Where synced transactions live: the rows and each account's cursor, written together.
 * `MemorySyncStore` and `SqliteSyncStore` implement it; any database can.
 *
 * @example
 * ```ts
 * import type { Monzo } from "@monzo-api/client";
 * import { MemorySyncStore } from "@monzo-api/client/sync";
 * declare const monzo: Monzo;
 * const store = new MemorySyncStore();
 * let result;
 * do {
 *   result = await monzo.transactions.sync("acc_123", { cursor: await store.cursor("acc_123") });
 *   await store.apply(result);
 * } while (result.hasMore);
 * ```
 */
export interface SyncStore {
  /** The cursor stored with the account's rows, or null. */
  cursor(accountId: string): Promise<string | null>;
  /**
   * Applies a result and stores its cursor and coverage, all or nothing; refuses (with a
   * `MonzoStorageError` of code `sync.stale_step`) a result whose `previousCursor` is not the
   * stored cursor, unless the stored one is already its `cursor`.
   */
  apply(result: SyncResult): Promise<ApplyCounts>;
  /** The stored coverage of an account, or null. */
  coverage(accountId: string): Promise<Coverage | null>;
  /** An account's rows (removed ones excluded), newest first. */
  transactions(
    accountId: string,
    options?: { since?: string; before?: string; limit?: number },
  ): Promise<StoredTransaction[]>;
}
