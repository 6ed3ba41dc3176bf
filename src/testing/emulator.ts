// MonzoEmulator: the public face of the emulator.
import { createApp } from "./app.ts";
import { State } from "./state.ts";
import type {
  AddClientOptions,
  AuthorizeOptions,
  EmulatorClient,
  EmulatorCounters,
  EmulatorFault,
  EmulatorFeedItem,
  EmulatorOptions,
  EmulatorRequest,
  EmulatorSnapshot,
  EmulatorTokenSet,
  EmulatorTransaction,
  EmulatorTransactionInput,
  EmulatorTransactionPatch,
  EmulatorTransactionsRequest,
  EmulatorUpload,
  LoginOptions,
  SettleOptions,
} from "./types.ts";

/**
 * A stateful, local Monzo API: api.monzo.com and auth.monzo.com in one web-standard
 * `fetch` handler. It seeds a user (Ada Lovelace) with a current account, a joint account,
 * pots (each with its own statement account) and a year of transactions (more with
 * `historyDays`), and follows Monzo's rules: codes and refresh tokens are
 * single-use, newer logins evict older tokens, tokens wait for the in-app approval, history
 * older than 90 days needs a strong customer authentication in the last 5 minutes (a pot's
 * account reaches 90 days only, always), one transaction listing spans at most 365 days, pot
 * moves are idempotent, webhooks are delivered with retries. Transactions can be settled,
 * edited and removed afterwards, and faults can be injected.
 *
 * Pages: `GET /auth/` (consent, buttons `#allow` and `#deny`) and `GET /auth/approve`
 * (the in-app approval, button `#approve`). Controls for other processes: `POST
 * /_emulator/approve`, `POST /_emulator/advance` `{seconds}`, `POST /_emulator/transactions`
 * `{account_id, amount, ...}`, `POST /_emulator/clients` `{redirect_uri}` and `GET
 * /_emulator/counters`; a request from another web page (an `Origin` other than the
 * emulator's own loopback one) is refused.
 *
 * Never let it face the internet: serve it on loopback. Bodies are capped, webhooks go to
 * loopback URLs only, uploads are served as downloads and what it remembers is bounded, but it
 * hands a login to whoever clicks Allow.
 *
 * @example Skip the browser, then call the API
 * ```ts
 * import { MonzoEmulator } from "@monzo-api/client/testing";
 *
 * const emulator = new MonzoEmulator({ seed: 42 });
 * const { accessToken } = emulator.login();
 * const response = await emulator.fetch(
 *   new Request(`https://api.monzo.com/balance?account_id=${emulator.accounts.current}`, {
 *     headers: { authorization: `Bearer ${accessToken}` },
 *   }),
 * );
 * console.log(await response.json()); // { balance: ..., total_balance: ..., ... }
 * ```
 */
export class MonzoEmulator {
  /** The request handler, bound; serve it with `Deno.serve`, `Bun.serve` or a Worker. */
  readonly fetch: (request: Request) => Promise<Response>;
  /** The default confidential client. */
  readonly client: EmulatorClient;
  /** The seeded user. */
  readonly user: { id: string; name: string };
  /** The seeded user's accounts: a `uk_retail` current account and a `uk_retail_joint` one. */
  readonly accounts: { current: string; joint: string };
  /**
   * The joint account's other owner, with a current account of his own: another user's
   * resources, for 403 tests (`login({ userId: emulator.partner.id })` acts as him).
   */
  readonly partner: { id: string; name: string; account: string };
  /** Traffic totals. */
  readonly counters: EmulatorCounters;
  /** The last 1000 requests (the `/_emulator/` controls excluded), oldest first. */
  readonly requests: EmulatorRequest[];
  /** Feed items created with `POST /feed`. */
  readonly feedItems: EmulatorFeedItem[];
  /** Bytes received at attachment upload URLs, keyed by `file_url`. */
  readonly uploads: Map<string, EmulatorUpload>;
  readonly #state: State;

  /**
   * Seeds the data and builds the app.
   *
   * @param options Seed, clock, token lifetime, webhook settings, receipt strictness, history size.
   */
  constructor(options: EmulatorOptions = {}) {
    const state = new State(options);
    this.#state = state;
    const app = createApp(state);
    this.fetch = async (request) => await app.fetch(request);
    this.client = state.defaultClient;
    const { user, partner } = state.world;
    this.user = { id: user.id, name: user.name };
    this.accounts = { current: state.world.currentAccountId, joint: state.world.jointAccountId };
    this.partner = { id: partner.id, name: partner.name, account: state.world.partnerAccountId };
    this.counters = state.counters;
    this.requests = state.requests;
    this.feedItems = state.feedItems;
    this.uploads = state.uploads;
  }

  /**
   * Registers another OAuth client.
   *
   * @example A non-confidential client: it never gets refresh tokens
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator();
   * const client = emulator.addClient({ redirectUris: ["http://localhost:3000/cb"], confidential: false });
   * ```
   *
   * @param options Redirect URIs, confidentiality (default true), optional id and secret.
   * @returns The client (the same object the emulator keeps).
   */
  addClient(options: AddClientOptions): EmulatorClient {
    return this.#state.addClient(options);
  }

  /**
   * Registers one more redirect URI for a client.
   *
   * @example
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator();
   * emulator.addRedirectUri(emulator.client.id, "http://127.0.0.1:9999/callback");
   * ```
   *
   * @param clientId The client.
   * @param uri The exact URI to accept as `redirect_uri`.
   */
  addRedirectUri(clientId: string, uri: string): void {
    const client = this.#state.client(clientId);
    if (!client.redirectUris.includes(uri)) client.redirectUris.push(uri);
  }

  /**
   * A fresh single-use authorization code, as if the user clicked Allow on the consent page.
   * Exchange it at `POST /oauth2/token` within 10 minutes, with the same `redirect_uri`.
   *
   * @example
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator();
   * const code = emulator.authorize({ approveLater: true });
   * // ...exchange the code; the token answers 403 until:
   * emulator.approve();
   * ```
   *
   * @param options Client (default: the default client), redirect URI (default: its first),
   *   `approveLater` (default false: the token is approved when issued), user.
   * @returns The code.
   */
  authorize(options: AuthorizeOptions = {}): string {
    const client = this.#state.client(options.clientId ?? this.client.id);
    const redirectUri = options.redirectUri ?? client.redirectUris[0];
    if (!client.redirectUris.includes(redirectUri)) {
      throw new Error(`${redirectUri} is not a redirect URI of client ${client.id}`);
    }
    const userId = this.#userId(options.userId);
    return this.#state.oauth.issueCode(client.id, userId, redirectUri, !options.approveLater);
  }

  /**
   * Issues a token set directly, evicting the client's previous one for the user, as a
   * real code exchange does.
   *
   * @example
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator();
   * const { accessToken, refreshToken, expiry } = emulator.login();
   * ```
   *
   * @param options Client (default: the default client), `approved` (default true), user.
   * @returns The tokens; `refreshToken` only for confidential clients.
   */
  login(options: LoginOptions = {}): EmulatorTokenSet {
    const state = this.#state;
    const client = state.client(options.clientId ?? this.client.id);
    const approved = options.approved ?? true;
    const userId = this.#userId(options.userId);
    const record = state.oauth.issue(client, userId, approved, approved ? state.now() : null);
    const tokens: EmulatorTokenSet = {
      accessToken: record.accessToken,
      expiresIn: state.oauth.lifetimeSeconds,
      expiry: Math.floor(record.expiresAt / 1000),
    };
    if (record.refreshToken) tokens.refreshToken = record.refreshToken;
    return tokens;
  }

  /**
   * The in-app approval: the token starts working and the 5-minute full-history window opens.
   *
   * @example
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator();
   * const { accessToken } = emulator.login({ approved: false });
   * emulator.approve(accessToken);
   * ```
   *
   * @param accessTokenOrUserId An access token, or a user id to approve all of that user's
   *   pending tokens. Default: every pending token of the seeded user.
   */
  approve(accessTokenOrUserId?: string): void {
    this.#state.approve(accessTokenOrUserId);
  }

  /**
   * What became of a token this emulator issued: `active` until a new login evicts it
   * (`evicted`), a refresh replaces it (`rotated`) or a logout revokes it (`revoked`). An
   * expired token stays `active` (its refresh token still works). Tests use it to check that
   * a client kept the newest set.
   *
   * @example
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator();
   * const { accessToken } = emulator.login();
   * console.log(emulator.tokenStatus(accessToken)); // "active"
   * ```
   *
   * @param token An access token or a refresh token.
   * @returns Its status, or `undefined` when the emulator never issued it.
   */
  tokenStatus(token: string): "active" | "evicted" | "rotated" | "revoked" | undefined {
    return this.#state.oauth.statusOf(token);
  }

  /**
   * The clients and the active logins as JSON-ready data; pass it as the `restore` option of
   * a new emulator to keep the logins across a restart.
   *
   * @example
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator();
   * emulator.login();
   * const restarted = new MonzoEmulator({ restore: emulator.snapshot() });
   * ```
   *
   * @returns A copy: later changes do not show in it.
   */
  snapshot(): EmulatorSnapshot {
    return this.#state.snapshot();
  }

  /**
   * Moves the emulator clock forward (tokens expire, the 5-minute window closes).
   *
   * @example
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator();
   * emulator.advanceTime(30 * 3600); // the access token has expired
   * ```
   *
   * @param seconds How far to move.
   */
  advanceTime(seconds: number): void {
    this.#state.advance(seconds);
  }

  /**
   * Emulator time in epoch milliseconds.
   *
   * @example
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator();
   * console.log(new Date(emulator.now()).toISOString());
   * ```
   *
   * @returns The options' clock plus every `advanceTime`.
   */
  now(): number {
    return this.#state.now();
  }

  /**
   * Appends a transaction to an account and delivers `transaction.created` to its webhooks
   * (in the background; await {@link MonzoEmulator.deliveries}).
   *
   * @example
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator({ webhookRetryDelayMs: 0 });
   * emulator.addTransaction(emulator.accounts.current, { amount: -450, merchant: "Pret A Manger" });
   * await emulator.deliveries();
   * ```
   *
   * A `created` in the past makes a backdated insert, as Monzo's offline payments are: its id
   * is made from the insertion instant, so it sorts after the ids of transactions created
   * later, and a `since=<id>` cursor has already passed its place.
   *
   * @param accountId Any seeded account, or a pot's `pot_account_id`.
   * @param transaction Fields; the rest get defaults (a pending £3.50 debit, now).
   * @returns The stored transaction (live: later annotations show on it).
   */
  addTransaction(
    accountId: string,
    transaction: EmulatorTransactionInput = {},
  ): EmulatorTransaction {
    return this.#state.addTransaction(accountId, transaction);
  }

  /**
   * Settles a transaction, optionally with a final amount that differs from the pending one
   * (hotel and fuel pre-authorisations, foreign exchange): `settled`, `updated`, `amount`,
   * `local_amount`, `categories` and the balance follow, and `amount_is_pending` becomes
   * false. No webhook fires: Monzo sends none for changes.
   *
   * @example A hotel pre-authorisation of £100 settles nine days later at £234.56
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator();
   * const hold = emulator.addTransaction(emulator.accounts.current, { amount: -10000, amountIsPending: true });
   * emulator.advanceTime(9 * 86400);
   * emulator.settleTransaction(hold.id, { amount: -23456 });
   * ```
   *
   * @param id A transaction id (any account).
   * @param options Settlement time (default now) and final amount (default unchanged).
   * @returns The updated record.
   * @throws {Error} When the transaction is unknown or the options are malformed.
   */
  settleTransaction(id: string, options: SettleOptions = {}): EmulatorTransaction {
    return this.#state.settleTransaction(id, options);
  }

  /**
   * Edits a transaction as the user or Monzo would (notes, category, metadata, description,
   * amount, a decline); `updated` moves to now and the balance follows the amount. No webhook
   * fires.
   *
   * @example The user adds a note on day 40
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator();
   * const tx = emulator.addTransaction(emulator.accounts.current, { amount: -1250 });
   * emulator.advanceTime(40 * 86400);
   * emulator.updateTransaction(tx.id, { notes: "Dinner with Charles", category: "eating_out" });
   * ```
   *
   * @param id A transaction id (any account).
   * @param patch The fields to change.
   * @returns The updated record.
   * @throws {Error} When the transaction is unknown or a field is malformed.
   */
  updateTransaction(id: string, patch: EmulatorTransactionPatch): EmulatorTransaction {
    return this.#state.updateTransaction(id, patch);
  }

  /**
   * A stored transaction, live (annotations, attachments and changes show on it), so a test
   * can check what an app wrote; undefined when there is none (or it was removed).
   *
   * @example
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator();
   * const { id } = emulator.addTransaction(emulator.accounts.current);
   * console.log(emulator.transaction(id)?.notes);
   * ```
   *
   * @param id A transaction id (any account).
   * @returns The transaction, or undefined.
   */
  transaction(id: string): EmulatorTransaction | undefined {
    return this.#state.storedTransaction(id);
  }

  /**
   * Removes a transaction: it leaves the listings and the balance, and `GET
   * /transactions/{id}` answers 404 `not_found.transaction`.
   *
   * @example
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator();
   * const tx = emulator.addTransaction(emulator.accounts.current);
   * emulator.removeTransaction(tx.id);
   * ```
   *
   * @param id A transaction id (any account).
   * @throws {Error} When the transaction is unknown.
   */
  removeTransaction(id: string): void {
    this.#state.removeTransaction(id);
  }

  /**
   * The `GET /transactions` requests among {@link MonzoEmulator.requests}, oldest first, with
   * their query and status: what a sync asked for and what it got.
   *
   * @example No listing asked for more than 365 days
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator();
   * // ...run a sync against it...
   * for (const { since, before, status } of emulator.transactionRequests()) {
   *   console.log(since, before, status);
   * }
   * ```
   *
   * @returns A fresh array of parsed entries.
   */
  transactionRequests(): EmulatorTransactionsRequest[] {
    return this.requests
      .filter((r) => r.method === "GET" && r.path === "/transactions")
      .map(({ at, query, status }) => {
        const params = new URLSearchParams(query);
        const entry: EmulatorTransactionsRequest = {
          at,
          accountId: params.get("account_id") ?? "",
          status,
        };
        for (const key of ["since", "before", "limit"] as const) {
          const value = params.get(key);
          if (value !== null) entry[key] = value;
        }
        return entry;
      });
  }

  /**
   * Makes matching requests fail (or slow down) before normal handling. Faults apply in the
   * order injected; the `/_emulator/` controls are never faulted.
   *
   * @example Rate limit the next two transaction listings, then time out a token request
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator();
   * emulator.injectFault({ path: "/transactions", status: 429, retryAfter: 1, count: 2 });
   * emulator.injectFault({ path: "/oauth2/token", status: 504 });
   * emulator.injectFault({ path: /^\/pots/, drop: true, probability: 0.1, count: Infinity });
   * ```
   *
   * @param fault What to match and what to do; see {@link EmulatorFault}.
   */
  injectFault(fault: EmulatorFault): void {
    this.#state.faults.add(fault);
  }

  /**
   * Removes every injected fault.
   *
   * @example
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator();
   * emulator.injectFault({ status: 500, count: Infinity });
   * emulator.clearFaults();
   * ```
   */
  clearFaults(): void {
    this.#state.faults.clear();
  }

  /**
   * Resolves when every pending webhook delivery, retries included, has settled.
   *
   * @example
   * ```ts
   * import { MonzoEmulator } from "@monzo-api/client/testing";
   *
   * const emulator = new MonzoEmulator({ webhookRetryDelayMs: 0 });
   * await emulator.deliveries();
   * console.log(emulator.counters.webhookDeliveries);
   * ```
   */
  deliveries(): Promise<void> {
    return this.#state.webhooks.settled();
  }

  #userId(userId: string = this.user.id): string {
    if (!this.#state.users.has(userId)) throw new Error(`Unknown user ${userId}`);
    return userId;
  }
}
