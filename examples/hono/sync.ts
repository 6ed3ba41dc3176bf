// The dashboard's copy of the transactions: a TransactionSyncer over a store (SQLite in the
// demo). After the login is approved it back-fills the whole history at once (Monzo's 5-minute
// window), then syncs every few minutes and soon after each webhook; after each run that changed
// something it tells the app which rows changed, so that open pages can show them.
import {
  type Authentication,
  type Merchant,
  type Monzo,
  MonzoAuthenticationError,
  type WebhookEvent,
} from "../../mod.ts";
import {
  type Coverage,
  type SyncResult,
  type SyncStore,
  type SyncSummary,
  TransactionSyncer,
} from "../../src/sync/mod.ts";

/** What the dashboard reads: SqliteSyncStore and MemorySyncStore both fit. */
export interface DashboardStore extends SyncStore {
  /** A merchant seen expanded in a synced transaction (rows keep only its id). */
  merchant(id: string): Promise<Merchant | null>;
}

/** What one run of an account changed, once it is up to date. */
export interface AccountChanges {
  accountId: string;
  /** Added or modified transaction ids. */
  changed: Set<string>;
  /** Removed transaction ids. */
  removed: string[];
  coverage: Coverage;
}

/** Options of {@link DashboardSync}. */
export interface DashboardSyncOptions {
  /** Between syncs of every account. Default 5 minutes. */
  intervalMs?: number;
  /** Between a webhook and the sync it triggers. Default 2000. */
  debounceMs?: number;
  /** Between two checks of the in-app approval after a login. Default 2000. */
  approvalPollMs?: number;
  /** A run that failed (the next one tries again). Default: logged without details. */
  onError?: (error: unknown) => void;
}

const MINUTE = 60_000;

/** The synced store of the dashboard, and when it syncs. */
export class DashboardSync {
  readonly store: DashboardStore;
  /** The accounts the last `syncAll` synced. */
  readonly accounts = new Set<string>();
  readonly #syncer: TransactionSyncer;
  readonly #options: Required<DashboardSyncOptions>;
  readonly #listeners = new Set<(changes: AccountChanges) => void>();
  /** Per account: what the steps of the current run changed so far. */
  readonly #pending = new Map<string, AccountChanges>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #approval: AbortController | undefined;
  #backfill = deferred();
  /** Aborts the runs of `syncAll` on {@link close}. */
  readonly #closing = new AbortController();

  constructor(monzo: Monzo, store: DashboardStore, options: DashboardSyncOptions = {}) {
    this.store = store;
    this.#options = {
      intervalMs: options.intervalMs ?? 5 * MINUTE,
      debounceMs: options.debounceMs ?? 2000,
      approvalPollMs: options.approvalPollMs ?? 2000,
      onError: options.onError ??
        ((error) => console.error(`Sync failed: ${(error as Error)?.name ?? "error"}`)),
    };
    // The syncer writes through this wrapper, which notes what each step changed.
    const noting: SyncStore = {
      cursor: (id) => store.cursor(id),
      coverage: (id) => store.coverage(id),
      transactions: (id, query) => store.transactions(id, query),
      apply: async (result) => {
        const counts = await store.apply(result);
        this.#note(result, counts.added + counts.modified + counts.removed > 0);
        return counts;
      },
    };
    this.#syncer = new TransactionSyncer(monzo, noting, {
      debounceMs: this.#options.debounceMs,
      onError: (error) => this.#failed(error),
    });
  }

  /** Calls `listener` after each run of an account that changed the store. */
  subscribe(listener: (changes: AccountChanges) => void): void {
    this.#listeners.add(listener);
  }

  /** Whether the syncs of this login have started. */
  get started(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Waits (in the background) for the in-app approval of a new or restored login, then
   * starts: the back-fill must begin inside the 5 minutes after the approval.
   */
  watchApproval(auth: Authentication): void {
    this.#approval?.abort();
    const controller = new AbortController();
    this.#approval = controller;
    auth.waitForApproval({
      timeoutMs: 10 * MINUTE,
      intervalMs: this.#options.approvalPollMs,
      signal: controller.signal,
    }).then(() => {
      if (!controller.signal.aborted) this.start();
    }, () => {
      // Not approved in time, or the login ended: the dashboard's page says what to do.
    }).finally(() => {
      if (this.#approval === controller) this.#approval = undefined;
    });
  }

  /** Starts (through {@link watchApproval}) unless started or watching already. */
  ensureStarted(auth: Authentication): void {
    if (this.#timer === undefined && this.#approval === undefined) this.watchApproval(auth);
  }

  /** Syncs every account now (the back-fill after a login), then every `intervalMs`. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(
      () => this.syncAll().catch((error) => this.#failed(error)),
      this.#options.intervalMs,
    );
    unref(this.#timer);
    const backfill = this.#backfill;
    this.syncAll().then(() => backfill.resolve(), (error) => {
      this.#failed(error);
      backfill.resolve();
    });
  }

  /** Resolves when the first run after {@link start} (the back-fill) has ended. */
  backfilled(): Promise<void> {
    return this.#backfill.promise;
  }

  /** Syncs every open account until it is up to date. */
  async syncAll(): Promise<SyncSummary[]> {
    const signal = this.#closing.signal;
    const accounts = await this.#syncer.accounts({ signal });
    for (const id of accounts) this.accounts.add(id);
    const summaries = [];
    for (const id of accounts) summaries.push(await this.#syncer.sync(id, { signal }));
    return summaries;
  }

  /** A webhook: a sync of its account soon (duplicates share it; its content is not stored). */
  notify(event: WebhookEvent): boolean {
    return this.#syncer.notify(event);
  }

  /** Stops syncing (logout); a later {@link start} begins again. */
  stop(): void {
    this.#approval?.abort();
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.accounts.clear();
    this.#backfill = deferred();
  }

  /** Stops for good: aborts the running syncs (each commit is whole) and waits for them. */
  async close(): Promise<void> {
    this.stop();
    this.#closing.abort();
    await this.#syncer.close();
  }

  /** Reports a failed run; a login that ended stops the syncs until the next login. */
  #failed(error: unknown): void {
    if (this.#closing.signal.aborted) return; // cancelled by close()
    if (error instanceof MonzoAuthenticationError && error.reauthorizationRequired) this.stop();
    this.#options.onError(error);
  }

  #note(result: SyncResult, changed: boolean): void {
    const { accountId } = result;
    let pending = this.#pending.get(accountId);
    if (changed) {
      pending ??= { accountId, changed: new Set(), removed: [], coverage: result.coverage };
      for (const tx of result.added) pending.changed.add(tx.id);
      for (const { transaction } of result.modified) pending.changed.add(transaction.id);
      for (const { id } of result.removed) pending.removed.push(id);
      pending.coverage = result.coverage;
      this.#pending.set(accountId, pending);
    }
    if (result.hasMore || !pending) return;
    this.#pending.delete(accountId);
    for (const listener of this.#listeners) listener(pending);
  }
}

/** A promise and its resolve (Promise.withResolvers is missing on Node 20). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => resolve = r);
  return { promise, resolve };
}

/** Keeps a timer from holding the process open (Node and Bun `unref`, Deno `unrefTimer`). */
function unref(timer: ReturnType<typeof setInterval>): void {
  if (typeof timer === "object" && timer !== null && "unref" in timer) {
    (timer as { unref(): void }).unref();
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer(id: number): void } }).Deno;
  deno?.unrefTimer(timer as unknown as number);
}
