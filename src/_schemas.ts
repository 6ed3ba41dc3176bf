// The valibot schemas of Monzo's responses (private: JSR wants plain interfaces in the public
// API), each with its check-only twin derived at load (`_check.ts`), and `parse`, which returns
// a conforming body as it is and turns the first mismatch into a MonzoResponseError with its
// path (valibot runs only then).
//
// Kept cheap on purpose: no transforms, no regexes; timestamps are checked to be strings only.
// Only the fields Monzo documents are checked. Fields merely observed in real responses are
// typed in the models but not checked here, so that drift in an undocumented field never
// breaks a call. Each schema is typed against its model, so the two cannot disagree.

import * as v from "valibot";
import { type Check, deriveCheck } from "./_check.ts";
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
  TransactionCreatedEvent,
  Webhook,
  WhoAmI,
} from "./models.ts";

/** A schema whose output is the model `T`. */
type Schema<T> = v.GenericSchema<unknown, T>;

/** A schema and its check, for `parse`. */
export interface Checked<T> {
  readonly schema: Schema<T>;
  readonly check: Check;
}

function checked<T>(schema: Schema<T>): Checked<T> {
  return { schema, check: deriveCheck(schema) };
}

const str = v.string();
const num = v.number();
const bool = v.boolean();
const optStr = v.optional(str);
const optNum = v.optional(num);
const optBool = v.optional(bool);

/** Parse options: only the first issue is reported, so stop at it. */
const CONFIG = { abortEarly: true, abortPipeEarly: true } as const;

export const WhoAmISchema: Checked<WhoAmI> = checked(v.looseObject({
  authenticated: bool,
  client_id: str,
  user_id: str,
}));

const AccountSchema: Schema<Account> = v.looseObject({ id: str, description: str, created: str });

export const AccountsSchema: Checked<{ accounts: Account[] }> = checked(v.object({
  accounts: v.array(AccountSchema),
}));

export const BalanceSchema: Checked<Balance> = checked(v.looseObject({
  balance: num,
  total_balance: num,
  currency: str,
  spend_today: num,
}));

const PotObject: Schema<Pot> = v.looseObject({
  id: str,
  name: str,
  style: str,
  balance: num,
  currency: str,
  created: str,
  updated: str,
  deleted: bool,
});

export const PotSchema: Checked<Pot> = checked(PotObject);

export const PotsSchema: Checked<{ pots: Pot[] }> = checked(v.object({ pots: v.array(PotObject) }));

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

export const TransactionBodySchema: Checked<{ transaction: Transaction }> = checked(v.object({
  transaction: TransactionSchema,
}));

export const TransactionsSchema: Checked<{ transactions: Transaction[] }> = checked(v.object({
  transactions: v.array(TransactionSchema),
}));

export const UploadSchema: Checked<{ file_url: string; upload_url: string }> = checked(v.object({
  file_url: str,
  upload_url: str,
}));

export const AttachmentBodySchema: Checked<{ attachment: Attachment }> = checked(v.object({
  attachment: AttachmentSchema,
}));

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

export const ReceiptBodySchema: Checked<{ receipt: Receipt }> = checked(
  v.object({ receipt: ReceiptSchema }),
);

const WebhookSchema: Schema<Webhook> = v.looseObject({ id: str, account_id: str, url: str });

export const WebhookBodySchema: Checked<{ webhook: Webhook }> = checked(v.object({
  webhook: WebhookSchema,
}));

export const WebhooksSchema: Checked<{ webhooks: Webhook[] }> = checked(v.object({
  webhooks: v.array(WebhookSchema),
}));

/** Any webhook event: a type, and data of any shape (Monzo may add event types). */
export const WebhookEnvelopeSchema: Checked<{ type: string; data: unknown }> = checked(
  v.looseObject({ type: str, data: v.unknown() }),
);

export const TransactionCreatedSchema: Checked<TransactionCreatedEvent> = checked(v.looseObject({
  type: v.literal("transaction.created"),
  data: TransactionSchema,
}));

/**
 * Checks `value` against a schema and returns it typed: the value itself when it conforms
 * (nothing is copied); otherwise valibot finds the first mismatch for the error.
 *
 * @param label Where the value came from, for the message (`GET /balance`).
 * @throws {MonzoResponseError} Naming the first bad field, with its dotted `path`.
 */
export function parse<T>(checked: Checked<T>, value: unknown, label: string): T {
  if (checked.check(value)) return value as T;
  const result = v.safeParse(checked.schema, value, CONFIG);
  // Unreachable while the check and valibot agree (tests/fast_check.test.ts proves they do).
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
