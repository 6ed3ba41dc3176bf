/**
 * The shapes of Monzo's JSON, with Monzo's own field names, and the options of every
 * `Monzo` method. Fields Monzo's docs promise are required; everything else is optional.
 * Unknown fields are kept and reachable through the index signatures. Enum-like fields
 * (account `type`, `category`, `decline_reason`, pot `type`) are open strings.
 *
 * Documented fields are checked at runtime. Fields marked *(observed)* are not in Monzo's
 * docs but are seen in real responses: they are typed for convenience, not checked (so a
 * change in one never breaks a call), and may change or disappear.
 *
 * @module
 */

/**
 * Options every method takes.
 *
 * @example Give up after 5 seconds
 * ```ts
 * import type { CallOptions, Monzo } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const options: CallOptions = { signal: AbortSignal.timeout(5_000) };
 * await monzo.whoAmI(options);
 * ```
 */
export interface CallOptions {
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * What `GET /ping/whoami` says about the access token.
 *
 * @example
 * ```ts
 * import type { Monzo, WhoAmI } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const me: WhoAmI = await monzo.whoAmI();
 * console.log(me.user_id);
 * ```
 */
export interface WhoAmI {
  /** Whether the token is valid. */
  authenticated: boolean;
  /** The OAuth client the token belongs to (`oauth2client_…`). */
  client_id: string;
  /** The user the token belongs to (`user_…`). */
  user_id: string;
  /** Fields Monzo added later. */
  [key: string]: unknown;
}

/**
 * An owner of an {@link Account}; joint accounts have two. Names are preferred names.
 *
 * @example
 * ```ts
 * import type { Account, AccountOwner } from "@monzo-api/client";
 * declare const account: Account;
 * const owners: AccountOwner[] = account.owners ?? [];
 * console.log(owners.map((owner) => owner.preferred_name).join(" & "));
 * ```
 */
export interface AccountOwner {
  /** `user_…` */
  user_id?: string;
  /** The owner's preferred full name. */
  preferred_name?: string;
  /** The owner's preferred first name. */
  preferred_first_name?: string;
  /** Fields Monzo added later. */
  [key: string]: unknown;
}

/**
 * A bank account, from `GET /accounts`.
 *
 * @example
 * ```ts
 * import type { Account, Monzo } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const accounts: Account[] = await monzo.accounts.list();
 * for (const account of accounts) console.log(account.id, account.type, account.closed);
 * ```
 */
export interface Account {
  /** `acc_…` */
  id: string;
  /** Often an internal id (`user_…`) rather than a name. */
  description: string;
  /** RFC 3339. */
  created: string;
  /** Closed accounts are still listed. *(observed)* */
  closed?: boolean;
  /** For example `uk_retail`, `uk_retail_joint`, `uk_business`, `uk_monzo_flex`. *(observed)* */
  type?: string;
  /** ISO 4217, for example `GBP`. *(observed)* */
  currency?: string;
  /** ISO 3166 alpha-2, for example `GB`. *(observed)* */
  country_code?: string;
  /** ISO 3166 alpha-3, for example `GBR`. *(observed)* */
  country_code_alpha3?: string;
  /** The account holders. *(observed)* */
  owners?: AccountOwner[];
  /** Eight digits; absent on flex and loan accounts. *(observed)* */
  account_number?: string;
  /** Six digits; absent on flex and loan accounts. *(observed)* */
  sort_code?: string;
  /** UK and IBAN details, when the account has them. *(observed)* */
  payment_details?: {
    locale_uk?: { account_number?: string; sort_code?: string; [key: string]: unknown };
    iban?: {
      unformatted?: string;
      formatted?: string;
      bic?: string;
      usage_description?: string;
      usage_description_web?: string;
      [key: string]: unknown;
    };
    [key: string]: unknown;
  };
  /** For example `personal`. *(observed)* */
  owner_type?: string;
  /** True for Monzo Flex. *(observed)* */
  is_flex?: boolean;
  /** For example `standard`. *(observed)* */
  product_type?: string;
  /** Whether a closed account can still be seen in the app. *(observed)* */
  closed_account_app_access?: boolean;
  /** For example `monzo_uk`. *(observed)* */
  legal_entity?: string;
  /** Business accounts only. *(observed)* */
  business_id?: string;
  /** Fields Monzo added later. */
  [key: string]: unknown;
}

/**
 * The balance of an account, from `GET /balance`. Amounts are integers of minor units.
 *
 * @example
 * ```ts
 * import type { Balance, Monzo } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const balance: Balance = await monzo.balance.get("acc_123");
 * console.log(`£${(balance.balance / 100).toFixed(2)}`);
 * ```
 */
export interface Balance {
  /** Available now, in minor units. */
  balance: number;
  /** `balance` plus every pot. */
  total_balance: number;
  /** ISO 4217. */
  currency: string;
  /** Spent today (from about 04:00 UK time); may be negative. */
  spend_today: number;
  /** `balance` plus flexible savings. *(observed)* */
  balance_including_flexible_savings?: number;
  /** Usually `""`. *(observed)* */
  local_currency?: string;
  /** Usually `0`. *(observed)* */
  local_exchange_rate?: number;
  /** Today's spend per currency. *(observed)* */
  local_spend?: { spend_today: number; currency: string; [key: string]: unknown }[];
  /** Fields Monzo added later. */
  [key: string]: unknown;
}

/**
 * A savings pot, from `GET /pots` or a deposit or withdrawal.
 *
 * @example
 * ```ts
 * import type { Monzo, Pot } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const pots: Pot[] = await monzo.pots.list("acc_123");
 * const open = pots.filter((pot) => !pot.deleted);
 * ```
 */
export interface Pot {
  /** `pot_…` */
  id: string;
  /** The pot's name. */
  name: string;
  /** Background image id (`beach_ball`, ...); `""` with a custom image. */
  style: string;
  /** In minor units. */
  balance: number;
  /** ISO 4217. */
  currency: string;
  /** RFC 3339. */
  created: string;
  /** RFC 3339. */
  updated: string;
  /** Deleted pots can still be listed. */
  deleted: boolean;
  /** For example `default`, `flexible_savings`, `fixed_savings`, `instant_access`. *(observed)* */
  type?: string;
  /** Savings goal in minor units. *(observed)* */
  goal_amount?: number | null;
  /** The account the pot belongs to. *(observed)* */
  current_account_id?: string;
  /** Product id. *(observed)* */
  product_id?: string;
  /** Custom image URL. *(observed)* */
  cover_image_url?: string;
  /** ISA wrapper, usually `""`. *(observed)* */
  isa_wrapper?: string;
  /** Whether round-ups go into this pot. *(observed)* */
  round_up?: boolean;
  /** Round-up multiplier. *(observed)* */
  round_up_multiplier?: number | null;
  /** Whether this is a tax pot. *(observed)* */
  is_tax_pot?: boolean;
  /** Locked pots refuse withdrawals. *(observed)* */
  locked?: boolean;
  /** RFC 3339, on locked fixed-term pots. *(observed)* */
  locked_until?: string;
  /** Whether bills can be paid from the pot. *(observed)* */
  available_for_bills?: boolean;
  /** Whether the pot has virtual cards. *(observed)* */
  has_virtual_cards?: boolean;
  /**
   * The pot's backing account (`acc_…`): `GET /transactions?account_id=` with it lists the
   * pot's own statement, for the last 90 days only. *(observed)*
   */
  pot_account_id?: string;
  /** Fields Monzo added later. */
  [key: string]: unknown;
}

/**
 * A merchant's address; every field is optional.
 *
 * @example
 * ```ts
 * import type { Merchant, MerchantAddress } from "@monzo-api/client";
 * declare const merchant: Merchant;
 * const address: MerchantAddress | undefined = merchant.address;
 * console.log(address?.short_formatted ?? address?.city);
 * ```
 */
export interface MerchantAddress {
  /** Street address. */
  address?: string;
  /** City. */
  city?: string;
  /** Region. */
  region?: string;
  /** Country code (alpha-2 or alpha-3). */
  country?: string;
  /** Postcode. */
  postcode?: string;
  /** Latitude in degrees. */
  latitude?: number;
  /** Longitude in degrees. */
  longitude?: number;
  /** The whole address on one line. *(observed)* */
  formatted?: string;
  /** A short form of the address. *(observed)* */
  short_formatted?: string;
  /** Map zoom level. *(observed)* */
  zoom_level?: number;
  /** Whether the location is approximate. *(observed)* */
  approximate?: boolean;
  /** Fields Monzo added later. */
  [key: string]: unknown;
}

/**
 * A merchant, inlined in a {@link Transaction} with `expandMerchant: true`.
 *
 * @example
 * ```ts
 * import type { Merchant, Transaction } from "@monzo-api/client";
 * declare const tx: Transaction;
 * if (tx.merchant && typeof tx.merchant === "object") {
 *   const merchant: Merchant = tx.merchant;
 *   console.log(merchant.emoji, merchant.name);
 * }
 * ```
 */
export interface Merchant {
  /** `merch_…` */
  id: string;
  /** Merchant group, `grp_…`. */
  group_id?: string;
  /** Display name. */
  name?: string;
  /** Logo URL. */
  logo?: string;
  /** An emoji for the merchant. */
  emoji?: string;
  /** Spending category (an open set). */
  category?: string;
  /** RFC 3339; often absent. */
  created?: string;
  /** Where the merchant is. */
  address?: MerchantAddress;
  /** True for online shops. *(observed)* */
  online?: boolean;
  /** True for cash machines. *(observed)* */
  atm?: boolean;
  /** Whether the app asks for feedback. *(observed)* */
  disable_feedback?: boolean;
  /** Merchant metadata. *(observed)* */
  metadata?: Record<string, string>;
  /** Fields Monzo added later. */
  [key: string]: unknown;
}

/**
 * An image attached to a transaction.
 *
 * @example
 * ```ts
 * import type { Attachment, Monzo } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const attachment: Attachment = await monzo.attachments.register("tx_123", {
 *   fileUrl: "https://example.com/receipt.png",
 *   fileType: "image/png",
 * });
 * console.log(attachment.id);
 * ```
 */
export interface Attachment {
  /** `attach_…`; needed to deregister it. */
  id: string;
  /** The transaction id it is attached to. */
  external_id: string;
  /** Where the image lives. */
  file_url: string;
  /** MIME type. */
  file_type: string;
  /** RFC 3339. */
  created: string;
  /** The owner, `user_…`. */
  user_id?: string;
  /** Fields Monzo added later. */
  [key: string]: unknown;
}

/**
 * A transaction. Amounts are integers of minor units, negative for money out. It is also
 * the `data` of a webhook event.
 *
 * @example
 * ```ts
 * import type { Monzo, Transaction } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const tx: Transaction = await monzo.transactions.get("tx_123", { expandMerchant: true });
 * const pending = tx.settled === "";
 * const name = typeof tx.merchant === "object" && tx.merchant ? tx.merchant.name : tx.description;
 * ```
 */
export interface Transaction {
  /** `tx_…`, sorting roughly by time. */
  id: string;
  /** Minor units; negative is a debit. */
  amount: number;
  /** ISO 4217. */
  currency: string;
  /** RFC 3339. */
  created: string;
  /** The raw description. */
  description: string;
  /** The merchant id, the merchant (with `expandMerchant`), or null when there is none. */
  merchant?: string | Merchant | null;
  /** Annotations; also holds some of Monzo's own keys. */
  metadata?: Record<string, string>;
  /** User notes; may be `""`. */
  notes?: string;
  /** True for top-ups. */
  is_load?: boolean;
  /** RFC 3339 settlement time, or `""` while the transaction is pending. */
  settled?: string;
  /** Spending category, for example `eating_out` (an open set). */
  category?: string;
  /** Only on declined transactions, for example `INSUFFICIENT_FUNDS` (an open set). */
  decline_reason?: string;
  /** `acc_…` *(observed)* */
  account_id?: string;
  /** `user_…` *(observed)* */
  user_id?: string;
  /** RFC 3339. *(observed)* */
  updated?: string;
  /** Amount in the local currency of spend abroad. *(observed)* */
  local_amount?: number;
  /** Local currency of spend abroad. *(observed)* */
  local_currency?: string;
  /** Payment scheme, for example `mastercard`, `uk_retail_pot`, `bacs`. *(observed)* */
  scheme?: string;
  /** Monzo's dedupe id. *(observed)* */
  dedupe_id?: string;
  /** Whether the user originated it. *(observed)* */
  originator?: boolean;
  /** Whether it counts as spending. *(observed)* */
  include_in_spending?: boolean;
  /** Whether the amount may still change. *(observed)* */
  amount_is_pending?: boolean;
  /** App capability flag. *(observed)* */
  can_add_to_tab?: boolean;
  /** App capability flag. *(observed)* */
  can_be_excluded_from_breakdown?: boolean;
  /** App capability flag. *(observed)* */
  can_be_made_subscription?: boolean;
  /** App capability flag. *(observed)* */
  can_match_transactions_in_categorization?: boolean;
  /** App capability flag. *(observed)* */
  can_split_the_bill?: boolean;
  /** How the amount splits across categories. *(observed)* */
  categories?: Record<string, number>;
  /** The other side of a transfer; `{}` when none. *(observed)* */
  counterparty?: Record<string, unknown>;
  /** Fees, usually `{}`. *(observed)* */
  fees?: Record<string, unknown>;
  /** Attached images. *(observed)* */
  attachments?: Attachment[] | null;
  /** Labels. *(observed)* */
  labels?: unknown[] | null;
  /** International details. *(observed)* */
  international?: Record<string, unknown> | null;
  /** Cash machine fee details. *(observed)* */
  atm_fees_detailed?: Record<string, unknown> | null;
  /** Usually `""`. *(observed)* */
  parent_account_id?: string;
  /** Fields Monzo added later. */
  [key: string]: unknown;
}

/**
 * A line of a {@link Receipt}. Sub-items have the same shape, without their own `sub_items`.
 *
 * @example
 * ```ts
 * import type { ReceiptItem } from "@monzo-api/client";
 * const coffee: ReceiptItem = { description: "Flat white", amount: 350, currency: "GBP", quantity: 1 };
 * ```
 */
export interface ReceiptItem {
  /** The product. */
  description: string;
  /** Paid for the line in minor units (negative for a discount); the sum of its sub-items. */
  amount: number;
  /** ISO 4217. */
  currency: string;
  /** How many, possibly fractional (`0.3` kg). */
  quantity?: number;
  /** The unit of `quantity`, for example `kg`; `""` when none. */
  unit?: string;
  /** Tax in minor units. */
  tax?: number;
  /** The parts of the line (one level deep). */
  sub_items?: ReceiptItem[];
  /** Fields Monzo added later. */
  [key: string]: unknown;
}

/**
 * A tax on a {@link Receipt}, such as VAT.
 *
 * @example
 * ```ts
 * import type { ReceiptTax } from "@monzo-api/client";
 * const vat: ReceiptTax = { description: "VAT", amount: 58, currency: "GBP", tax_number: "945719291" };
 * ```
 */
export interface ReceiptTax {
  /** For example `VAT`. */
  description: string;
  /** In minor units. */
  amount: number;
  /** ISO 4217. */
  currency: string;
  /** The tax registration number. */
  tax_number?: string;
  /** Fields Monzo added later. */
  [key: string]: unknown;
}

/**
 * How a {@link Receipt} was paid.
 *
 * @example
 * ```ts
 * import type { ReceiptPayment } from "@monzo-api/client";
 * const card: ReceiptPayment = { type: "card", amount: 350, currency: "GBP", last_four: "4242" };
 * ```
 */
export interface ReceiptPayment {
  /** `card`, `cash` or `gift_card`. */
  type: string;
  /** In minor units. */
  amount: number;
  /** ISO 4217. */
  currency: string;
  /** Card payments: the last four digits. */
  last_four?: string;
  /** Gift card payments: the kind of card. */
  gift_card_type?: string;
  /** Card payments: the card's BIN. */
  bin?: string;
  /** Card payments: the authorisation code. */
  auth_code?: string;
  /** Card payments: the application id. */
  aid?: string;
  /** Card payments: the merchant id. */
  mid?: string;
  /** Card payments: the terminal id. */
  tid?: string;
  /** Fields Monzo added later. */
  [key: string]: unknown;
}

/**
 * Where a {@link Receipt}'s purchase happened (not the same type as a transaction's
 * {@link Merchant}).
 *
 * @example
 * ```ts
 * import type { ReceiptMerchant } from "@monzo-api/client";
 * const shop: ReceiptMerchant = { name: "Ozone Coffee", online: false, store_postcode: "EC2A 4DP" };
 * ```
 */
export interface ReceiptMerchant {
  /** The merchant's name. */
  name?: string;
  /** True for e-commerce, false for a physical shop. */
  online?: boolean;
  /** Phone number. */
  phone?: string;
  /** Email address. */
  email?: string;
  /** The store's name. */
  store_name?: string;
  /** The store's address. */
  store_address?: string;
  /** The store's postcode. */
  store_postcode?: string;
  /** Fields Monzo added later. */
  [key: string]: unknown;
}

/**
 * Line-item data for a transaction, in Monzo's JSON shape: what `receipts.put` sends and
 * `receipts.get` returns. `external_id` is your key: putting it again updates the receipt.
 * Items plus taxes, and payments, should add up to `total`.
 *
 * @example
 * ```ts
 * import type { Monzo, Receipt } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const receipt: Receipt = {
 *   transaction_id: "tx_123",
 *   external_id: "order-1001",
 *   total: 350,
 *   currency: "GBP",
 *   items: [{ description: "Flat white", amount: 350, currency: "GBP" }],
 *   payments: [{ type: "card", amount: 350, currency: "GBP", last_four: "4242" }],
 * };
 * await monzo.receipts.put(receipt);
 * ```
 */
export interface Receipt {
  /** `receipt_…`, set by Monzo. */
  id?: string;
  /** The transaction the receipt belongs to. */
  transaction_id: string;
  /** Your id for the receipt (an order number, say); the idempotency key. */
  external_id: string;
  /** Positive, in minor units. */
  total: number;
  /** ISO 4217. */
  currency: string;
  /** The products. */
  items: ReceiptItem[];
  /** Taxes, shown above the total. */
  taxes?: ReceiptTax[];
  /** How the customer paid. */
  payments?: ReceiptPayment[];
  /** Where the purchase happened. */
  merchant?: ReceiptMerchant;
  /** On receipts read back. *(observed)* */
  proof_of_purchase_id?: string;
  /** On receipts read back. *(observed)* */
  barcode?: unknown;
  /** Fields Monzo added later. */
  [key: string]: unknown;
}

/**
 * A registered webhook.
 *
 * @example
 * ```ts
 * import type { Monzo, Webhook } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const hooks: Webhook[] = await monzo.webhooks.list("acc_123");
 * for (const hook of hooks) console.log(hook.id, hook.url);
 * ```
 */
export interface Webhook {
  /** `webhook_…` */
  id: string;
  /** The account whose events it receives. */
  account_id: string;
  /** Where Monzo POSTs the events. */
  url: string;
  /** Fields Monzo added later. */
  [key: string]: unknown;
}

/**
 * The webhook event Monzo documents: a new transaction, with its merchant expanded (or null).
 *
 * @example
 * ```ts
 * import { isTransactionCreated, parseWebhookEvent } from "@monzo-api/client";
 * declare const body: string;
 * const event = parseWebhookEvent(body);
 * if (isTransactionCreated(event)) console.log(event.data.amount, event.data.description);
 * ```
 */
export interface TransactionCreatedEvent {
  /** The only documented event type. */
  type: "transaction.created";
  /** The new transaction. */
  data: Transaction;
  /** Fields Monzo added later. */
  [key: string]: unknown;
}

/**
 * A webhook event of a type this client does not know yet (Monzo may add some, such as
 * `transaction.updated`): its `type` and its raw `data`, unchecked.
 *
 * @example
 * ```ts
 * import { isTransactionCreated, parseWebhookEvent } from "@monzo-api/client";
 * declare const body: string;
 * const event = parseWebhookEvent(body);
 * if (!isTransactionCreated(event)) console.log("not handled yet:", event.type);
 * ```
 */
export interface OtherWebhookEvent {
  /** The event's type, for example `transaction.updated`. */
  type: string;
  /** The event's payload, as Monzo sent it. */
  data: unknown;
  /** Other fields of the body. */
  [key: string]: unknown;
}

/**
 * A webhook POST body, as `parseWebhookEvent` returns it: a checked
 * {@link TransactionCreatedEvent}, or an {@link OtherWebhookEvent}. Narrow it with
 * `isTransactionCreated`.
 *
 * @example
 * ```ts
 * import { isTransactionCreated, parseWebhookEvent, type WebhookEvent } from "@monzo-api/client";
 * declare const body: string;
 * const event: WebhookEvent = parseWebhookEvent(body);
 * if (isTransactionCreated(event)) console.log(event.data.amount);
 * ```
 */
export type WebhookEvent = TransactionCreatedEvent | OtherWebhookEvent;

/**
 * Options of `accounts.list`.
 *
 * @example
 * ```ts
 * import type { ListAccountsOptions, Monzo } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const options: ListAccountsOptions = { accountType: "uk_retail_joint" };
 * const joint = await monzo.accounts.list(options);
 * ```
 */
export interface ListAccountsOptions extends CallOptions {
  /** Only accounts of this type, for example `uk_retail` or `uk_retail_joint`. */
  accountType?: string;
}

/**
 * Options of `pots.deposit`.
 *
 * @example
 * ```ts
 * import type { Monzo, PotDepositOptions } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const move: PotDepositOptions = { sourceAccountId: "acc_123", amount: 1000, dedupeId: "save-2026-05" };
 * await monzo.pots.deposit("pot_123", move);
 * ```
 */
export interface PotDepositOptions extends CallOptions {
  /** The account the money comes from. */
  sourceAccountId: string;
  /** Positive integer of minor units (pence for GBP). */
  amount: number;
  /**
   * The idempotency key of this one logical move. Derive it from what the move is for (an
   * order id, `"save-2026-05"`), never generate it per call: Monzo moves the money once per
   * key, so a retry after a lost answer, or a second run of your job, with the same key
   * cannot move it twice.
   */
  dedupeId: string;
}

/**
 * Options of `pots.withdraw`.
 *
 * @example
 * ```ts
 * import type { Monzo, PotWithdrawOptions } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const move: PotWithdrawOptions = { destinationAccountId: "acc_123", amount: 500, dedupeId: "rent-2026-05" };
 * await monzo.pots.withdraw("pot_123", move);
 * ```
 */
export interface PotWithdrawOptions extends CallOptions {
  /** The account the money goes to. */
  destinationAccountId: string;
  /** Positive integer of minor units (pence for GBP). */
  amount: number;
  /**
   * The idempotency key of this one logical move; see {@link PotDepositOptions.dedupeId}.
   * Never generate it per call, or a retry can move the money twice.
   */
  dedupeId: string;
}

/**
 * Options of `transactions.get`.
 *
 * @example
 * ```ts
 * import type { GetTransactionOptions, Monzo } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const options: GetTransactionOptions = { expandMerchant: true };
 * const tx = await monzo.transactions.get("tx_123", options);
 * ```
 */
export interface GetTransactionOptions extends CallOptions {
  /** Inline the merchant object instead of its id (`expand[]=merchant`). */
  expandMerchant?: boolean;
}

/**
 * Options of `transactions.list` and `transactions.iterate`. More than 5 minutes after the
 * user logged in, Monzo only returns the last 90 days: pass a `since` within 89 days.
 *
 * @example The last 30 days, 50 at a time
 * ```ts
 * import type { ListTransactionsOptions, Monzo } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const options: ListTransactionsOptions = {
 *   since: new Date(Date.now() - 30 * 86_400_000),
 *   limit: 50,
 *   expandMerchant: true,
 * };
 * for await (const tx of monzo.transactions.iterate("acc_123", options)) console.log(tx.id);
 * ```
 */
export interface ListTransactionsOptions extends GetTransactionOptions {
  /** Start: a Date or RFC 3339 timestamp (inclusive), or a transaction id (exclusive). */
  since?: Date | string;
  /** End: a Date or RFC 3339 timestamp (exclusive). */
  before?: Date | string;
  /** Page size, 1 to 100. Monzo's default for `list` is 30; `iterate` uses 100. */
  limit?: number;
}

/**
 * Options of `feed.create`: a `basic` feed item.
 *
 * @example
 * ```ts
 * import type { CreateFeedItemOptions, Monzo } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const item: CreateFeedItemOptions = {
 *   title: "Rent is due tomorrow",
 *   imageUrl: "https://example.com/house.png",
 *   backgroundColor: "#FCF1EE",
 * };
 * await monzo.feed.create("acc_123", item);
 * ```
 */
export interface CreateFeedItemOptions extends CallOptions {
  /** The title. */
  title: string;
  /** The icon: an absolute http(s) URL (animated GIFs work). */
  imageUrl: string;
  /** Body text. */
  body?: string;
  /** `#RRGGBB`. */
  backgroundColor?: string;
  /** `#RRGGBB`. */
  titleColor?: string;
  /** `#RRGGBB`. */
  bodyColor?: string;
  /** Opened when the item is tapped: an absolute http(s) URL. */
  url?: string;
}

/**
 * Options of `attachments.upload`.
 *
 * @example
 * ```ts
 * import type { Monzo, UploadAttachmentOptions } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * declare const png: Uint8Array;
 * const file: UploadAttachmentOptions = { fileName: "receipt.png", fileType: "image/png", data: png };
 * await monzo.attachments.upload("tx_123", file);
 * ```
 */
export interface UploadAttachmentOptions extends CallOptions {
  /** The file's name. */
  fileName: string;
  /** Its MIME type, for example `image/png`. */
  fileType: string;
  /** The bytes. */
  data: Uint8Array | Blob;
}

/**
 * Options of `attachments.register`.
 *
 * @example
 * ```ts
 * import type { Monzo, RegisterAttachmentOptions } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const file: RegisterAttachmentOptions = { fileUrl: "https://example.com/r.png", fileType: "image/png" };
 * await monzo.attachments.register("tx_123", file);
 * ```
 */
export interface RegisterAttachmentOptions extends CallOptions {
  /** Where the image lives: an absolute http(s) URL. */
  fileUrl: string;
  /** Its MIME type, for example `image/png`. */
  fileType: string;
}
