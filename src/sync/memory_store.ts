// A SyncStore in plain Maps, for tests and short scripts: the same counts, change log and
// all-or-nothing apply as SqliteSyncStore, gone when the process ends.
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

interface MemoryRow extends Row {
  first_seen: string;
  last_changed: string;
  removed_at: string | null;
}

/**
 * A {@link SyncStore} in memory: rows, change log, merchants and each account's cursor in
 * Maps. `apply` checks the whole result first and then writes it, so a bad result writes
 * nothing; the counts and the change log match `SqliteSyncStore` exactly.
 *
 * @example Sync an account into memory and list the newest rows
 * ```ts
 * import type { Monzo } from "@monzo-api/client";
 * import { MemorySyncStore } from "@monzo-api/client/sync";
 * declare const monzo: Monzo;
 * const store = new MemorySyncStore();
 * let result;
 * do {
 *   result = await monzo.transactions.sync("acc_123", { cursor: await store.cursor("acc_123") });
 *   const counts = await store.apply(result);
 *   console.log(counts.added, counts.modified, counts.removed);
 * } while (result.hasMore);
 * for (const row of await store.transactions("acc_123", { limit: 10 })) {
 *   console.log(row.created, row.amount / 100, row.raw.description);
 * }
 * ```
 */
export class MemorySyncStore implements SyncStore {
  #rows = new Map<string, MemoryRow>();
  #changes: ChangeRow[] = [];
  #merchants = new Map<string, string>();
  #state = new Map<string, { cursor: string; coverage: string; updated_at: string }>();
  #now: () => string;

  /**
   * Creates an empty store.
   *
   * @param options The clock for the times it records.
   */
  constructor(options: SyncStoreOptions = {}) {
    this.#now = clock(options.now);
  }

  /**
   * The cursor stored with the account's rows.
   *
   * @example
   * ```ts
   * import { MemorySyncStore } from "@monzo-api/client/sync";
   * console.log(await new MemorySyncStore().cursor("acc_123")); // null
   * ```
   *
   * @param accountId The account (`acc_…`).
   * @returns The cursor, or null before the first apply.
   */
  cursor(accountId: string): Promise<string | null> {
    return attempt(() => this.#state.get(checkAccountId(accountId))?.cursor ?? null);
  }

  /**
   * The coverage stored with the account's rows.
   *
   * @example
   * ```ts
   * import { MemorySyncStore } from "@monzo-api/client/sync";
   * console.log(await new MemorySyncStore().coverage("acc_123")); // null
   * ```
   *
   * @param accountId The account (`acc_…`).
   * @returns How far back the copy reaches, or null before the first apply.
   */
  coverage(accountId: string): Promise<Coverage | null> {
    return attempt(() => {
      const state = this.#state.get(checkAccountId(accountId));
      return state === undefined ? null : JSON.parse(state.coverage) as Coverage;
    });
  }

  /**
   * Applies a result and stores its cursor and coverage, all or nothing. Re-applying a
   * result changes nothing and counts zero.
   *
   * @example
   * ```ts
   * import type { SyncResult } from "@monzo-api/client/sync";
   * import { MemorySyncStore } from "@monzo-api/client/sync";
   * declare const result: SyncResult;
   * const store = new MemorySyncStore();
   * console.log(await store.apply(result)); // { added: …, modified: …, removed: … }
   * console.log(await store.apply(result)); // { added: 0, modified: 0, removed: 0 }
   * ```
   *
   * @param result A step of `monzo.transactions.sync`.
   * @returns What really changed.
   * @throws {MonzoArgumentError} When the result is malformed (nothing is written).
   */
  apply(result: SyncResult): Promise<ApplyCounts> {
    return attempt(() => applyPrepared(this.#backend(), prepareResult(result), this.#now()));
  }

  /**
   * An account's rows, newest first (by `created`, then id), removed ones excluded.
   * `created` is normalized to UTC with milliseconds; `raw` keeps Monzo's text.
   *
   * @example
   * ```ts
   * import { MemorySyncStore } from "@monzo-api/client/sync";
   * const store = new MemorySyncStore();
   * const rows = await store.transactions("acc_123", { since: "2026-03-01T00:00:00Z", limit: 50 });
   * ```
   *
   * @param accountId The account (`acc_…`).
   * @param options `since` (inclusive), `before` (exclusive) and `limit`.
   * @returns Copies of the rows.
   */
  transactions(accountId: string, options: TransactionsQuery = {}): Promise<StoredTransaction[]> {
    return attempt(() => {
      const id = checkAccountId(accountId);
      const since = queryBound(options.since, "options.since");
      const before = queryBound(options.before, "options.before");
      const limit = queryCount(options.limit, "options.limit", 1);
      const rows = [...this.#rows.values()].filter((row) =>
        row.account_id === id && row.removed_at === null &&
        (since === undefined || row.created >= since) &&
        (before === undefined || row.created < before)
      ).sort((a, b) => compare(b.created, a.created) || compare(b.id, a.id));
      return rows.slice(0, limit).map((row) => toStored(row, row.status, row.raw, null));
    });
  }

  /**
   * The change log after a given `seq`, oldest first: what each `apply` really changed.
   *
   * @example Follow the log
   * ```ts
   * import { MemorySyncStore } from "@monzo-api/client/sync";
   * const store = new MemorySyncStore();
   * let seen = 0;
   * for (const change of await store.changes({ after: seen })) {
   *   console.log(change.op, change.id, change.changed);
   *   seen = change.seq;
   * }
   * ```
   *
   * @param options `after`, `accountId` and `limit`.
   * @returns The entries.
   */
  changes(options: ChangesQuery = {}): Promise<ChangeRecord[]> {
    return attempt(() => {
      const after = queryCount(options.after, "options.after", 0) ?? 0;
      const account = options.accountId === undefined
        ? undefined
        : checkAccountId(options.accountId);
      const limit = queryCount(options.limit, "options.limit", 1);
      const entries = this.#changes.filter((entry) =>
        entry.seq > after && (account === undefined || entry.account_id === account)
      );
      return entries.slice(0, limit).map(toChange);
    });
  }

  /**
   * A merchant seen expanded in a synced transaction.
   *
   * @example
   * ```ts
   * import { MemorySyncStore } from "@monzo-api/client/sync";
   * const merchant = await new MemorySyncStore().merchant("merch_123");
   * console.log(merchant?.name ?? "unknown");
   * ```
   *
   * @param id The merchant (`merch_…`).
   * @returns The merchant as last seen, or null.
   */
  merchant(id: string): Promise<Merchant | null> {
    return attempt(() => {
      const raw = this.#merchants.get(id);
      return raw === undefined ? null : JSON.parse(raw) as Merchant;
    });
  }

  #backend(): Backend {
    const rows = this.#rows;
    return {
      find: (id) => {
        const row = rows.get(id);
        return row &&
          { hash: row.hash, removed: row.removed_at !== null, accountId: row.account_id };
      },
      cursor: (accountId) => this.#state.get(accountId)?.cursor ?? null,
      raw: (id) => rows.get(id)!.raw,
      upsert: (row, at) => {
        const before = rows.get(row.id);
        if (before !== undefined && before.hash === row.hash && before.removed_at === null) {
          return false;
        }
        const firstSeen = before?.first_seen ?? at;
        rows.set(row.id, { ...row, first_seen: firstSeen, last_changed: at, removed_at: null });
        return true;
      },
      remove: (id, at) => {
        const row = rows.get(id)!;
        if (row.removed_at !== null) return false;
        row.removed_at = at;
        row.last_changed = at;
        return true;
      },
      log: (entry, raw) => {
        const seq = (this.#changes.at(-1)?.seq ?? 0) + 1;
        const { id, accountId, at, op, changed } = entry;
        this.#changes.push({ seq, id, account_id: accountId, at, op, changed, raw });
      },
      merchant: (id, raw) => void this.#merchants.set(id, raw),
      state: (accountId, cursor, coverage, at) => {
        const before = this.#state.get(accountId);
        if (before?.cursor === cursor && before.coverage === coverage) return;
        this.#state.set(accountId, { cursor, coverage, updated_at: at });
      },
    };
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
