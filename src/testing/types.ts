// Public types of the emulator.

/**
 * Options of {@link MonzoEmulator}.
 *
 * @example Frozen clock, no webhook backoff
 * ```ts
 * import { MonzoEmulator } from "@monzo-api/client/testing";
 *
 * const emulator = new MonzoEmulator({ seed: 7, now: () => Date.UTC(2026, 0, 1), webhookRetryDelayMs: 0 });
 * ```
 */
export interface EmulatorOptions {
  /** Seed of the generated data (user, accounts, pots, merchants, history). Default 1. */
  seed?: number;
  /** Clock in epoch milliseconds. Default `Date.now`. `advanceTime` adds an offset to it. */
  now?: () => number;
  /** Lifetime of issued access tokens. Default 107999 (about 30 hours, as Monzo issues). */
  accessTokenLifetimeSeconds?: number;
  /** Base delay of the exponential backoff between webhook delivery attempts. Default 1000. */
  webhookRetryDelayMs?: number;
  /** `fetch` used to deliver webhooks. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Reject receipts whose items, taxes, payments and sub-items do not add up. Default false. */
  strictReceipts?: boolean;
  /** Average card transactions per day in the current account's history. Default 4. */
  transactionsPerDay?: number;
  /**
   * Days of seeded history of the current account (the joint and the partner's accounts get
   * at most 365). The current account is 1100 days old, or 30 days older than its history
   * when that is longer. Default 365.
   */
  historyDays?: number;
  /** Request bodies larger than this are refused with 413. Default 4194304 (4 MiB). */
  maxBodyBytes?: number;
  /**
   * Deliver webhooks to any URL. Default false: only to loopback URLs (`localhost`,
   * `127.0.0.0/8`, `[::1]`); a delivery elsewhere counts as a failure and is not sent.
   */
  allowRemoteWebhooks?: boolean;
  /**
   * Clients and logins saved by {@link MonzoEmulator.snapshot}: a restarted emulator keeps
   * them (the first client becomes the default client). Default: none.
   */
  restore?: EmulatorSnapshot;
}

/**
 * What {@link MonzoEmulator.snapshot} saves: the clients, the active logins and the seeding
 * time, as JSON. The changes made since the seeding (balances, pot moves, added
 * transactions) are not in it: they start afresh.
 *
 * @example Keep the logins across restarts
 * ```ts
 * import { type EmulatorSnapshot, MonzoEmulator } from "@monzo-api/client/testing";
 *
 * const saved: EmulatorSnapshot = JSON.parse(JSON.stringify(new MonzoEmulator().snapshot()));
 * const restarted = new MonzoEmulator({ restore: saved });
 * ```
 */
export interface EmulatorSnapshot {
  /** The format, 1. */
  version: 1;
  /**
   * When the world was seeded (epoch ms): restarted with the same `seed`, the emulator seeds
   * the same user, accounts, pots and history (same ids), so data synced from it stays
   * valid. Without it (older snapshots), a restart seeds afresh from now.
   */
  seededAt?: number;
  /** Every client, the default one first. */
  clients: EmulatorClient[];
  /** The active token sets, with times in epoch milliseconds. */
  tokens: {
    accessToken: string;
    refreshToken: string | null;
    clientId: string;
    /** The seeded user or the partner (their ids change with the seeding time). */
    user: "user" | "partner";
    issuedAt: number;
    expiresAt: number;
    approved: boolean;
    scaAt: number | null;
  }[];
}

/**
 * An OAuth client registered with the emulator.
 *
 * @example
 * ```ts
 * import { MonzoEmulator } from "@monzo-api/client/testing";
 *
 * const { id, secret, redirectUris } = new MonzoEmulator().client;
 * ```
 */
export interface EmulatorClient {
  /** Client id, `oauth2client_…`. */
  id: string;
  /** Client secret, `mnzconf.…` for confidential clients, `mnzpub.…` otherwise. */
  secret: string;
  /** Registered redirect URIs; `redirect_uri` must equal one of them exactly. */
  redirectUris: string[];
  /** Confidential clients get refresh tokens; others never do. */
  confidential: boolean;
}

/**
 * Options of {@link MonzoEmulator.addClient}.
 *
 * @example
 * ```ts
 * import { MonzoEmulator } from "@monzo-api/client/testing";
 *
 * const app = new MonzoEmulator().addClient({ redirectUris: ["http://localhost:3000/cb"], confidential: false });
 * ```
 */
export interface AddClientOptions {
  /** Registered redirect URIs. */
  redirectUris: string[];
  /** Default true. */
  confidential?: boolean;
  /** Default: a generated `oauth2client_…` id. */
  id?: string;
  /** Default: a generated secret. */
  secret?: string;
}

/**
 * Options of {@link MonzoEmulator.authorize}.
 *
 * @example
 * ```ts
 * import { MonzoEmulator } from "@monzo-api/client/testing";
 *
 * const code = new MonzoEmulator().authorize({ approveLater: true });
 * ```
 */
export interface AuthorizeOptions {
  /** Default: the default client. */
  clientId?: string;
  /** Default: the client's first redirect URI. The exchange must send the same one. */
  redirectUri?: string;
  /**
   * When true, the token obtained with the code waits for the in-app approval
   * ({@link MonzoEmulator.approve}), as after a real login. Default false: the token
   * is approved as soon as it is issued.
   */
  approveLater?: boolean;
  /** Default: the seeded user. */
  userId?: string;
}

/**
 * Options of {@link MonzoEmulator.login}.
 *
 * @example
 * ```ts
 * import { MonzoEmulator } from "@monzo-api/client/testing";
 *
 * const pending = new MonzoEmulator().login({ approved: false });
 * ```
 */
export interface LoginOptions {
  /** Default: the default client. */
  clientId?: string;
  /** Default true: approved in the app, with the 5-minute full-history window open. */
  approved?: boolean;
  /** Default: the seeded user. */
  userId?: string;
}

/**
 * A token set issued by {@link MonzoEmulator.login}.
 *
 * @example
 * ```ts
 * import { MonzoEmulator } from "@monzo-api/client/testing";
 *
 * const { accessToken, refreshToken, expiry } = new MonzoEmulator().login();
 * ```
 */
export interface EmulatorTokenSet {
  /** Bearer token. */
  accessToken: string;
  /** Present for confidential clients only. */
  refreshToken?: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  /** Expiry of the access token in unix seconds (emulator clock). */
  expiry: number;
}

/**
 * An attachment registered on a transaction.
 *
 * @example
 * ```ts
 * import type { EmulatorAttachment } from "@monzo-api/client/testing";
 *
 * const files = (attachments: EmulatorAttachment[]) => attachments.map((a) => a.file_url);
 * ```
 */
export interface EmulatorAttachment {
  /** `attach_…` */
  id: string;
  /** Owner, `user_…`. */
  user_id: string;
  /** The transaction id. */
  external_id: string;
  /** Where the image lives. */
  file_url: string;
  /** MIME type. */
  file_type: string;
  /** RFC 3339. */
  created: string;
}

/**
 * A transaction as the emulator stores it, in Monzo's JSON shape (`merchant` holds the id).
 *
 * @example
 * ```ts
 * import { MonzoEmulator } from "@monzo-api/client/testing";
 *
 * const emulator = new MonzoEmulator();
 * const tx = emulator.addTransaction(emulator.accounts.current, { amount: -350, merchant: "Pret A Manger" });
 * console.log(tx.id, tx.amount, tx.settled === "");
 * ```
 */
export interface EmulatorTransaction {
  /** `tx_…`, sorting roughly by creation time. */
  id: string;
  /** Account of the transaction. */
  account_id: string;
  /** The account owner who made it. */
  user_id: string;
  /** Minor units; negative is money out. */
  amount: number;
  /** ISO 4217. */
  currency: string;
  /** Amount in the local currency of card spend abroad. */
  local_amount: number;
  /** Local currency. */
  local_currency: string;
  /** RFC 3339. */
  created: string;
  /** RFC 3339. */
  updated: string;
  /**
   * RFC 3339, or `""` while a card payment is pending. Not a pending flag: a decline has it
   * (its `created`), and a transfer (faster payment, pot move) carries a future one from its
   * creation (the next business day).
   */
  settled: string;
  /** Raw description. */
  description: string;
  /** Merchant id, or null (transfers, pot moves, salary). */
  merchant: string | null;
  /** Spending category, an open set. */
  category: string;
  /** Split of the amount across categories. */
  categories: Record<string, number>;
  /** User notes. */
  notes: string;
  /** Annotations (`PATCH /transactions/{id}`). */
  metadata: Record<string, string>;
  /** True for top-ups. */
  is_load: boolean;
  /** Payment scheme, e.g. `mastercard`, `bacs`, `uk_retail_pot`. */
  scheme: string;
  /** Dedupe id. */
  dedupe_id: string;
  /** Whether the user originated it. */
  originator: boolean;
  /** Counted in spending. */
  include_in_spending: boolean;
  /** Amount may still change: true on pre-authorisations only, false on other pending payments. */
  amount_is_pending: boolean;
  /** App capability flag. */
  can_add_to_tab: boolean;
  /** App capability flag. */
  can_be_excluded_from_breakdown: boolean;
  /** App capability flag. */
  can_be_made_subscription: boolean;
  /** App capability flag. */
  can_match_transactions_in_categorization: boolean;
  /** App capability flag. */
  can_split_the_bill: boolean;
  /** The other side of a transfer, `{}` when none. */
  counterparty: Record<string, string>;
  /** Fees, usually `{}`. */
  fees: Record<string, number>;
  /** Registered attachments. */
  attachments: EmulatorAttachment[];
  /** Labels. */
  labels: string[] | null;
  /** International details. */
  international: Record<string, unknown> | null;
  /** ATM fee details. */
  atm_fees_detailed: Record<string, unknown> | null;
  /** Usually `""`. */
  parent_account_id: string;
  /** Only on declined transactions, e.g. `INSUFFICIENT_FUNDS`. */
  decline_reason?: string;
}

/**
 * Fields of a transaction added with {@link MonzoEmulator.addTransaction}; all optional.
 *
 * @example
 * ```ts
 * import type { EmulatorTransactionInput } from "@monzo-api/client/testing";
 *
 * const salary: EmulatorTransactionInput = { amount: 250000, description: "SALARY", category: "income", merchant: null };
 * ```
 */
export interface EmulatorTransactionInput {
  /** Minor units. Default -350. */
  amount?: number;
  /** Default: the merchant's name, or "Transaction". */
  description?: string;
  /** A merchant id (`merch_…`) or a seeded merchant's name. Default null. */
  merchant?: string | null;
  /** Default: the merchant's category, or `general`. */
  category?: string;
  /** RFC 3339. Default: now. */
  created?: string;
  /** RFC 3339 or `""` (pending, the default). */
  settled?: string;
  /**
   * Makes it a declined transaction: it does not touch the balance, and `settled` defaults
   * to `created`.
   */
  decline_reason?: string;
  /** Initial metadata. */
  metadata?: Record<string, string>;
  /**
   * A pre-authorisation whose amount may still change (`amount_is_pending: true`), such as a
   * hotel or fuel hold; settle it with {@link MonzoEmulator.settleTransaction}. Default false.
   */
  amountIsPending?: boolean;
}

/**
 * Options of {@link MonzoEmulator.settleTransaction}.
 *
 * @example A hotel pre-authorisation settles for more
 * ```ts
 * import type { SettleOptions } from "@monzo-api/client/testing";
 *
 * const final: SettleOptions = { amount: -23456 };
 * ```
 */
export interface SettleOptions {
  /** RFC 3339 settlement time. Default: now (emulator clock). */
  at?: string;
  /** The final amount in minor units. Default: unchanged. */
  amount?: number;
}

/**
 * Changes made by {@link MonzoEmulator.updateTransaction}; every field is optional and
 * `updated` moves to now.
 *
 * @example
 * ```ts
 * import type { EmulatorTransactionPatch } from "@monzo-api/client/testing";
 *
 * const edit: EmulatorTransactionPatch = { notes: "Team lunch", category: "eating_out" };
 * ```
 */
export interface EmulatorTransactionPatch {
  /** New amount in minor units (the balance follows unless declined). */
  amount?: number;
  /** RFC 3339, or `""` to make it pending again. */
  settled?: string;
  /** Raw description. */
  description?: string;
  /** Category (`categories` follows). */
  category?: string;
  /** User notes. */
  notes?: string;
  /** Merged into the metadata; an empty value deletes the key. */
  metadata?: Record<string, string>;
  /** Declines it (its amount leaves the balance), or `null` to clear a decline. */
  decline_reason?: string | null;
  /** Whether the amount may still change. */
  amount_is_pending?: boolean;
}

/**
 * A fault injected with {@link MonzoEmulator.injectFault}. Faults are checked before normal
 * handling; every field is optional.
 *
 * @example
 * ```ts
 * import type { EmulatorFault } from "@monzo-api/client/testing";
 *
 * const rateLimit: EmulatorFault = { path: "/accounts", status: 429, retryAfter: 2, count: 1 };
 * ```
 */
export interface EmulatorFault {
  /** Exact request path, or a pattern tested against the path. Default: any path. */
  path?: string | RegExp;
  /** HTTP method, case-insensitive. Default: any method. */
  method?: string;
  /** Answer with this status and Monzo's error body (`rate_limited` for 429, ...). */
  status?: number;
  /** Error code of the body. Default: derived from the status. */
  code?: string;
  /** Error message of the body. */
  message?: string;
  /** Value of a `Retry-After` header, in seconds. */
  retryAfter?: number;
  /** Wait this long first; without another effect the request then proceeds normally. */
  delayMs?: number;
  /** Answer with a body that fails to stream, as a dropped connection. */
  drop?: boolean;
  /** Answer with this raw body (an HTML error page, truncated JSON, ...). */
  body?: string;
  /** Content type of `body`. Default `text/html; charset=utf-8`. */
  contentType?: string;
  /** How many matching requests it hits. Default 1; `Infinity` for all. */
  count?: number;
  /** Chance (0..1) that a matching request is hit, from the seeded generator. Default 1. */
  probability?: number;
  /**
   * Apply the fault after the request was handled: Monzo applied it (a token grant rotated,
   * a pot moved), then the answer is delayed (`delayMs`), lost (`drop`) or replaced. Default
   * false: the fault hits before handling.
   */
  after?: boolean;
}

/**
 * Totals the emulator keeps so tests can assert on traffic.
 *
 * @example
 * ```ts
 * import { MonzoEmulator } from "@monzo-api/client/testing";
 *
 * const emulator = new MonzoEmulator();
 * console.log(emulator.counters.grants.refresh_token, emulator.counters.refreshReuses);
 * ```
 */
export interface EmulatorCounters {
  /** Requests received (the `/_emulator/` controls excluded). */
  requests: number;
  /** `POST /oauth2/token` requests, whatever their outcome. */
  tokenRequests: number;
  /** Token requests by `grant_type`, whatever their outcome. */
  grants: { authorization_code: number; refresh_token: number };
  /** Refresh attempts with a refresh token that was already rotated away. */
  refreshReuses: number;
  /** Feed items created. */
  feedItems: number;
  /** Webhook events delivered (answered with a 2xx). */
  webhookDeliveries: number;
  /** Failed webhook delivery attempts (non-2xx or network error). */
  webhookFailures: number;
}

/**
 * One entry of {@link MonzoEmulator.requests}, to check the wire format of a client.
 *
 * @example
 * ```ts
 * import type { EmulatorRequest } from "@monzo-api/client/testing";
 *
 * const isForm = (r: EmulatorRequest) => r.contentType === "application/x-www-form-urlencoded";
 * ```
 */
export interface EmulatorRequest {
  /** HTTP method. */
  method: string;
  /** URL path. */
  path: string;
  /** Raw query string without `?`, as sent. */
  query: string;
  /** `Content-Type` header. */
  contentType: string | null;
  /** Body as text (UTF-8). */
  body: string;
  /** `Authorization` header. */
  authorization: string | null;
  /** When it arrived, emulator clock, epoch ms. */
  at: number;
  /** The status answered; 0 while it is being handled. */
  status: number;
}

/**
 * One `GET /transactions` request, from {@link MonzoEmulator.transactionRequests}.
 *
 * @example No listing spans more than 365 days
 * ```ts
 * import type { EmulatorTransactionsRequest } from "@monzo-api/client/testing";
 *
 * const ok = (r: EmulatorTransactionsRequest) => r.status !== 400;
 * ```
 */
export interface EmulatorTransactionsRequest {
  /** When it arrived, emulator clock, epoch ms. */
  at: number;
  /** `account_id` as sent (`""` when missing). */
  accountId: string;
  /** `since` as sent: an RFC 3339 time or a transaction id. */
  since?: string;
  /** `before` as sent. */
  before?: string;
  /** `limit` as sent. */
  limit?: string;
  /** The status answered (400 for `invalid_time_range`, 403 after the window, ...); 0 while handled. */
  status: number;
}

/**
 * A feed item created with `POST /feed`.
 *
 * @example
 * ```ts
 * import { MonzoEmulator } from "@monzo-api/client/testing";
 *
 * const titles = new MonzoEmulator().feedItems.map((item) => item.params.title);
 * ```
 */
export interface EmulatorFeedItem {
  /** Account whose feed got the item. */
  accountId: string;
  /** Always `basic`. */
  type: string;
  /** URL opened on tap. */
  url?: string;
  /** `params[...]` as sent. */
  params: Record<string, string>;
}

/**
 * Bytes received at an attachment `upload_url`.
 *
 * @example
 * ```ts
 * import { MonzoEmulator } from "@monzo-api/client/testing";
 *
 * const sizes = [...new MonzoEmulator().uploads.values()].map((u) => u.bytes.length);
 * ```
 */
export interface EmulatorUpload {
  /** `Content-Type` of the upload request. */
  contentType: string | null;
  /** The bytes. */
  bytes: Uint8Array;
}

/**
 * Options of {@link serveEmulator}.
 *
 * @example
 * ```ts
 * import type { ServeOptions } from "@monzo-api/client/testing";
 *
 * const options: ServeOptions = { port: 8787, hostname: "0.0.0.0" };
 * ```
 */
export interface ServeOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  hostname?: string;
}

/**
 * A running server.
 *
 * @example
 * ```ts
 * import { MonzoEmulator, serveEmulator } from "@monzo-api/client/testing";
 *
 * const server = await serveEmulator(new MonzoEmulator());
 * console.log(server.url); // http://127.0.0.1:<port>
 * await server.close();
 * ```
 */
export interface ServedEmulator {
  /** Base URL, e.g. `http://127.0.0.1:54321`, without a trailing slash. */
  url: string;
  /** The bound port. */
  port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}
