// Short content hashes of transactions: what lets a sync tell "changed" from "seen" without
// reading the store, and a store skip unchanged rows.
import type { Transaction } from "../models.ts";
import type { TransactionStatus } from "./types.ts";

/** The fields `modified` names one by one; anything else is reported as `other`. */
export const TRACKED_FIELDS = [
  "amount",
  "settled",
  "decline_reason",
  "notes",
  "category",
  "metadata",
  "description",
  "merchant",
  "local_amount",
  "counterparty",
  "attachments",
] as const;

/** FNV-1a, 32 bits, over UTF-16 code units. */
function fnv(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}

/** The transaction with an expanded merchant reduced to its id (merchant data drifts). */
export function withMerchantId(tx: Transaction): Transaction {
  const merchant = tx.merchant;
  return merchant !== null && typeof merchant === "object" ? { ...tx, merchant: merchant.id } : tx;
}

/** A hash of the whole transaction (merchant as its id), 8 hex digits. */
export function contentHash(tx: Transaction): string {
  return fnv(JSON.stringify(withMerchantId(tx))).toString(16).padStart(8, "0");
}

/**
 * The content hash followed by two base-36 digits per tracked field: enough to name the
 * fields that changed (a clash in one field's digits is still caught by the whole hash).
 */
export function fingerprint(tx: Transaction): string {
  let out = contentHash(tx);
  const record = tx as unknown as Record<string, unknown>;
  for (const field of TRACKED_FIELDS) {
    const value = field === "merchant" ? merchantId(tx) : record[field];
    out += (fnv(JSON.stringify(value ?? null)) % 1296).toString(36).padStart(2, "0");
  }
  return out;
}

/** The fields that differ between two fingerprints; `[]` when they are equal. */
export function changedFields(before: string, after: string): string[] {
  if (before === after) return [];
  const changed: string[] = [];
  TRACKED_FIELDS.forEach((field, i) => {
    const at = 8 + 2 * i;
    if (before.slice(at, at + 2) !== after.slice(at, at + 2)) changed.push(field);
  });
  return changed.length > 0 ? changed : ["other"];
}

function merchantId(tx: Transaction): string | null {
  const merchant = tx.merchant;
  return merchant !== null && typeof merchant === "object" ? merchant.id : merchant ?? null;
}

/**
 * Where a transaction stands: declined, pending (`settled` is `""`) or settled.
 *
 * @example
 * ```ts
 * import { transactionStatus } from "@monzo-api/client/sync";
 * console.log(transactionStatus({ id: "tx_1", amount: -350, currency: "GBP",
 *   created: "2026-01-01T00:00:00Z", description: "Coffee", settled: "" })); // "pending"
 * ```
 *
 * @param tx A transaction as Monzo lists it.
 * @returns Its status.
 */
export function transactionStatus(tx: Transaction): TransactionStatus {
  if (tx.decline_reason) return "declined";
  return tx.settled ? "settled" : "pending";
}
