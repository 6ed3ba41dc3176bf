// One step of `monzo.transactions.sync`: the history older than 89 days (oldest first, in
// windows of at most 364 days, while Monzo's 5-minute window is open), then the readable part:
// the tail, a trailing window re-read on every step and, now and then, a sweep of the whole
// 89 days, diffed against the fingerprints in the cursor.
import type { Authentication } from "../authentication.ts";
import { MonzoHTTPError, MonzoPermissionsError, MonzoRateError } from "../errors.ts";
import { sleep } from "../http.ts";
import type { Transaction } from "../models.ts";
import {
  AccountsSchema,
  type Checked,
  parse,
  TransactionBodySchema,
  TransactionsSchema,
} from "../_schemas.ts";
import { checkId } from "../_validate.ts";
import { decodeCursor, encodeCursor, type SyncState, type Window } from "./cursor.ts";
import { changedFields, fingerprint } from "./fingerprint.ts";
import { checkSyncOptions, type Settings } from "./options.ts";
import type { CoverageLimit, ModifiedTransaction, SyncResult } from "./types.ts";

const DAY = 86_400_000;
/** How far back Monzo lists after the window: 89 days works, 90 does not. */
const READABLE = 89 * DAY;
/** Fingerprints older than this are dropped: those transactions are never re-read. */
const KEEP = 90 * DAY;
/** A tail older than the readable part by more than this left a hole. */
const HOLE = READABLE + DAY / 2;
/** The longest span of one request (Monzo refuses more than 365 days). */
const SPAN = 364 * DAY;
const PAGE = 100;
/** History windows: up to this many, each at least a month long. */
const MAX_WINDOWS = 16;
const MONTH = 30 * DAY;
/** Missing transactions confirmed (`GET /transactions/{id}`) per step at most. */
const CONFIRMS = 50;
/** The back-fill stops this long before the window closes. */
const WINDOW_MARGIN = 30_000;
const WINDOW = 5 * 60_000;

const iso = (ms: number) => new Date(ms).toISOString();

/** Runs one sync step; see `TransactionsApi.sync`. */
export async function syncAccount(
  auth: Authentication,
  accountId: string,
  options: unknown,
): Promise<SyncResult> {
  checkId(accountId, "accountId");
  const settings = checkSyncOptions(options);
  const step = new Step(auth, accountId, settings);
  return await step.run();
}

class Step {
  readonly #auth: Authentication;
  readonly #accountId: string;
  readonly #o: Settings;
  #state!: SyncState;
  #requests = 0;
  #read = 0;
  #reachedBack: number | null = null;
  readonly #added: Transaction[] = [];
  readonly #modified: ModifiedTransaction[] = [];
  readonly #removed: { id: string; accountId: string }[] = [];

  constructor(auth: Authentication, accountId: string, settings: Settings) {
    this.#auth = auth;
    this.#accountId = accountId;
    this.#o = settings;
  }

  async run(): Promise<SyncResult> {
    const { cursor } = this.#o;
    this.#state = cursor ? decodeCursor(cursor, this.#accountId) : await this.#fresh();
    const state = this.#state;
    const approvedAt = this.#auth.approvedAt;
    // Without the approval instant (a login made by another process), the first step assumes
    // the window opened just now and keeps that deadline in the cursor; Monzo's 403 says when
    // it was wrong, and then no later step asks again until a login approved here.
    if (!cursor && approvedAt === undefined) state.d = this.#o.now() + WINDOW - WINDOW_MARGIN;
    const deadline = this.#o.deadline ??
      (approvedAt === undefined ? state.d : approvedAt + WINDOW - WINDOW_MARGIN);
    if (state.h.length > 0 && deadline !== undefined && this.#o.now() < deadline) {
      const stop = await this.#history(deadline);
      if (stop === "more") return this.#result(true);
      if (stop) this.#limit(stop);
      if (stop === "history_window") delete state.d;
    }
    await this.#recent();
    return this.#result(false);
  }

  /** The state of an account never synced. */
  async #fresh(): Promise<SyncState> {
    const now = this.#o.now();
    const boundary = now - READABLE;
    const { accounts } = await this.#get(AccountsSchema, "/accounts", {});
    const account = accounts.find((a) => a.id === this.#accountId);
    const state: SyncState = {
      v: 1,
      a: this.#accountId,
      h: [],
      hd: 0,
      o: null,
      t: { at: boundary },
      f: {},
      s: 0,
      c: { from: iso(boundary), complete: false, limitedBy: "account_type" },
    };
    // Not among the accounts: a pot's own account, which lists 90 days only.
    if (!account) return state;
    const created = Date.parse(account.created);
    state.o = created;
    if (!(created < boundary)) {
      state.t.at = created;
      state.c = { from: iso(created), complete: true };
      return state;
    }
    // Pages within a window are read one after another: enough windows for the concurrency
    // to matter (at most 364 days, at least about a month each).
    const span = boundary - created;
    const count = Math.max(Math.ceil(span / SPAN), Math.min(MAX_WINDOWS, Math.ceil(span / MONTH)));
    for (let i = 0; i < count; i++) {
      const start = created + Math.floor(span * i / count);
      state.h.push([
        start,
        i === count - 1 ? boundary : created + Math.floor(span * (i + 1) / count),
        null,
      ]);
    }
    state.hd = (boundary - created) / DAY;
    state.c = { from: iso(boundary), complete: false, limitedBy: "history_window" };
    return state;
  }

  /**
   * Reads the history windows, oldest first, `concurrency` at a time (halved on every 429).
   * Returns why it stopped early: `more` (a full step), `history_window` (Monzo's 403),
   * `deadline`; or undefined when every window is read.
   */
  async #history(deadline: number): Promise<"more" | CoverageLimit | undefined> {
    const windows = this.#state.h;
    let limit = this.#o.concurrency;
    // No request outlives the deadline, not even one waiting out a Retry-After.
    const timeUp = AbortSignal.timeout(Math.max(0, deadline - this.#o.now()));
    const signal = this.#o.signal ? AbortSignal.any([this.#o.signal, timeUp]) : timeUp;
    let stop: "more" | CoverageLimit | undefined;
    const done = new Set<Window>();
    const read = async (window: Window) => {
      while (!stop) {
        if (this.#o.now() >= deadline) return void (stop ??= "deadline");
        let page: Transaction[];
        try {
          page = await this.#page({
            since: window[2] ?? iso(window[0]),
            before: iso(window[1]),
          }, signal);
        } catch (error) {
          if (timeUp.aborted && !this.#o.signal?.aborted) return void (stop ??= "deadline");
          if (error instanceof MonzoPermissionsError && error.reason === "verification_required") {
            return void (stop ??= "history_window");
          }
          if (!(error instanceof MonzoRateError)) throw error;
          limit = Math.max(1, limit >> 1);
          const wait = (error.retryAfter ?? 1) * 1000;
          if (this.#o.now() + wait >= deadline) return void (stop ??= "deadline");
          await sleep(wait, this.#o.signal);
          continue;
        }
        for (const tx of page) this.#added.push(tx);
        this.#seen(page);
        if (page.length < PAGE) return void done.add(window);
        window[2] = page[page.length - 1].id;
        this.#progress(deadline);
        if (this.#read >= this.#o.maxChanges) return void (stop ??= "more");
      }
    };
    const running = new Set<Promise<void>>();
    let failure: unknown;
    for (let next = 0; next < windows.length || running.size > 0;) {
      while (!stop && failure === undefined && running.size < limit && next < windows.length) {
        const task = read(windows[next++]).catch((error) => {
          failure ??= error;
          stop ??= "more";
        });
        running.add(task);
        task.finally(() => running.delete(task));
      }
      if (running.size === 0) break;
      await Promise.race(running);
    }
    if (failure !== undefined) throw failure;
    this.#state.h = windows.filter((w) => !done.has(w));
    if (this.#state.h.length === 0) {
      this.#state.c = { from: iso(this.#state.o!), complete: true };
    }
    this.#progress(deadline);
    return this.#state.h.length === 0 ? undefined : stop;
  }

  /** Records why the history stops, and that the copy is whole from the recent part on. */
  #limit(why: CoverageLimit): void {
    const pending = this.#state.h;
    this.#state.c = { from: iso(pending[pending.length - 1][1]), complete: false, limitedBy: why };
  }

  /** The tail, the trailing window or the sweep, diffed against the fingerprints. */
  async #recent(): Promise<void> {
    const state = this.#state;
    const now = this.#o.now();
    const floor = now - READABLE;
    const sweep = now - state.s >= this.#o.sweepEveryDays * DAY;
    const start = sweep ? floor : now - this.#o.windowDays * DAY;
    // From the tail when it is older than the range to re-read. By its time, not its id: a
    // transaction Monzo removed would make `since=<id>` fail for ever; the ones at that very
    // instant are listed again and diffed as unchanged.
    let from = Math.min(start, state.t.at);
    if (from < now - HOLE) {
      // Not synced for months: what happened before the readable part is out of reach.
      from = floor;
      state.c = { from: iso(floor), complete: false, limitedBy: "history_window" };
    }
    let lastId: string | null = null;
    const seen = new Set<string>();
    for (let chunk = from;; chunk += SPAN) {
      const end = chunk + SPAN;
      for (;;) {
        const page = await this.#page({
          since: lastId ?? iso(chunk),
          before: end < now ? iso(end) : undefined,
        });
        for (const tx of page) {
          seen.add(tx.id);
          this.#diff(tx);
        }
        this.#seen(page);
        this.#progress(undefined);
        if (page.length > 0) {
          const last = page[page.length - 1];
          lastId = last.id;
          state.t.at = Math.max(state.t.at, Date.parse(last.created));
        }
        if (page.length < PAGE) break;
      }
      if (end >= now) break;
      lastId = null;
    }
    await this.#confirmMissing(from, seen);
    for (const [id, entry] of Object.entries(state.f)) {
      if (createdOf(entry) < now - KEEP) delete state.f[id];
    }
    if (sweep && from <= floor) state.s = now;
  }

  /**
   * Transactions known in the range re-read but not listed: removed only when
   * `GET /transactions/{id}` answers 404; listed again when it answers.
   */
  async #confirmMissing(from: number, seen: Set<string>): Promise<void> {
    const missing = Object.entries(this.#state.f)
      .filter(([id, entry]) => !seen.has(id) && createdOf(entry) >= from)
      .slice(0, CONFIRMS);
    for (const [id] of missing) {
      try {
        const { transaction } = await this.#get(
          TransactionBodySchema,
          `/transactions/${encodeURIComponent(id)}`,
          { expand: ["merchant"] },
        );
        this.#diff(transaction);
      } catch (error) {
        if (!(error instanceof MonzoHTTPError && error.status === 404)) throw error;
        delete this.#state.f[id];
        this.#removed.push({ id, accountId: this.#accountId });
      }
    }
  }

  /** Added, modified or unchanged, by the fingerprint kept in the cursor. */
  #diff(tx: Transaction): void {
    const print = fingerprint(tx);
    const known = this.#state.f[tx.id];
    this.#state.f[tx.id] = `${Date.parse(tx.created).toString(36)}.${print}`;
    if (known === undefined) return void this.#added.push(tx);
    const before = known.slice(known.indexOf(".") + 1);
    if (before !== print) {
      this.#modified.push({ transaction: tx, changed: changedFields(before, print) });
    }
  }

  #seen(page: Transaction[]): void {
    this.#read += page.length;
    if (page.length === 0) return;
    const first = Date.parse(page[0].created);
    if (this.#reachedBack === null || first < this.#reachedBack) this.#reachedBack = first;
  }

  #progress(deadline: number | undefined): void {
    const report = this.#o.onProgress;
    if (!report) return;
    const { h, hd } = this.#state;
    let left = 0;
    for (const [start, end, lastId] of h) left += (end - start) / DAY * (lastId ? 0.5 : 1);
    report({
      accountId: this.#accountId,
      phase: deadline === undefined ? "recent" : "history",
      requests: this.#requests,
      transactions: this.#read,
      reachedBack: this.#reachedBack === null ? null : iso(this.#reachedBack),
      fraction: hd > 0 ? Math.min(1, Math.max(0, 1 - left / hd)) : null,
      ...(deadline === undefined ? {} : { msLeft: Math.max(0, deadline - this.#o.now()) }),
    });
  }

  #page(
    bounds: { since: string; before: string | undefined },
    signal = this.#o.signal,
  ): Promise<Transaction[]> {
    return this.#get(TransactionsSchema, "/transactions", {
      account_id: this.#accountId,
      ...bounds,
      limit: PAGE,
      expand: ["merchant"],
    }, signal).then((body) => body.transactions);
  }

  async #get<T>(
    schema: Checked<T>,
    path: string,
    query: Record<string, string | number | string[] | undefined>,
    signal = this.#o.signal,
  ): Promise<T> {
    signal?.throwIfAborted();
    this.#requests++;
    const body = await this.#auth.request("GET", path, { query, signal });
    return schema.check(body) ? body as T : parse(schema, body, `GET ${path}`);
  }

  #result(hasMore: boolean): SyncResult {
    return {
      accountId: this.#accountId,
      added: this.#added,
      modified: this.#modified,
      removed: this.#removed,
      cursor: encodeCursor(this.#state),
      previousCursor: this.#o.cursor,
      hasMore,
      coverage: { ...this.#state.c },
      requests: this.#requests,
    };
  }
}

/** The creation time (epoch ms) kept with a fingerprint. */
function createdOf(entry: string): number {
  return parseInt(entry.slice(0, entry.indexOf(".")), 36);
}
