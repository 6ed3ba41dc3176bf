// `monzo.transactions`: GET /transactions/{id}, GET /transactions (one page, or every page),
// PATCH /transactions/{id}.

import type { Authentication } from "../authentication.ts";
import type {
  CallOptions,
  GetTransactionOptions,
  ListTransactionsOptions,
  Transaction,
} from "../models.ts";
import { parse, TransactionBodySchema, TransactionsSchema } from "../_schemas.ts";
import { checkId, checkLimit, checkMetadata, checkOptions, checkTime } from "../_validate.ts";
import { call } from "./_call.ts";

const PAGE_SIZE = 100;
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
   * Every transaction from `since` (or the start of history) to `before` (or now), oldest
   * first, fetched a page at a time (`limit`, default 100) as the loop goes: each next page
   * starts after the last transaction seen, so there are no gaps or duplicates. The next page
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
    query.limit ??= PAGE_SIZE;
    const page = (since: string | undefined, cancel: AbortSignal) =>
      this.#auth.request("GET", "/transactions", {
        query: { ...query, since },
        signal: signal ? AbortSignal.any([signal, cancel]) : cancel,
      });
    return { [Symbol.asyncIterator]: () => new Pager(page, query.since, query.limit!) };
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

  #page(query: PageQuery, signal: AbortSignal | undefined): Promise<Transaction[]> {
    return call(
      this.#auth,
      "GET",
      TransactionsSchema,
      () => ["/transactions", { query, signal }],
      "transactions",
    );
  }
}

/** Sends the request of one page (its body unchecked). */
type PageRequest = (since: string | undefined, cancel: AbortSignal) => Promise<unknown>;

/**
 * Walks the pages of `iterate`, one transaction per `next()`. The next page is requested as
 * soon as a page arrives, before that page is checked, so that its round trip overlaps the
 * check and the loop's work on this one (two pages at most are held); `return()` (leaving the
 * loop early) cancels it. Items are handed out of the page in hand without an async
 * generator's per-item machinery.
 */
class Pager implements AsyncIterator<Transaction> {
  #fetch: PageRequest;
  #limit: number;
  #cancel = new AbortController();
  #page: Transaction[] = [];
  #index = 0;
  #ahead: Promise<unknown> | undefined;
  #turning: Promise<IteratorResult<Transaction>> | undefined;

  constructor(
    fetch: PageRequest,
    since: string | undefined,
    limit: number,
  ) {
    this.#fetch = fetch;
    this.#limit = limit;
    this.#ahead = this.#request(since);
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
        const last = Array.isArray(list) && list.length >= this.#limit
          ? (list[list.length - 1] as { id?: unknown } | null)?.id
          : undefined;
        this.#ahead = typeof last === "string" ? this.#request(last) : undefined;
        this.#page = parse(TransactionsSchema, body, "GET /transactions").transactions;
        this.#index = 0;
      } catch (error) {
        this.#finish();
        throw error;
      }
    }
    return { value: this.#page[this.#index++], done: false };
  }

  #request(since: string | undefined): Promise<unknown> {
    const page = this.#fetch(since, this.#cancel.signal);
    // Its failure is thrown when the loop reaches it, not reported as unhandled before.
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
