/**
 * Transaction sync: a copy of an account's whole history, kept in step with every change
 * Monzo makes to it (settlements with new amounts, edits, backdated inserts, removals).
 *
 * - `monzo.transactions.sync(accountId, { cursor })` (main entry) returns one step of changes
 *   and the cursor to store with them.
 * - {@link TransactionSyncer} drives it into a {@link SyncStore}: {@link MemorySyncStore}
 *   here, `SqliteSyncStore` in `@monzo-api/client/sync/sqlite`.
 *
 * @example Back-fill right after the login, then keep up
 * ```ts
 * import type { Monzo } from "@monzo-api/client";
 * import { MemorySyncStore, TransactionSyncer } from "@monzo-api/client/sync";
 * declare const monzo: Monzo;
 * const store = new MemorySyncStore();
 * const syncer = new TransactionSyncer(monzo, store);
 * await syncer.syncAll(); // the moment the user approves: the whole history
 * setInterval(() => syncer.syncAll(), 3_600_000); // then every hour
 * ```
 *
 * @module
 */

export { MemorySyncStore } from "./memory_store.ts";
export type {
  ChangeRecord,
  ChangesQuery,
  SyncStoreOptions,
  TransactionsQuery,
} from "./memory_store.ts";
export { transactionStatus } from "./fingerprint.ts";
export { type SyncSummary, TransactionSyncer, type TransactionSyncerOptions } from "./syncer.ts";
export type * from "./types.ts";
export type {
  Attachment,
  Merchant,
  MerchantAddress,
  OtherWebhookEvent,
  Transaction,
  TransactionCreatedEvent,
  WebhookEvent,
} from "../models.ts";
