// Building transaction records and rendering them as API JSON.
import type { Random } from "./_random.ts";
import { iso } from "./_time.ts";
import type { Merchant } from "./models.ts";
import type { EmulatorTransaction } from "./types.ts";

/** What varies between transactions; everything else gets Monzo's usual values. */
export interface TransactionSpec {
  accountId: string;
  userId: string;
  createdMs: number;
  amount: number;
  description: string;
  merchant: Merchant | null;
  category: string;
  /** Settlement time (in the future on transfers, the creation time on declines), or null while pending. */
  settledMs: number | null;
  /** `updated`; default `settledMs` when set, else `createdMs`. */
  updatedMs?: number;
  /** A pre-authorisation whose amount may still change (`amount_is_pending`). */
  amountIsPending?: boolean;
  scheme: string;
  declineReason?: string;
  counterparty?: Record<string, string>;
  metadata?: Record<string, string>;
  isLoad?: boolean;
  includeInSpending?: boolean;
}

/**
 * A transaction as the ledger keeps it: the spec and id, and the full record, which is
 * built on first use so that a big seeded history costs little.
 */
export interface Entry extends TransactionSpec {
  id: string;
  tx?: EmulatorTransaction;
}

/**
 * A new entry with a time-sorted id: from `idMs` when given (a backdated insert gets the id of
 * its insertion instant, as Monzo's offline payments do), else from its creation time.
 */
export function newEntry(rng: Random, spec: TransactionSpec, idMs = spec.createdMs): Entry {
  const entry = spec as Entry;
  entry.id = rng.id("tx", idMs);
  return entry;
}

/** The full transaction record of an entry (built once). */
export function materialize(entry: Entry): EmulatorTransaction {
  return entry.tx ??= buildTransaction(entry);
}

function buildTransaction(spec: Entry): EmulatorTransaction {
  const id = spec.id;
  const created = iso(spec.createdMs);
  const card = spec.scheme === "mastercard";
  const tx: EmulatorTransaction = {
    id,
    account_id: spec.accountId,
    user_id: spec.userId,
    amount: spec.amount,
    currency: "GBP",
    local_amount: spec.amount,
    local_currency: "GBP",
    created,
    updated: iso(spec.updatedMs ?? spec.settledMs ?? spec.createdMs),
    settled: spec.settledMs === null ? "" : iso(spec.settledMs),
    description: spec.description,
    merchant: spec.merchant?.id ?? null,
    category: spec.category,
    categories: { [spec.category]: spec.amount },
    notes: "",
    metadata: spec.metadata ?? {},
    is_load: spec.isLoad ?? false,
    scheme: spec.scheme,
    dedupe_id: `${spec.scheme}:${id.slice(3)}`,
    originator: spec.amount < 0,
    include_in_spending: spec.includeInSpending ?? spec.amount < 0,
    amount_is_pending: spec.amountIsPending ?? false,
    can_add_to_tab: card,
    can_be_excluded_from_breakdown: true,
    can_be_made_subscription: card,
    can_match_transactions_in_categorization: true,
    can_split_the_bill: card && spec.amount < 0,
    counterparty: spec.counterparty ?? {},
    fees: {},
    attachments: [],
    labels: null,
    international: null,
    atm_fees_detailed: null,
    parent_account_id: "",
  };
  if (spec.declineReason !== undefined) tx.decline_reason = spec.declineReason;
  return tx;
}

/** The API view of a transaction: a copy, with the merchant inlined when `expand` is set. */
export function renderTransaction(
  tx: EmulatorTransaction,
  merchants: ReadonlyMap<string, Merchant>,
  expand: boolean,
): Record<string, unknown> {
  if (!expand || tx.merchant === null) return { ...tx };
  return { ...tx, merchant: merchants.get(tx.merchant) ?? null };
}

/** A change made by a test hook ({@link applyChange}). */
export interface EntryChange {
  amount?: number;
  settledMs?: number | null;
  description?: string;
  category?: string;
  notes?: string;
  metadata?: Record<string, string>;
  declineReason?: string | null;
  amountIsPending?: boolean;
}

/**
 * Applies a change to an entry and its record, keeping both consistent, and bumps `updated`.
 * Returns how much the account's balance moves.
 */
export function applyChange(entry: Entry, change: EntryChange, nowMs: number): number {
  const tx = materialize(entry);
  const counted = (e: Entry) => e.declineReason === undefined ? e.amount : 0;
  const before = counted(entry);
  if (change.amount !== undefined) {
    entry.amount = change.amount;
    tx.amount = tx.local_amount = change.amount;
  }
  if (change.category !== undefined) entry.category = tx.category = change.category;
  if (change.amount !== undefined || change.category !== undefined) {
    tx.categories = { [entry.category]: entry.amount };
  }
  if (change.settledMs !== undefined) {
    entry.settledMs = change.settledMs;
    tx.settled = change.settledMs === null ? "" : iso(change.settledMs);
  }
  if (change.description !== undefined) entry.description = tx.description = change.description;
  if (change.notes !== undefined) tx.notes = change.notes;
  if (change.metadata !== undefined) {
    const metadata = { ...tx.metadata };
    for (const [key, value] of Object.entries(change.metadata)) {
      if (value === "") delete metadata[key];
      else metadata[key] = value;
    }
    entry.metadata = tx.metadata = metadata;
  }
  if (change.declineReason === null) {
    delete entry.declineReason;
    delete tx.decline_reason;
  } else if (change.declineReason !== undefined) {
    entry.declineReason = tx.decline_reason = change.declineReason;
  }
  if (change.amountIsPending !== undefined) {
    entry.amountIsPending = tx.amount_is_pending = change.amountIsPending;
  }
  entry.updatedMs = nowMs;
  tx.updated = iso(nowMs);
  return counted(entry) - before;
}
