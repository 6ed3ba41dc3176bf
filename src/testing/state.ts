// All the emulator's mutable state, and the lookups every route needs.
import { ApiError, notFound, notYours } from "./_errors.ts";
import { DEFAULT_MAX_BODY_BYTES } from "./_limits.ts";
import { Random, randomBase62 } from "./_random.ts";
import { DAY_MS, iso, parseTimestamp } from "./_time.ts";
import { Faults } from "./faults.ts";
import { type Account, type Client, isOwner, type Pot, type User } from "./models.ts";
import { OAuthStore, type TokenRecord } from "./oauth.ts";
import type { Receipt } from "./receipts.ts";
import { potStatementSpec, seedWorld, transferSettlement, type World } from "./seed.ts";
import {
  applyChange,
  type Entry,
  type EntryChange,
  materialize,
  newEntry,
  renderTransaction,
} from "./transactions.ts";
import type {
  AddClientOptions,
  EmulatorAttachment,
  EmulatorCounters,
  EmulatorFeedItem,
  EmulatorOptions,
  EmulatorRequest,
  EmulatorSnapshot,
  EmulatorTransaction,
  EmulatorTransactionInput,
  EmulatorTransactionPatch,
  EmulatorUpload,
  SettleOptions,
} from "./types.ts";
import { WebhookHub } from "./webhooks.ts";

/** Who is calling: a valid token, its user and its client. */
export interface Session {
  token: TokenRecord;
  user: User;
  client: Client;
}

/** An upload URL handed out by `POST /attachment/upload`, waiting for its bytes. */
export interface PendingUpload {
  fileUrl: string;
  signature: string;
  contentLength: number;
}

/** A consent page shown to the browser, waiting for Allow or Deny. */
export interface Consent {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
}

/** An account whose transactions can be listed: a current or joint account, or a pot's. */
export interface Listable {
  id: string;
  createdMs: number;
  /** The pot when it is a pot's backing account (90 days only, even inside the window). */
  pot: Pot | undefined;
}

const REQUEST_LOG_SIZE = 1000;
/** The longest span one `GET /transactions` may cover: 365 days (8760 h). */
export const MAX_RANGE_MS = 365 * DAY_MS;
/** How far back history stays readable without a fresh strong customer authentication. */
const HISTORY_WINDOW_MS = 90 * DAY_MS;
/** How long after the strong customer authentication the whole history is readable. */
const SCA_WINDOW_MS = 5 * 60_000;

/** The emulator's world and bookkeeping. */
export class State {
  readonly rng: Random;
  readonly world: World;
  /** When the world was seeded (epoch ms): a restart from a snapshot seeds the same one. */
  readonly seededAt: number;
  readonly users: Map<string, User>;
  readonly clients: Map<string, Client> = new Map();
  readonly defaultClient: Client;
  readonly oauth: OAuthStore;
  readonly webhooks: WebhookHub;
  readonly faults: Faults;
  readonly strictReceipts: boolean;
  readonly maxBodyBytes: number;
  readonly counters: EmulatorCounters = {
    requests: 0,
    tokenRequests: 0,
    grants: { authorization_code: 0, refresh_token: 0 },
    refreshReuses: 0,
    feedItems: 0,
    webhookDeliveries: 0,
    webhookFailures: 0,
  };
  readonly requests: EmulatorRequest[] = [];
  readonly feedItems: EmulatorFeedItem[] = [];
  readonly uploads: Map<string, EmulatorUpload> = new Map();
  readonly pendingUploads: Map<string, PendingUpload> = new Map();
  readonly attachments: Map<string, EmulatorAttachment> = new Map();
  /** Receipts keyed by `<client id> <external id>`. */
  readonly receipts: Map<string, Receipt> = new Map();
  /** Pot move results keyed by `<pot id> <dedupe id>`. */
  readonly potMoves: Map<string, Pot> = new Map();
  readonly consents: Map<string, Consent> = new Map();
  readonly #clock: () => number;
  #offsetMs = 0;

  constructor(options: EmulatorOptions) {
    const seed = options.seed ?? 1;
    this.#clock = options.now ?? Date.now;
    this.rng = new Random(seed);
    this.faults = new Faults(new Random(seed ^ 0x5eed));
    this.strictReceipts = options.strictReceipts ?? false;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const historyDays = options.historyDays ?? 365;
    if (!Number.isInteger(historyDays) || historyDays < 1) {
      throw new RangeError("historyDays must be a positive integer");
    }
    this.seededAt = options.restore?.seededAt ?? this.now();
    this.world = seedWorld(this.rng, new Random(seed ^ 0x907ac), this.seededAt, {
      cardPerDay: options.transactionsPerDay ?? 4,
      historyDays,
    });
    this.users = new Map([this.world.user, this.world.partner].map((u) => [u.id, u]));
    this.oauth = new OAuthStore(
      () => this.now(),
      options.accessTokenLifetimeSeconds ?? 107999,
      () => this.counters.refreshReuses++,
    );
    const fetcher = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.webhooks = new WebhookHub(
      fetcher,
      options.webhookRetryDelayMs ?? 1000,
      this.counters,
      options.allowRemoteWebhooks ?? false,
    );
    const [saved, ...others] = options.restore?.clients ?? [];
    this.defaultClient = this.addClient(
      saved ?? {
        redirectUris: ["http://localhost:8000/callback", "http://127.0.0.1:8000/callback"],
      },
    );
    for (const client of others) this.addClient(client);
    if (options.restore) this.#restoreTokens(options.restore);
  }

  /** The clients and the active logins, to restart with (see {@link EmulatorSnapshot}). */
  snapshot(): EmulatorSnapshot {
    const users = [this.world.user.id, this.world.partner.id];
    return {
      version: 1,
      seededAt: this.seededAt,
      clients: [...this.clients.values()].map(({ id, secret, redirectUris, confidential }) => ({
        id,
        secret,
        redirectUris: [...redirectUris],
        confidential,
      })),
      tokens: this.oauth.activeRecords().map(({ userId, status: _, ...record }) => ({
        ...record,
        user: users.indexOf(userId) === 1 ? "partner" : "user",
      })),
    };
  }

  #restoreTokens(snapshot: EmulatorSnapshot): void {
    if (snapshot.version !== 1) throw new Error(`Unknown emulator snapshot ${snapshot.version}`);
    this.oauth.restore(
      snapshot.tokens
        .filter((token) => this.clients.has(token.clientId))
        .map(({ user, ...token }) => ({
          ...token,
          userId: user === "partner" ? this.world.partner.id : this.world.user.id,
          status: "active" as const,
        })),
    );
  }

  /** Emulator time in epoch ms. */
  now(): number {
    return this.#clock() + this.#offsetMs;
  }

  advance(seconds: number): void {
    this.#offsetMs += seconds * 1000;
  }

  addClient(options: AddClientOptions): Client {
    const confidential = options.confidential ?? true;
    const id = options.id ?? this.rng.id("oauth2client", this.now());
    const client: Client = {
      id,
      secret: options.secret ?? `${confidential ? "mnzconf" : "mnzpub"}.${randomBase62(64)}`,
      redirectUris: [...options.redirectUris],
      confidential,
      name: `Emulated app ${this.clients.size + 1}`,
    };
    this.clients.set(id, client);
    return client;
  }

  client(id: string): Client {
    const client = this.clients.get(id);
    if (!client) throw new Error(`Unknown client ${id}`);
    return client;
  }

  /** A token's session; used after authentication. */
  session(token: TokenRecord): Session {
    const user = this.users.get(token.userId);
    const client = this.clients.get(token.clientId);
    if (!user || !client) throw new Error("token of an unknown user or client");
    return { token, user, client };
  }

  /**
   * The in-app approval: approves the pending tokens of a user (default: the seeded user),
   * or one access token. Returns how many were approved.
   */
  approve(target?: string): number {
    if (target === undefined || this.users.has(target)) {
      const userId = target ?? this.world.user.id;
      return this.oauth.approve((record) => record.userId === userId);
    }
    return this.oauth.approve((record) => record.accessToken === target);
  }

  logRequest(entry: EmulatorRequest): void {
    this.counters.requests++;
    this.requests.push(entry);
    if (this.requests.length > REQUEST_LOG_SIZE) {
      this.requests.splice(0, this.requests.length - REQUEST_LOG_SIZE);
    }
  }

  /** An account the session's user owns (404 when unknown, 403 when someone else's). */
  account(session: Session, id: string): Account {
    const account = this.world.accounts.get(id);
    if (!account) throw notFound("account", id);
    if (!isOwner(account, session.user.id)) throw notYours("account", id);
    return account;
  }

  /**
   * An account whose transactions the session's user may list: one of theirs, or the backing
   * account of one of their pots (404 when unknown, 403 when someone else's).
   */
  listable(session: Session, id: string): Listable {
    const pot = this.world.potAccounts.get(id);
    if (pot) {
      if (!isOwner(this.#ownerAccount(id), session.user.id)) throw notYours("account", id);
      return { id, createdMs: Date.parse(pot.created), pot };
    }
    const account = this.account(session, id);
    return { id, createdMs: Date.parse(account.created), pot: undefined };
  }

  /** The account whose owners own `accountId` (a pot account is owned through its pot). */
  #ownerAccount(accountId: string): Account {
    const pot = this.world.potAccounts.get(accountId);
    return this.world.accounts.get(pot ? pot.current_account_id : accountId)!;
  }

  /** The record of a stored transaction, or undefined. */
  storedTransaction(id: string): EmulatorTransaction | undefined {
    const entry = this.world.transactions.get(id);
    return entry && materialize(entry);
  }

  /** A transaction on one of the session user's accounts. */
  transaction(session: Session, id: string): Entry {
    const entry = this.world.transactions.get(id);
    if (!entry) throw notFound("transaction", id);
    if (!isOwner(this.#ownerAccount(entry.accountId), session.user.id)) {
      throw notYours("transaction", id);
    }
    return entry;
  }

  /**
   * The 365-day range rule of `GET /transactions`: from `startMs` (the `since` time, or the
   * account's creation) to `endMs` (`before`, or now) at most 8760 hours.
   */
  checkRange(startMs: number, endMs: number): void {
    if (endMs - startMs > MAX_RANGE_MS) {
      throw new ApiError(
        "bad_request.invalid_time_range",
        "The time range you have requested is too large. Please request a time range of 365 days or less. See https://community.monzo.com/t/158676",
        { params: { since: iso(startMs), before: iso(endMs) } },
      );
    }
  }

  /**
   * The 5-minute / 90-day rule: reaching 90 days back or further needs a strong customer
   * authentication in the last 5 minutes; a pot's account never reaches that far.
   */
  checkHistoryWindow(session: Session, fromMs: number, toMs: number, pot = false): void {
    const now = this.now();
    const { scaAt } = session.token;
    const recentSca = !pot && scaAt !== null && now - scaAt <= SCA_WINDOW_MS;
    if (!recentSca && fromMs <= now - HISTORY_WINDOW_MS) {
      throw new ApiError(
        "forbidden.verification_required",
        "Access to transactions older than 90 days requires a strong customer authentication in the last 5 minutes",
        {
          params: {
            start_time: iso(fromMs),
            end_time: iso(toMs),
            auth_session_id: authSessionId(session),
          },
        },
      );
    }
  }

  /**
   * Appends a transaction (test hook) and fires the account's webhooks. A backdated one (its
   * `created` in the past) gets an id from now, so it sorts after later-created ones.
   */
  addTransaction(accountId: string, input: EmulatorTransactionInput): EmulatorTransaction {
    if (!this.world.accounts.has(accountId) && !this.world.potAccounts.has(accountId)) {
      throw new Error(`Unknown account ${accountId}`);
    }
    const account = this.#ownerAccount(accountId);
    const merchant = input.merchant ? this.#merchant(input.merchant) : null;
    const now = this.now();
    const createdMs = input.created === undefined ? now : parseTimestamp(input.created);
    const settledMs = input.settled ? parseTimestamp(input.settled) : null;
    if (createdMs === undefined || settledMs === undefined) {
      throw new Error("created and settled must be RFC 3339");
    }
    const amount = input.amount ?? -350;
    const declined = input.decline_reason !== undefined;
    const entry = newEntry(this.rng, {
      accountId,
      userId: account.owners[0].user_id,
      createdMs,
      amount,
      description: input.description ?? merchant?.name ?? "Transaction",
      merchant,
      category: input.category ?? merchant?.category ?? "general",
      settledMs: settledMs ?? (declined ? createdMs : null),
      updatedMs: Math.min(now, settledMs ?? createdMs),
      scheme: merchant ? "mastercard" : "payport_faster_payments",
      declineReason: input.decline_reason,
      amountIsPending: input.amountIsPending ?? false,
      metadata: { ...input.metadata },
    }, Math.max(createdMs, now));
    return this.insert(entry);
  }

  /** Records a move into or out of a pot on the pot's own statement. */
  potStatement(pot: Pot, source: Entry): void {
    const entry = newEntry(this.rng, potStatementSpec(pot, source));
    this.world.ledgers.get(entry.accountId)!.insert(entry);
    this.world.transactions.set(entry.id, entry);
  }

  /** When a transfer made now settles (the next business day). */
  transferSettlement(): number {
    return transferSettlement(this.now());
  }

  /** Settles a pending transaction, optionally with its final amount. */
  settleTransaction(id: string, options: SettleOptions = {}): EmulatorTransaction {
    const at = options.at === undefined ? this.now() : parseTimestamp(options.at);
    if (at === undefined) throw new Error("at must be RFC 3339");
    const change: EntryChange = { settledMs: at, amountIsPending: false };
    if (options.amount !== undefined) change.amount = checkAmount(options.amount);
    return this.#change(id, change);
  }

  /** Edits a transaction as Monzo or the user would; `updated` moves to now. */
  updateTransaction(id: string, patch: EmulatorTransactionPatch): EmulatorTransaction {
    const change: EntryChange = {};
    if (patch.amount !== undefined) change.amount = checkAmount(patch.amount);
    if (patch.settled !== undefined) {
      const settledMs = patch.settled === "" ? null : parseTimestamp(patch.settled);
      if (settledMs === undefined) throw new Error("settled must be RFC 3339 or empty");
      change.settledMs = settledMs;
    }
    if (patch.description !== undefined) change.description = patch.description;
    if (patch.category !== undefined) change.category = patch.category;
    if (patch.notes !== undefined) change.notes = patch.notes;
    if (patch.metadata !== undefined) change.metadata = patch.metadata;
    if (patch.decline_reason !== undefined) change.declineReason = patch.decline_reason;
    if (patch.amount_is_pending !== undefined) change.amountIsPending = patch.amount_is_pending;
    return this.#change(id, change);
  }

  /** Deletes a transaction: gone from lists and the balance; `GET /transactions/{id}` is 404. */
  removeTransaction(id: string): void {
    const entry = this.#entry(id);
    this.world.ledgers.get(entry.accountId)!.remove(entry);
    this.world.transactions.delete(id);
  }

  #change(id: string, change: EntryChange): EmulatorTransaction {
    const entry = this.#entry(id);
    this.world.ledgers.get(entry.accountId)!.balance += applyChange(entry, change, this.now());
    return materialize(entry);
  }

  #entry(id: string): Entry {
    const entry = this.world.transactions.get(id);
    if (!entry) throw new Error(`Unknown transaction ${id}`);
    return entry;
  }

  /** Stores a new entry and fires webhooks with the merchant expanded. */
  insert(entry: Entry): EmulatorTransaction {
    this.world.ledgers.get(entry.accountId)!.insert(entry);
    this.world.transactions.set(entry.id, entry);
    const tx = materialize(entry);
    this.webhooks.dispatch(entry.accountId, renderTransaction(tx, this.world.merchants, true));
    return tx;
  }

  #merchant(idOrName: string) {
    const byId = this.world.merchants.get(idOrName);
    if (byId) return byId;
    const wanted = idOrName.toLowerCase();
    for (const merchant of this.world.merchants.values()) {
      if (merchant.name.toLowerCase() === wanted) return merchant;
    }
    throw new Error(`Unknown merchant ${idOrName}`);
  }
}

function checkAmount(amount: number): number {
  if (!Number.isSafeInteger(amount)) throw new Error("amount must be an integer (minor units)");
  return amount;
}

/**
 * Monzo's `auth_session_id`: one per approval (strong customer authentication), so it stays
 * the same across refreshes and changes with a new login.
 */
function authSessionId(session: Session): string {
  const { clientId, userId, scaAt, issuedAt } = session.token;
  let hash = 0x811c9dc5;
  for (const char of `${clientId} ${userId} ${scaAt ?? issuedAt}`) {
    hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  }
  return `authsess_${hash.toString(36).padStart(7, "0")}`;
}
