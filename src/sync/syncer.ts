// `TransactionSyncer`: runs `monzo.transactions.sync` step by step into a store, one run per
// account at a time, and turns webhooks into sooner syncs.
import { MonzoArgumentError, MonzoStorageError } from "../errors.ts";
import type { Monzo } from "../monzo.ts";
import type { WebhookEvent } from "../models.ts";
import { checkNumber } from "../_validate.ts";
import type { Coverage, SyncOptions, SyncProgress, SyncStore } from "./types.ts";

/** The store's answer to a step computed from a cursor it no longer holds. */
const STALE = "sync.stale_step";

/**
 * Options of {@link TransactionSyncer}.
 *
 * @example
 * ```ts
 * import type { TransactionSyncerOptions } from "@monzo-api/client/sync";
 * const options: TransactionSyncerOptions = { includePots: true, debounceMs: 5_000 };
 * ```
 */
export interface TransactionSyncerOptions {
  /**
   * Days re-read on every run.
   * @default 14
   */
  windowDays?: number;
  /**
   * Days between sweeps of the readable 89 days.
   * @default 7
   */
  sweepEveryDays?: number;
  /**
   * History windows read at once by a back-fill; halves on every 429.
   * @default 4
   */
  concurrency?: number;
  /**
   * `syncAll` also syncs each pot's own account (its statement, 90 days only).
   * @default false
   */
  includePots?: boolean;
  /**
   * Delay between a webhook and the sync it triggers; more events in it share that sync.
   * @default 2000
   */
  debounceMs?: number;
  /**
   * The clock, in epoch ms.
   * @default Date.now
   */
  now?: () => number;
  /** Called after every page. */
  onProgress?: (progress: SyncProgress) => void;
  /** Called when a sync triggered by {@link TransactionSyncer.notify} fails. */
  onError?: (error: unknown, accountId: string) => void;
}

/**
 * What one run of an account changed in the store.
 *
 * @example
 * ```ts
 * import type { SyncSummary } from "@monzo-api/client/sync";
 * declare const summary: SyncSummary;
 * console.log(`${summary.added} added, ${summary.modified} modified, ${summary.removed} removed`);
 * ```
 */
export interface SyncSummary {
  /** The account. */
  accountId: string;
  /** Rows the store inserted. */
  added: number;
  /** Rows whose content changed. */
  modified: number;
  /** Rows marked removed. */
  removed: number;
  /** Requests sent. */
  requests: number;
  /** How far back the stored copy reaches now. */
  coverage: Coverage;
}

/**
 * Keeps a {@link SyncStore} in step with Monzo: `syncAll()` right after a login back-fills the
 * whole history inside Monzo's 5-minute window (oldest first) and later runs fetch every
 * change; each step is committed with its cursor, so a crash or an abort loses nothing and a
 * rerun goes on where the last commit stopped. Runs of one account never overlap in one
 * syncer; when another process commits first, the store refuses the stale step and the run
 * goes on from the stored cursor. Webhooks are triggers only: `notify(event)` schedules a
 * sync of the event's account.
 *
 * @example
 * ```ts
 * import { DatabaseSync } from "node:sqlite";
 * import type { Monzo } from "@monzo-api/client";
 * import { TransactionSyncer } from "@monzo-api/client/sync";
 * import { SqliteSyncStore } from "@monzo-api/client/sync/sqlite";
 * declare const monzo: Monzo;
 * const syncer = new TransactionSyncer(monzo, new SqliteSyncStore(new DatabaseSync("monzo.db")));
 * for (const run of await syncer.syncAll()) {
 *   console.log(run.accountId, run.added, run.modified, run.removed, run.coverage);
 * }
 * ```
 */
export class TransactionSyncer {
  readonly #monzo: Monzo;
  readonly #store: SyncStore;
  readonly #options: TransactionSyncerOptions;
  readonly #debounceMs: number;
  /** The run of each account in progress, and the one queued behind it. */
  readonly #running = new Map<string, Promise<SyncSummary>>();
  readonly #queued = new Map<string, Promise<SyncSummary>>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** The accounts this syncer has synced: the only ones a webhook may trigger. */
  readonly #known = new Set<string>();
  #closed = false;

  /**
   * Creates the syncer; nothing is sent until a method is called.
   *
   * @param monzo The client.
   * @param store Where the rows and cursors live.
   * @param options Sync windows, pots, the webhook debounce, callbacks.
   * @throws {MonzoArgumentError} When an argument is invalid.
   */
  constructor(monzo: Monzo, store: SyncStore, options: TransactionSyncerOptions = {}) {
    if (typeof monzo?.transactions?.sync !== "function") {
      throw new MonzoArgumentError("monzo", "must be a Monzo client");
    }
    if (typeof store?.apply !== "function" || typeof store.cursor !== "function") {
      throw new MonzoArgumentError("store", "must be a SyncStore (cursor, apply, ...)");
    }
    this.#monzo = monzo;
    this.#store = store;
    this.#options = options;
    this.#debounceMs = checkNumber(options.debounceMs, "options.debounceMs", 0) ?? 2000;
  }

  /**
   * Syncs one account until it is up to date, committing every step. When a run of the
   * account is in progress, a second run follows it (callers meanwhile share that one).
   *
   * @example
   * ```ts
   * import type { TransactionSyncer } from "@monzo-api/client/sync";
   * declare const syncer: TransactionSyncer;
   * const { added, coverage } = await syncer.sync("acc_123");
   * ```
   *
   * @param accountId The account, or a pot's own account.
   * @param options An abort signal.
   * @returns What changed in the store.
   * @throws {MonzoArgumentError} When the syncer is closed or an argument is invalid.
   */
  sync(accountId: string, options: { signal?: AbortSignal } = {}): Promise<SyncSummary> {
    if (this.#closed) {
      return Promise.reject(new MonzoArgumentError("syncer", "is closed"));
    }
    const running = this.#running.get(accountId);
    if (!running) return this.#start(accountId, options.signal);
    let queued = this.#queued.get(accountId);
    if (!queued) {
      queued = running.catch(() => {}).then(() => {
        this.#queued.delete(accountId);
        return this.#start(accountId, options.signal);
      });
      this.#queued.set(accountId, queued);
    }
    return queued;
  }

  /**
   * Syncs every open account (and, with `includePots`, every pot's own account), one after
   * another. Right after a login it is the back-fill: call it the moment the user approves.
   *
   * @example
   * ```ts
   * import type { TransactionSyncer } from "@monzo-api/client/sync";
   * declare const syncer: TransactionSyncer;
   * const runs = await syncer.syncAll();
   * const partial = runs.filter((run) => !run.coverage.complete);
   * ```
   *
   * @param options An abort signal.
   * @returns One summary per account.
   */
  async syncAll(options: { signal?: AbortSignal } = {}): Promise<SyncSummary[]> {
    const accounts = await this.accounts(options);
    const summaries: SyncSummary[] = [];
    for (const accountId of accounts) summaries.push(await this.sync(accountId, options));
    return summaries;
  }

  /**
   * The accounts `syncAll` syncs: the open ones, then the pots' own accounts with
   * `includePots`.
   *
   * @example
   * ```ts
   * import type { TransactionSyncer } from "@monzo-api/client/sync";
   * declare const syncer: TransactionSyncer;
   * console.log(await syncer.accounts());
   * ```
   *
   * @param options An abort signal.
   * @returns Account ids.
   */
  async accounts(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const open = (await this.#monzo.accounts.list(options)).filter((a) => !a.closed);
    const ids = open.map((a) => a.id);
    if (this.#options.includePots) {
      for (const account of open) {
        const pots = await this.#monzo.pots.list(account.id, options);
        for (const pot of pots) {
          const id = (pot as { pot_account_id?: unknown }).pot_account_id;
          if (!pot.deleted && typeof id === "string" && id) ids.push(id);
        }
      }
    }
    return ids;
  }

  /**
   * Takes a webhook event as a reason to sync its account soon (after `debounceMs`; events in
   * between share the sync). The event's content is never stored as it is: the sync reads
   * the truth, so duplicate, late or forged events change nothing. Only accounts this syncer
   * has synced are taken (a flood of made-up account ids schedules nothing).
   *
   * @example
   * ```ts
   * import { parseWebhookEvent } from "@monzo-api/client";
   * import type { TransactionSyncer } from "@monzo-api/client/sync";
   * declare const syncer: TransactionSyncer;
   * declare const body: string;
   * syncer.notify(parseWebhookEvent(body));
   * ```
   *
   * @param event A parsed webhook event.
   * @returns True when a sync was scheduled; false for other events and unknown accounts.
   */
  notify(event: WebhookEvent): boolean {
    if (this.#closed || event?.type !== "transaction.created") return false;
    const accountId = (event.data as { account_id?: unknown } | null)?.account_id;
    if (typeof accountId !== "string" || !this.#known.has(accountId)) return false;
    clearTimeout(this.#timers.get(accountId));
    const timer = setTimeout(() => {
      this.#timers.delete(accountId);
      this.sync(accountId).catch((error) => this.#options.onError?.(error, accountId));
    }, this.#debounceMs);
    this.#timers.set(accountId, timer);
    return true;
  }

  /**
   * Cancels the scheduled syncs and waits for the running ones.
   *
   * @example
   * ```ts
   * import type { TransactionSyncer } from "@monzo-api/client/sync";
   * declare const syncer: TransactionSyncer;
   * await syncer.close();
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#running.values(), ...this.#queued.values()]);
  }

  #start(accountId: string, signal: AbortSignal | undefined): Promise<SyncSummary> {
    this.#known.add(accountId);
    const run = this.#run(accountId, signal).finally(() => this.#running.delete(accountId));
    this.#running.set(accountId, run);
    return run;
  }

  async #run(accountId: string, signal: AbortSignal | undefined): Promise<SyncSummary> {
    const { windowDays, sweepEveryDays, concurrency, now, onProgress } = this.#options;
    const options: SyncOptions = { windowDays, sweepEveryDays, concurrency, now, onProgress };
    const summary: SyncSummary = {
      accountId,
      added: 0,
      modified: 0,
      removed: 0,
      requests: 0,
      coverage: { from: null, complete: false },
    };
    let cursor = await this.#store.cursor(accountId);
    for (let stale = 0;;) {
      const result = await this.#monzo.transactions.sync(accountId, { ...options, cursor, signal });
      let counts;
      try {
        counts = await this.#store.apply(result);
      } catch (error) {
        // Another process committed a step of this account first: go on from its cursor.
        if (!(error instanceof MonzoStorageError && error.code === STALE) || ++stale > 3) {
          throw error;
        }
        cursor = await this.#store.cursor(accountId);
        continue;
      }
      summary.added += counts.added;
      summary.modified += counts.modified;
      summary.removed += counts.removed;
      summary.requests += result.requests;
      summary.coverage = result.coverage;
      if (!result.hasMore) return summary;
      cursor = result.cursor;
    }
  }
}
