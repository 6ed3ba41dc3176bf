// `monzo.accounts`: GET /accounts.

import type { Authentication } from "../authentication.ts";
import type { Account, ListAccountsOptions } from "../models.ts";
import { AccountsSchema } from "../_schemas.ts";
import { checkOptions, checkText } from "../_validate.ts";
import { call } from "./_call.ts";

/**
 * The accounts of the logged-in user: `monzo.accounts`.
 *
 * @example
 * ```ts
 * import type { Monzo } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const [current] = await monzo.accounts.list({ accountType: "uk_retail" });
 * ```
 */
export class AccountsApi {
  #auth: Authentication;

  /**
   * Created by `Monzo`; use `monzo.accounts`.
   *
   * @param auth The login to send requests with.
   */
  constructor(auth: Authentication) {
    this.#auth = auth;
  }

  /**
   * Lists the user's accounts (closed ones included).
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * const open = (await monzo.accounts.list()).filter((account) => !account.closed);
   * ```
   *
   * @param options An account type to filter on, and an abort signal.
   * @returns The accounts.
   * @throws {MonzoArgumentError} When `options.accountType` is not a non-empty string.
   * @throws {MonzoPermissionsError} With `reason` `approval_pending` until the user approves
   * access in the Monzo app.
   */
  list(options?: ListAccountsOptions): Promise<Account[]> {
    return call(this.#auth, "GET", AccountsSchema, () => {
      const { accountType, signal } = checkOptions(options);
      if (accountType !== undefined) checkText(accountType, "options.accountType");
      return ["/accounts", { query: { account_type: accountType }, signal }];
    }, "accounts");
  }
}
