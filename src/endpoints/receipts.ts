// `monzo.receipts`: PUT, GET and DELETE /transaction-receipts.

import type { Authentication } from "../authentication.ts";
import type { CallOptions, Receipt } from "../models.ts";
import { ReceiptBodySchema } from "../_schemas.ts";
import { checkOptions, checkReceipt, checkText } from "../_validate.ts";
import { call } from "./_call.ts";

/**
 * Line-item receipts on transactions, keyed by your `external_id`: `monzo.receipts`.
 * A client can read and delete only the receipts it created.
 *
 * @example
 * ```ts
 * import type { Monzo } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const receipt = await monzo.receipts.get("order-1001");
 * console.log(receipt.items.map((item) => item.description));
 * ```
 */
export class ReceiptsApi {
  #auth: Authentication;

  /**
   * Created by `Monzo`; use `monzo.receipts`.
   *
   * @param auth The login to send requests with.
   */
  constructor(auth: Authentication) {
    this.#auth = auth;
  }

  /**
   * Creates a receipt, or replaces the one with the same `external_id`. It is sent as JSON,
   * exactly as given, and retried safely after a failure (the `external_id` makes it an
   * upsert).
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * await monzo.receipts.put({
   *   transaction_id: "tx_123",
   *   external_id: "order-1001",
   *   total: 1299,
   *   currency: "GBP",
   *   items: [
   *     { description: "Notebook", amount: 1083, currency: "GBP", quantity: 1 },
   *   ],
   *   taxes: [{ description: "VAT", amount: 216, currency: "GBP" }],
   *   payments: [{ type: "card", amount: 1299, currency: "GBP", last_four: "4242" }],
   *   merchant: { name: "Stationers", online: true },
   * });
   * ```
   *
   * @param receipt The receipt, in Monzo's JSON shape.
   * @param options An abort signal.
   * @throws {MonzoArgumentError} When a required field is missing or an amount is not an
   * integer of minor units (`total` must be positive).
   */
  async put(receipt: Receipt, options?: CallOptions): Promise<void> {
    const json = checkReceipt(receipt, "receipt");
    const { signal } = checkOptions(options);
    await this.#auth.request("PUT", "/transaction-receipts", { json, signal, idempotent: true });
  }

  /**
   * Reads a receipt this client created.
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * const receipt = await monzo.receipts.get("order-1001");
   * console.log(receipt.total, receipt.transaction_id);
   * ```
   *
   * @param externalId Your id of the receipt.
   * @param options An abort signal.
   * @returns The receipt.
   * @throws {MonzoArgumentError} When `externalId` is empty.
   * @throws {MonzoHTTPError} With status 404 when there is no such receipt.
   */
  get(externalId: string, options?: CallOptions): Promise<Receipt> {
    return call(this.#auth, "GET", ReceiptBodySchema, () => {
      const query = { external_id: checkText(externalId, "externalId") };
      return ["/transaction-receipts", { query, signal: checkOptions(options).signal }];
    }, "receipt");
  }

  /**
   * Deletes a receipt this client created.
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * await monzo.receipts.delete("order-1001");
   * ```
   *
   * @param externalId Your id of the receipt.
   * @param options An abort signal.
   * @throws {MonzoArgumentError} When `externalId` is empty.
   */
  async delete(externalId: string, options?: CallOptions): Promise<void> {
    const query = { external_id: checkText(externalId, "externalId") };
    const { signal } = checkOptions(options);
    await this.#auth.request("DELETE", "/transaction-receipts", { query, signal });
  }
}
