// The valibot schemas of Monzo's responses (private: JSR wants plain interfaces in the public
// API) and `parse`, which turns the first mismatch into a MonzoResponseError with its path.
//
// Kept cheap on purpose: no transforms, no regexes; timestamps are checked to be strings only.
// Only the fields Monzo documents are checked. Fields merely observed in real responses are
// typed in the models but not checked here, so that drift in an undocumented field never
// breaks a call. Each schema is typed against its model, so the two cannot disagree.

import * as v from "valibot";
import { MonzoResponseError } from "./errors.ts";
import type {
  Account,
  Attachment,
  Balance,
  Merchant,
  Pot,
  Receipt,
  ReceiptItem,
  Transaction,
  Webhook,
  WebhookEvent,
  WhoAmI,
} from "./models.ts";

/** A schema whose output is the model `T`. */
export type Schema<T> = v.GenericSchema<unknown, T>;

const str = v.string();
const num = v.number();
const bool = v.boolean();
const optStr = v.optional(str);
const optNum = v.optional(num);
const optBool = v.optional(bool);

/** Parse options: only the first issue is reported, so stop at it. */
const CONFIG = { abortEarly: true, abortPipeEarly: true } as const;

export const WhoAmISchema: Schema<WhoAmI> = v.looseObject({
  authenticated: bool,
  client_id: str,
  user_id: str,
});

const AccountSchema: Schema<Account> = v.looseObject({ id: str, description: str, created: str });

export const AccountsSchema: Schema<{ accounts: Account[] }> = v.object({
  accounts: v.array(AccountSchema),
});

export const BalanceSchema: Schema<Balance> = v.looseObject({
  balance: num,
  total_balance: num,
  currency: str,
  spend_today: num,
});

export const PotSchema: Schema<Pot> = v.looseObject({
  id: str,
  name: str,
  style: str,
  balance: num,
  currency: str,
  created: str,
  updated: str,
  deleted: bool,
});

export const PotsSchema: Schema<{ pots: Pot[] }> = v.object({ pots: v.array(PotSchema) });

const MerchantSchema: Schema<Merchant> = v.looseObject({
  id: str,
  group_id: optStr,
  name: optStr,
  logo: optStr,
  emoji: optStr,
  category: optStr,
  created: optStr,
  address: v.optional(v.looseObject({
    address: optStr,
    city: optStr,
    region: optStr,
    country: optStr,
    postcode: optStr,
    latitude: optNum,
    longitude: optNum,
  })),
});

const AttachmentSchema: Schema<Attachment> = v.looseObject({
  id: str,
  external_id: str,
  file_url: str,
  file_type: str,
  created: str,
  user_id: optStr,
});

const TransactionSchema: Schema<Transaction> = v.looseObject({
  id: str,
  amount: num,
  currency: str,
  created: str,
  description: str,
  merchant: v.nullish(v.lazy((input) => typeof input === "string" ? str : MerchantSchema)),
  metadata: v.optional(v.record(str, str)),
  notes: optStr,
  is_load: optBool,
  settled: optStr,
  category: optStr,
  decline_reason: optStr,
});

export const TransactionBodySchema: Schema<{ transaction: Transaction }> = v.object({
  transaction: TransactionSchema,
});

export const TransactionsSchema: Schema<{ transactions: Transaction[] }> = v.object({
  transactions: v.array(TransactionSchema),
});

export const UploadSchema: Schema<{ file_url: string; upload_url: string }> = v.object({
  file_url: str,
  upload_url: str,
});

export const AttachmentBodySchema: Schema<{ attachment: Attachment }> = v.object({
  attachment: AttachmentSchema,
});

const lineEntries = { amount: num, currency: str };
const itemEntries = {
  ...lineEntries,
  description: str,
  quantity: optNum,
  unit: optStr,
  tax: optNum,
};

const ReceiptItemSchema: Schema<ReceiptItem> = v.looseObject({
  ...itemEntries,
  sub_items: v.optional(v.array(v.looseObject(itemEntries))),
});

const ReceiptSchema: Schema<Receipt> = v.looseObject({
  id: optStr,
  transaction_id: str,
  external_id: str,
  total: num,
  currency: str,
  items: v.array(ReceiptItemSchema),
  taxes: v.optional(
    v.array(v.looseObject({ ...lineEntries, description: str, tax_number: optStr })),
  ),
  payments: v.optional(v.array(v.looseObject({
    ...lineEntries,
    type: str,
    last_four: optStr,
    gift_card_type: optStr,
    bin: optStr,
    auth_code: optStr,
    aid: optStr,
    mid: optStr,
    tid: optStr,
  }))),
  merchant: v.optional(v.looseObject({
    name: optStr,
    online: optBool,
    phone: optStr,
    email: optStr,
    store_name: optStr,
    store_address: optStr,
    store_postcode: optStr,
  })),
});

export const ReceiptBodySchema: Schema<{ receipt: Receipt }> = v.object({ receipt: ReceiptSchema });

const WebhookSchema: Schema<Webhook> = v.looseObject({ id: str, account_id: str, url: str });

export const WebhookBodySchema: Schema<{ webhook: Webhook }> = v.object({
  webhook: WebhookSchema,
});

export const WebhooksSchema: Schema<{ webhooks: Webhook[] }> = v.object({
  webhooks: v.array(WebhookSchema),
});

export const WebhookEventSchema: Schema<WebhookEvent> = v.looseObject({
  type: v.literal("transaction.created"),
  data: TransactionSchema,
});

/**
 * Checks `value` against `schema` and returns it typed.
 *
 * @param label Where the value came from, for the message (`GET /balance`).
 * @throws {MonzoResponseError} Naming the first bad field, with its dotted `path`.
 */
export function parse<T>(schema: Schema<T>, value: unknown, label: string): T {
  const result = v.safeParse(schema, value, CONFIG);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = v.getDotPath(issue) ?? "";
  const problem = issue.input === undefined && issue.kind === "schema" && path
    ? "is missing"
    : `expected ${issue.expected}, received ${
      issue.received.length > 60 ? `${issue.received.slice(0, 57)}...` : issue.received
    }`;
  throw new MonzoResponseError(`${label}: ${path || "body"} ${problem}`, { path });
}
