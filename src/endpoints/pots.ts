// `monzo.pots`: GET /pots, PUT /pots/{id}/deposit, PUT /pots/{id}/withdraw.

import type { Authentication } from "../authentication.ts";
import type { CallOptions, Pot, PotDepositOptions, PotWithdrawOptions } from "../models.ts";
import { PotSchema, PotsSchema } from "../_schemas.ts";
import { checkAmount, checkId, checkObject, checkOptions, checkText } from "../_validate.ts";
import { call } from "./_call.ts";

/**
 * Savings pots and moving money in and out of them: `monzo.pots`.
 *
 * @example
 * ```ts
 * import type { Monzo } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const [pot] = await monzo.pots.list("acc_123");
 * await monzo.pots.deposit(pot.id, { sourceAccountId: "acc_123", amount: 500, dedupeId: "round-up-tx_9" });
 * ```
 */
export class PotsApi {
  #auth: Authentication;

  /**
   * Created by `Monzo`; use `monzo.pots`.
   *
   * @param auth The login to send requests with.
   */
  constructor(auth: Authentication) {
    this.#auth = auth;
  }

  /**
   * Lists the pots of an account (deleted pots may be included: check `deleted`).
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * for (const pot of await monzo.pots.list("acc_123")) console.log(pot.name, pot.balance);
   * ```
   *
   * @param accountId The current account the pots belong to (`acc_…`).
   * @param options An abort signal.
   * @returns The pots.
   * @throws {MonzoArgumentError} When `accountId` is not a valid id.
   */
  list(accountId: string, options?: CallOptions): Promise<Pot[]> {
    return call(this.#auth, "GET", PotsSchema, () => {
      const query = { current_account_id: checkId(accountId, "accountId") };
      return ["/pots", { query, signal: checkOptions(options).signal }];
    }, "pots");
  }

  /**
   * Moves money from an account into a pot. Safe to retry: Monzo moves the money once per
   * `dedupeId`, so the request is retried after a dropped connection or a 5xx. Keep the
   * `dedupeId` stable for one logical move (derive it from what the move is for); a fresh
   * one per call would let a retry or a re-run move the money twice.
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * const pot = await monzo.pots.deposit("pot_123", {
   *   sourceAccountId: "acc_123",
   *   amount: 2500, // £25.00
   *   dedupeId: "monthly-saving-2026-05",
   * });
   * console.log(pot.balance);
   * ```
   *
   * @param potId The pot (`pot_…`).
   * @param options The source account, the amount in minor units and the dedupe id.
   * @returns The pot after the deposit.
   * @throws {MonzoArgumentError} When an id, the amount or the dedupe id is invalid.
   */
  deposit(potId: string, options: PotDepositOptions): Promise<Pot> {
    return call(this.#auth, "PUT", PotSchema, () => {
      const path = `/pots/${checkId(potId, "potId")}/deposit`;
      const { sourceAccountId, amount, dedupeId, signal } = checkObject(options, "options");
      const form = {
        source_account_id: checkId(sourceAccountId, "options.sourceAccountId"),
        ...move(amount, dedupeId),
      };
      return [path, { form, signal, idempotent: true }];
    });
  }

  /**
   * Moves money from a pot back to an account. Safe to retry, like {@link deposit}; keep the
   * `dedupeId` stable for one logical move. Pots with "added security" refuse withdrawals
   * through the API (the user must use the app).
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * await monzo.pots.withdraw("pot_123", {
   *   destinationAccountId: "acc_123",
   *   amount: 1000,
   *   dedupeId: "holiday-refund-2026-05",
   * });
   * ```
   *
   * @param potId The pot (`pot_…`).
   * @param options The destination account, the amount in minor units and the dedupe id.
   * @returns The pot after the withdrawal.
   * @throws {MonzoArgumentError} When an id, the amount or the dedupe id is invalid.
   * @throws {MonzoPermissionsError} When the pot is locked or has added security.
   */
  withdraw(potId: string, options: PotWithdrawOptions): Promise<Pot> {
    return call(this.#auth, "PUT", PotSchema, () => {
      const path = `/pots/${checkId(potId, "potId")}/withdraw`;
      const { destinationAccountId, amount, dedupeId, signal } = checkObject(options, "options");
      const form = {
        destination_account_id: checkId(destinationAccountId, "options.destinationAccountId"),
        ...move(amount, dedupeId),
      };
      return [path, { form, signal, idempotent: true }];
    });
  }
}

/** The form fields every pot move has. */
function move(amount: unknown, dedupeId: unknown): { amount: number; dedupe_id: string } {
  return {
    amount: checkAmount(amount, "options.amount"),
    dedupe_id: checkText(dedupeId, "options.dedupeId"),
  };
}
