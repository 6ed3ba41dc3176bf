// `monzo.balance`: GET /balance.

import type { Authentication } from "../authentication.ts";
import type { Balance, CallOptions } from "../models.ts";
import { BalanceSchema } from "../_schemas.ts";
import { checkId, checkOptions } from "../_validate.ts";
import { call } from "./_call.ts";

/**
 * Account balances: `monzo.balance`.
 *
 * @example
 * ```ts
 * import type { Monzo } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const { balance, total_balance } = await monzo.balance.get("acc_123");
 * ```
 */
export class BalanceApi {
  #auth: Authentication;

  /**
   * Created by `Monzo`; use `monzo.balance`.
   *
   * @param auth The login to send requests with.
   */
  constructor(auth: Authentication) {
    this.#auth = auth;
  }

  /**
   * Reads an account's balance (pending transactions included).
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * const balance = await monzo.balance.get("acc_123");
   * console.log(balance.balance, balance.currency, balance.spend_today);
   * ```
   *
   * @param accountId The account (`acc_…`).
   * @param options An abort signal.
   * @returns The balance, in minor units.
   * @throws {MonzoArgumentError} When `accountId` is not a valid id.
   * @throws {MonzoHTTPError} When Monzo does not know the account.
   */
  get(accountId: string, options?: CallOptions): Promise<Balance> {
    return call(this.#auth, "GET", BalanceSchema, () => {
      const query = { account_id: checkId(accountId, "accountId") };
      return ["/balance", { query, signal: checkOptions(options).signal }];
    });
  }
}
