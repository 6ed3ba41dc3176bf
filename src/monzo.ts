/**
 * {@link Monzo}: the API client, one group of methods per area of the API.
 *
 * @module
 */

import type { Authentication } from "./authentication.ts";
import { MonzoArgumentError } from "./errors.ts";
import type { CallOptions, WhoAmI } from "./models.ts";
import { WhoAmISchema } from "./_schemas.ts";
import { checkOptions } from "./_validate.ts";
import { AccountsApi } from "./endpoints/accounts.ts";
import { AttachmentsApi } from "./endpoints/attachments.ts";
import { BalanceApi } from "./endpoints/balance.ts";
import { FeedApi } from "./endpoints/feed.ts";
import { PotsApi } from "./endpoints/pots.ts";
import { ReceiptsApi } from "./endpoints/receipts.ts";
import { TransactionsApi } from "./endpoints/transactions.ts";
import { WebhooksApi } from "./endpoints/webhooks.ts";
import { call } from "./endpoints/_call.ts";

export {
  AccountsApi,
  AttachmentsApi,
  BalanceApi,
  FeedApi,
  PotsApi,
  ReceiptsApi,
  TransactionsApi,
  WebhooksApi,
};

/**
 * The Monzo API, on top of an {@link Authentication} that keeps the login alive. Every
 * method checks its arguments before sending anything (throwing `MonzoArgumentError`),
 * checks the response's shape (throwing `MonzoResponseError` with the bad field's path) and
 * resolves to the unwrapped payload, in Monzo's JSON field names.
 *
 * @example
 * ```ts
 * import { Authentication, MemoryStorage, Monzo } from "@monzo-api/client";
 *
 * const auth = await Authentication.fromStorage(new MemoryStorage(), {
 *   clientId: "oauth2client_123",
 *   clientSecret: "secret",
 *   redirectUrl: "http://localhost:8000/callback",
 * });
 * const monzo = new Monzo(auth);
 * const [account] = await monzo.accounts.list({ accountType: "uk_retail" });
 * const balance = await monzo.balance.get(account.id);
 * const since = new Date(Date.now() - 7 * 86_400_000);
 * for await (const tx of monzo.transactions.iterate(account.id, { since })) {
 *   console.log(tx.created, tx.amount, tx.description);
 * }
 * ```
 */
export class Monzo {
  /** The login every request is sent with. */
  readonly auth: Authentication;
  /** `GET /accounts`. */
  readonly accounts: AccountsApi;
  /** `GET /balance`. */
  readonly balance: BalanceApi;
  /** `GET /pots`, pot deposits and withdrawals. */
  readonly pots: PotsApi;
  /** `GET /transactions` (one page or all), one transaction, annotations. */
  readonly transactions: TransactionsApi;
  /** `POST /feed`. */
  readonly feed: FeedApi;
  /** Attachment upload, register and deregister. */
  readonly attachments: AttachmentsApi;
  /** `PUT`, `GET` and `DELETE /transaction-receipts`. */
  readonly receipts: ReceiptsApi;
  /** Webhook create, list and delete. */
  readonly webhooks: WebhooksApi;

  /**
   * Creates the client. Nothing is sent until a method is called.
   *
   * @param auth The login, from `new Authentication(...)` or `Authentication.fromStorage`.
   * @throws {MonzoArgumentError} When `auth` is not an `Authentication`.
   */
  constructor(auth: Authentication) {
    if (typeof auth?.request !== "function") {
      throw new MonzoArgumentError("auth", "must be an Authentication");
    }
    this.auth = auth;
    this.accounts = new AccountsApi(auth);
    this.balance = new BalanceApi(auth);
    this.pots = new PotsApi(auth);
    this.transactions = new TransactionsApi(auth);
    this.feed = new FeedApi(auth);
    this.attachments = new AttachmentsApi(auth);
    this.receipts = new ReceiptsApi(auth);
    this.webhooks = new WebhooksApi(auth);
  }

  /**
   * Describes the access token: `GET /ping/whoami`.
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * const { authenticated, user_id } = await monzo.whoAmI();
   * ```
   *
   * @param options An abort signal.
   * @returns Whether the token is valid, and its client and user.
   */
  whoAmI(options?: CallOptions): Promise<WhoAmI> {
    return call(this.auth, "GET", WhoAmISchema, () => [
      "/ping/whoami",
      { signal: checkOptions(options).signal },
    ]);
  }
}
