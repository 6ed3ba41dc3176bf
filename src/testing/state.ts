// All the emulator's mutable state, and the lookups every route needs.
import { ApiError, notFound, notYours } from "./_errors.ts";
import { DEFAULT_MAX_BODY_BYTES } from "./_limits.ts";
import { Random, randomBase62 } from "./_random.ts";
import { DAY_MS, parseTimestamp } from "./_time.ts";
import { Faults } from "./faults.ts";
import { type Account, type Client, isOwner, type Pot, type User } from "./models.ts";
import { OAuthStore, type TokenRecord } from "./oauth.ts";
import type { Receipt } from "./receipts.ts";
import { seedWorld, type World } from "./seed.ts";
import { type Entry, materialize, newEntry, renderTransaction } from "./transactions.ts";
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
  EmulatorUpload,
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

const REQUEST_LOG_SIZE = 1000;

/** The emulator's world and bookkeeping. */
export class State {
  readonly rng: Random;
  readonly world: World;
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
    this.world = seedWorld(this.rng, this.now(), options.transactionsPerDay ?? 4);
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

  /** A transaction on one of the session user's accounts. */
  transaction(session: Session, id: string): Entry {
    const entry = this.world.transactions.get(id);
    if (!entry) throw notFound("transaction", id);
    if (!isOwner(this.world.accounts.get(entry.accountId)!, session.user.id)) {
      throw notYours("transaction", id);
    }
    return entry;
  }

  /**
   * The 5-minute / 90-day rule: reaching further back than 90 days needs a strong customer
   * authentication in the last 5 minutes.
   */
  checkHistoryWindow(session: Session, fromMs: number): void {
    const now = this.now();
    const recentSca = session.token.scaAt !== null && now - session.token.scaAt <= 5 * 60_000;
    if (!recentSca && fromMs <= now - 90 * DAY_MS) {
      throw new ApiError(
        "forbidden.verification_required",
        "Access to transactions older than 90 days requires a strong customer authentication in the last 5 minutes",
      );
    }
  }

  /** Appends a transaction (test hook, pot moves) and fires the account's webhooks. */
  addTransaction(accountId: string, input: EmulatorTransactionInput): EmulatorTransaction {
    const account = this.world.accounts.get(accountId);
    if (!account) throw new Error(`Unknown account ${accountId}`);
    const merchant = input.merchant ? this.#merchant(input.merchant) : null;
    const createdMs = input.created === undefined ? this.now() : parseTimestamp(input.created);
    const settledMs = input.settled ? parseTimestamp(input.settled) : null;
    if (createdMs === undefined || settledMs === undefined) {
      throw new Error("created and settled must be RFC 3339");
    }
    const amount = input.amount ?? -350;
    const entry = newEntry(this.rng, {
      accountId,
      userId: account.owners[0].user_id,
      createdMs,
      amount,
      description: input.description ?? merchant?.name ?? "Transaction",
      merchant,
      category: input.category ?? merchant?.category ?? "general",
      settledMs,
      scheme: merchant ? "mastercard" : "payport_faster_payments",
      declineReason: input.decline_reason,
      metadata: { ...input.metadata },
    });
    return this.insert(entry);
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
