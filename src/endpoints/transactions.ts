// `monzo.transactions`: GET /transactions/{id}, GET /transactions (one page, or every page),
// PATCH /transactions/{id}.

import type { Authentication } from "../authentication.ts";
import type {
  CallOptions,
  GetTransactionOptions,
  ListTransactionsOptions,
  Transaction,
} from "../models.ts";
import type { SyncOptions, SyncResult } from "../sync/types.ts";
import { AccountsSchema, parse, TransactionBodySchema, TransactionsSchema } from "../_schemas.ts";
import { checkId, checkLimit, checkMetadata, checkOptions, checkTime } from "../_validate.ts";
import { call } from "./_call.ts";

const PAGE_SIZE = 100;
const DAY_MS = 86_400_000;
/** The longest span of one request: Monzo refuses more than 365 days. */
const WINDOW_MS = 364 * DAY_MS;
const EXPAND_MERCHANT = ["merchant"];

/** The query of one page, checked. */
type PageQuery = {
  account_id: string;
  since?: string;
  before?: string;
  limit?: number;
  expand?: string[];
};

/**
 * Transactions: one, a page, every page, and annotations: `monzo.transactions`.
 *
 * More than 5 minutes after the user logged in, Monzo lists only the last 90 days; asking for
 * more (or listing without `since`) fails with a `MonzoPermissionsError` whose `reason` is
 * `verification_required`. Fetch older history in the first 5 minutes, or pass a `since`
 * within 89 days.
 *
 * @example
 * ```ts
 * import type { Monzo } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const since = new Date(Date.now() - 7 * 86_400_000);
 * for await (const tx of monzo.transactions.iterate("acc_123", { since, expandMerchant: true })) {
 *   console.log(tx.created, tx.amount, tx.description);
 * }
 * ```
 */
export class TransactionsApi {
  #auth: Authentication;

  /**
   * Created by `Monzo`; use `monzo.transactions`.
   *
   * @param auth The login to send requests with.
   */
  constructor(auth: Authentication) {
    this.#auth = auth;
  }

  /**
   * Reads one transaction.
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * const tx = await monzo.transactions.get("tx_123", { expandMerchant: true });
   * ```
   *
   * @param transactionId The transaction (`tx_…`).
   * @param options Whether to inline the merchant, and an abort signal.
   * @returns The transaction.
   * @throws {MonzoArgumentError} When `transactionId` is not a valid id.
   * @throws {MonzoHTTPError} With status 404 when there is no such transaction.
   */
  get(transactionId: string, options?: GetTransactionOptions): Promise<Transaction> {
    return call(this.#auth, "GET", TransactionBodySchema, () => {
      const path = `/transactions/${checkId(transactionId, "transactionId")}`;
      const { expandMerchant, signal } = checkOptions(options);
      return [path, { query: { expand: expandMerchant ? EXPAND_MERCHANT : undefined }, signal }];
    }, "transaction");
  }

  /**
   * Reads one page of an account's transactions, oldest first. Monzo's default page is 30;
   * see {@link iterate} for every page.
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * const page = await monzo.transactions.list("acc_123", {
   *   since: "2026-05-01T00:00:00Z",
   *   before: new Date("2026-06-01T00:00:00Z"),
   *   limit: 100,
   * });
   * ```
   *
   * @param accountId The account (`acc_…`).
   * @param options Bounds, page size, merchant expansion and an abort signal.
   * @returns The page, in ascending `created` order.
   * @throws {MonzoArgumentError} When an argument is invalid (`options.limit` outside 1..100,
   * an unparsable `options.since`, ...).
   * @throws {MonzoPermissionsError} With `reason` `verification_required` when the page
   * reaches past the 90-day window.
   */
  list(accountId: string, options?: ListTransactionsOptions): Promise<Transaction[]> {
    return call(this.#auth, "GET", TransactionsSchema, () => {
      const [query, signal] = pageQuery(accountId, options);
      return ["/transactions", { query, signal }];
    }, "transactions");
  }

  /**
   * Every transaction from `since` (or the account's creation, read from `GET /accounts`) to
   * `before` (or now), oldest first, fetched a page at a time (`limit`, default 100) as the
   * loop goes: each next page starts after the last transaction seen, so there are no gaps or
   * duplicates. Spans longer than a year are read in windows of 364 days (Monzo refuses
   * more than 365 days in one request; with `since` as an id, the first window runs to
   * `before`). Outside the 5 minutes after a login, Monzo lists 89 days back only. The next page
   * is requested as soon as a page arrives, so at most two pages are held in memory. Breaking
   * out of the loop stops fetching (and cancels the page requested ahead).
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * let spent = 0;
   * const since = new Date(Date.now() - 30 * 86_400_000);
   * for await (const tx of monzo.transactions.iterate("acc_123", { since })) {
   *   if (tx.amount < 0 && !tx.decline_reason) spent -= tx.amount;
   * }
   * ```
   *
   * @param accountId The account (`acc_…`).
   * @param options The same options as {@link list}; `limit` is the page size.
   * @returns An async iterable of the transactions.
   * @throws {MonzoArgumentError} At once, when an argument is invalid.
   */
  iterate(accountId: string, options?: ListTransactionsOptions): AsyncIterable<Transaction> {
    const [query, signal] = pageQuery(accountId, options);
    const limit = query.limit ??= PAGE_SIZE;
    const page = (since: string | undefined, before: string | undefined, cancel: AbortSignal) =>
      this.#auth.request("GET", "/transactions", {
        query: { ...query, since, before },
        signal: signal ? AbortSignal.any([signal, cancel]) : cancel,
      });
    const { since, before } = query;
    const startMs = since === undefined
      ? () => this.#createdOf(query.account_id, signal)
      : since.startsWith("tx_")
      ? undefined
      : () => Promise.resolve(Date.parse(since));
    const end = before === undefined ? undefined : Date.parse(before);
    return {
      [Symbol.asyncIterator]: () => new Pager(page, { since, before, startMs, end, limit }),
    };
  }

  /**
   * Sweeps an account's transactions in steps: the first call reads its history (older than
   * 89 days first, oldest first, in windows Monzo accepts) while Monzo's 5-minute window
   * after the login's approval is open; every later call reads what is new, re-reads the
   * last `windowDays` (settlements, amount changes, edits, backdated inserts) and, every
   * `sweepEveryDays`, the whole readable 89 days. It returns what was `added`, `modified` and
   * `removed` (removals are confirmed by a 404), and a `cursor` to store with the data and
   * pass to the next call; call again while `hasMore`. The same call with the same cursor
   * gives the same changes, so applying a step twice is harmless. Webhooks are only a reason
   * to call it sooner. `TransactionSyncer` (`@monzo-api/client/sync`) drives it into a store.
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * declare const saved: string | null;
   * let result;
   * do {
   *   result = await monzo.transactions.sync("acc_123", { cursor: result?.cursor ?? saved });
   *   // Save result.added, result.modified, result.removed and result.cursor together.
   * } while (result.hasMore);
   * console.log(result.coverage); // { from: "2022-…", complete: true }
   * ```
   *
   * @param accountId The account (`acc_…`), or a pot's own account (`pot_account_id`, 90
   * days only).
   * @param options The cursor of the last step, the re-read window, the sweep interval,
   * and what a back-fill may spend.
   * @returns One step of changes, the next cursor and the coverage.
   * @throws {MonzoArgumentError} Before any request, when an option or the cursor is invalid
   * (or the cursor belongs to another account).
   */
  async sync(accountId: string, options?: SyncOptions): Promise<SyncResult> {
    const { syncAccount } = await import("../sync/engine.ts");
    return await syncAccount(this.#auth, accountId, options);
  }

  /** The account's creation (epoch ms); for an unknown (pot) account, 89 days ago. */
  async #createdOf(accountId: string, signal: AbortSignal | undefined): Promise<number> {
    const { accounts } = await call(this.#auth, "GET", AccountsSchema, () => [
      "/accounts",
      { signal },
    ]);
    const account = accounts.find((a) => a.id === accountId);
    return account ? Date.parse(account.created) : Date.now() - 89 * DAY_MS;
  }

  /**
   * Sets annotations (`metadata`) on a transaction; an empty string deletes a key. Setting
   * `notes` also sets the transaction's top-level `notes`.
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * const tx = await monzo.transactions.annotate("tx_123", { notes: "Team lunch", project: "" });
   * console.log(tx.metadata?.notes);
   * ```
   *
   * @param transactionId The transaction (`tx_…`).
   * @param metadata Keys to set (string values; `""` deletes the key).
   * @param options An abort signal.
   * @returns The transaction with its updated metadata.
   * @throws {MonzoArgumentError} When the id is invalid, `metadata` is empty or a value is not a
   * string.
   */
  annotate(
    transactionId: string,
    metadata: Record<string, string>,
    options?: CallOptions,
  ): Promise<Transaction> {
    return call(this.#auth, "PATCH", TransactionBodySchema, () => {
      const path = `/transactions/${checkId(transactionId, "transactionId")}`;
      const form = { metadata: checkMetadata(metadata, "metadata") };
      return [path, { form, signal: checkOptions(options).signal }];
    }, "transaction");
  }
}

/** Sends the request of one page (its body unchecked). */
type PageRequest = (
  since: string | undefined,
  before: string | undefined,
  cancel: AbortSignal,
) => Promise<unknown>;

/** Where `iterate` starts and ends. */
interface Span {
  since: string | undefined;
  before: string | undefined;
  /** The start (epoch ms), to cut the span into windows Monzo accepts; none for an id. */
  startMs: (() => Promise<number>) | undefined;
  /** The end (epoch ms), none for now. */
  end: number | undefined;
  limit: number;
}

/**
 * Walks the pages of `iterate`, one transaction per `next()`. The span is cut into windows of
 * at most 364 days (Monzo refuses more than 365 between `since` and `before`), each paged
 * with `since=<last id>`. The next page is requested as soon as a page arrives, before that
 * page is checked, so that its round trip overlaps the check and the loop's work on this one
 * (two pages at most are held); `return()` (leaving the loop early) cancels it. Items are
 * handed out of the page in hand without an async generator's per-item machinery.
 */
class Pager implements AsyncIterator<Transaction> {
  #fetch: PageRequest;
  #span: Span;
  #cancel = new AbortController();
  #page: Transaction[] = [];
  #index = 0;
  #ahead: Promise<unknown> | undefined;
  #turning: Promise<IteratorResult<Transaction>> | undefined;
  /** The `before` of the window being read. */
  #before: string | undefined;
  /** The end of the window being read, when another window follows it. */
  #windowEnd: number | undefined;

  constructor(fetch: PageRequest, span: Span) {
    this.#fetch = fetch;
    this.#span = span;
    const { startMs } = span;
    this.#ahead = this.#guard(
      startMs
        ? startMs().then((ms) => this.#window(ms, span.since ?? new Date(ms).toISOString()))
        : this.#request(span.since, span.before),
    );
  }

  next(): Promise<IteratorResult<Transaction>> {
    if (this.#index < this.#page.length) {
      return Promise.resolve({ value: this.#page[this.#index++], done: false });
    }
    return this.#turning ??= this.#turn().finally(() => this.#turning = undefined);
  }

  return(): Promise<IteratorResult<Transaction>> {
    this.#finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Waits for the page requested ahead, requests the one after it, and hands out its first. */
  async #turn(): Promise<IteratorResult<Transaction>> {
    while (this.#index >= this.#page.length) {
      if (!this.#ahead) return { value: undefined, done: true };
      try {
        const body = await this.#ahead;
        // The next page's cursor, read before the check (which cancels it on a mismatch).
        const list = (body as { transactions?: unknown } | null)?.transactions;
        const full = Array.isArray(list) && list.length >= this.#span.limit;
        const last = full ? (list[list.length - 1] as { id?: unknown } | null)?.id : undefined;
        const next = this.#windowEnd;
        this.#ahead = typeof last === "string"
          ? this.#guard(this.#request(last, this.#before))
          : !full && next !== undefined
          ? this.#guard(this.#window(next, new Date(next).toISOString()))
          : undefined;
        this.#page = parse(TransactionsSchema, body, "GET /transactions").transactions;
        this.#index = 0;
      } catch (error) {
        this.#finish();
        throw error;
      }
    }
    return { value: this.#page[this.#index++], done: false };
  }

  /** Requests the first page of the window starting at `startMs`. */
  #window(startMs: number, since: string): Promise<unknown> {
    const end = startMs + WINDOW_MS;
    const last = end >= (this.#span.end ?? Date.now());
    this.#windowEnd = last ? undefined : end;
    return this.#request(since, last ? this.#span.before : new Date(end).toISOString());
  }

  #request(since: string | undefined, before: string | undefined): Promise<unknown> {
    this.#before = before;
    return this.#fetch(since, before, this.#cancel.signal);
  }

  /** Its failure is thrown when the loop reaches it, not reported as unhandled before. */
  #guard(page: Promise<unknown>): Promise<unknown> {
    page.catch(() => {});
    return page;
  }

  #finish(): void {
    if (this.#ahead) this.#cancel.abort();
    this.#ahead = undefined;
    this.#page = [];
    this.#index = 0;
  }
}

/** Checks the arguments of `list` and `iterate` and builds the query of the first page. */
function pageQuery(
  accountId: string,
  options: ListTransactionsOptions | undefined,
): [PageQuery, AbortSignal | undefined] {
  const query: PageQuery = { account_id: checkId(accountId, "accountId") };
  const { since, before, limit, expandMerchant, signal } = checkOptions(options);
  query.since = checkTime(since, "options.since", true);
  query.before = checkTime(before, "options.before", false);
  query.limit = checkLimit(limit, "options.limit");
  if (expandMerchant) query.expand = EXPAND_MERCHANT;
  return [query, signal];
}
