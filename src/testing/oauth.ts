// OAuth state: authorization codes and token sets, with Monzo's rotation, eviction and approval rules.
import { ApiError } from "./_errors.ts";
import { MAP_LIMIT, remember } from "./_limits.ts";
import { opaqueToken } from "./_random.ts";
import type { Client } from "./models.ts";

/** `active` until replaced by a login (`evicted`), a refresh (`rotated`) or a logout (`revoked`). */
export type TokenStatus = "active" | "evicted" | "rotated" | "revoked";

/** One access token and its refresh token. */
export interface TokenRecord {
  accessToken: string;
  refreshToken: string | null;
  clientId: string;
  userId: string;
  issuedAt: number;
  expiresAt: number;
  /** Whether the user approved access in the app. */
  approved: boolean;
  /** When the user last did strong customer authentication (the approval), in ms. */
  scaAt: number | null;
  status: TokenStatus;
}

interface CodeRecord {
  clientId: string;
  userId: string;
  redirectUri: string;
  expiresAt: number;
  used: boolean;
  approved: boolean;
}

const CODE_LIFETIME_MS = 10 * 60_000;
/** Token sets kept for lookups; beyond it the oldest replaced ones are forgotten. */
const TOKEN_LIMIT = 10 * MAP_LIMIT;

function invalidGrant(code: string, message: string): ApiError {
  return new ApiError(code, message, { oauthError: "invalid_grant" });
}

function badToken(code: string, message: string): ApiError {
  return new ApiError(code, message, { oauthError: "invalid_token" });
}

/** Codes and tokens of every client and user. */
export class OAuthStore {
  readonly #now: () => number;
  readonly #lifetimeSeconds: number;
  readonly #onRefreshReuse: () => void;
  readonly #codes = new Map<string, CodeRecord>();
  readonly #byAccess = new Map<string, TokenRecord>();
  readonly #byRefresh = new Map<string, TokenRecord>();
  /** The one active token set per client and user. */
  readonly #active = new Map<string, TokenRecord>();

  constructor(now: () => number, lifetimeSeconds: number, onRefreshReuse: () => void) {
    this.#now = now;
    this.#lifetimeSeconds = lifetimeSeconds;
    this.#onRefreshReuse = onRefreshReuse;
  }

  get lifetimeSeconds(): number {
    return this.#lifetimeSeconds;
  }

  /** A single-use code, valid for 10 minutes; `approved` pre-approves the resulting token. */
  issueCode(clientId: string, userId: string, redirectUri: string, approved: boolean): string {
    const code = opaqueToken("code");
    remember(this.#codes, code, {
      clientId,
      userId,
      redirectUri,
      approved,
      used: false,
      expiresAt: this.#now() + CODE_LIFETIME_MS,
    }, MAP_LIMIT);
    return code;
  }

  /** Exchanges a code (grant_type=authorization_code). */
  redeemCode(client: Client, code: string, redirectUri: string): TokenRecord {
    const record = this.#codes.get(code);
    if (!record || record.clientId !== client.id) {
      throw invalidGrant("bad_request.authorization_code.invalid", "Authorization code is invalid");
    }
    if (record.used) {
      throw invalidGrant(
        "bad_request.authorization_code.used",
        "Authorization code has already been used",
      );
    }
    if (this.#now() >= record.expiresAt) {
      throw invalidGrant(
        "bad_request.authorization_code.expired",
        "Authorization code has expired",
      );
    }
    if (record.redirectUri !== redirectUri) {
      throw invalidGrant(
        "bad_request.bad_param.redirect_uri",
        "redirect_uri does not match the one used to obtain the authorization code",
      );
    }
    record.used = true;
    return this.issue(client, record.userId, record.approved, record.approved ? this.#now() : null);
  }

  /** Rotates a token set (grant_type=refresh_token); approval and `scaAt` carry over. */
  refresh(client: Client, refreshToken: string): TokenRecord {
    const record = this.#byRefresh.get(refreshToken);
    if (!record || record.clientId !== client.id) {
      throw invalidGrant("bad_request.refresh_token.invalid", "Refresh token is invalid");
    }
    switch (record.status) {
      case "rotated":
        this.#onRefreshReuse();
        throw invalidGrant(
          "bad_request.refresh_token.invalid",
          "Refresh token has already been used",
        );
      case "evicted":
        throw invalidGrant(
          "bad_request.refresh_token.evicted",
          "Refresh token was evicted by a newer login",
        );
      case "revoked":
        throw invalidGrant("bad_request.refresh_token.invalid", "Refresh token has been revoked");
    }
    record.status = "rotated";
    return this.#create(client, record.userId, record.approved, record.scaAt);
  }

  /** A new token set, evicting the one this client held for this user. */
  issue(client: Client, userId: string, approved: boolean, scaAt: number | null): TokenRecord {
    const previous = this.#active.get(`${client.id} ${userId}`);
    if (previous?.status === "active") previous.status = "evicted";
    return this.#create(client, userId, approved, scaAt);
  }

  /** The active token of an `Authorization` header, or a 401. */
  authenticate(header: string | null): TokenRecord {
    if (!header) throw badToken("unauthorized.auth_required", "Authentication required");
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const record = match ? this.#byAccess.get(match[1]) : undefined;
    if (!record) throw badToken("unauthorized.bad_access_token", "Access token is invalid");
    switch (record.status) {
      case "evicted":
        throw badToken(
          "unauthorized.bad_access_token.evicted",
          "Access token has been evicted due to a login elsewhere",
        );
      case "rotated":
        throw badToken("unauthorized.bad_access_token", "Access token was replaced by a refresh");
      case "revoked":
        throw badToken("unauthorized.bad_access_token", "Access token has been revoked");
    }
    if (this.#now() >= record.expiresAt) {
      throw badToken("unauthorized.bad_access_token.expired", "Access token has expired");
    }
    return record;
  }

  /** The status of an access token or a refresh token; `undefined` when never issued. */
  statusOf(token: string): TokenStatus | undefined {
    return (this.#byAccess.get(token) ?? this.#byRefresh.get(token))?.status;
  }

  /** How many active tokens of the user wait for approval. */
  pendingCount(userId: string): number {
    let pending = 0;
    for (const record of this.#active.values()) {
      if (record.status === "active" && !record.approved && record.userId === userId) pending++;
    }
    return pending;
  }

  /** Approves matching active tokens that wait for approval; returns how many. */
  approve(matches: (record: TokenRecord) => boolean): number {
    let approved = 0;
    for (const record of this.#active.values()) {
      if (record.status === "active" && !record.approved && matches(record)) {
        record.approved = true;
        record.scaAt = this.#now();
        approved++;
      }
    }
    return approved;
  }

  /** Logs out: the access token and its refresh token stop working. */
  revoke(record: TokenRecord): void {
    record.status = "revoked";
  }

  #create(client: Client, userId: string, approved: boolean, scaAt: number | null): TokenRecord {
    const issuedAt = this.#now();
    const record: TokenRecord = {
      accessToken: opaqueToken("access"),
      refreshToken: client.confidential ? opaqueToken("refresh") : null,
      clientId: client.id,
      userId,
      issuedAt,
      expiresAt: issuedAt + this.#lifetimeSeconds * 1000,
      approved,
      scaAt,
      status: "active",
    };
    this.#add(record);
    return record;
  }

  /** Every token set that is still active, for {@link MonzoEmulator.snapshot}. */
  activeRecords(): TokenRecord[] {
    return [...this.#active.values()].filter((record) => record.status === "active");
  }

  /** Takes back token sets saved by a snapshot, each as the active one of its client and user. */
  restore(records: TokenRecord[]): void {
    for (const record of records) this.#add({ ...record, status: "active" });
  }

  #add(record: TokenRecord): void {
    this.#byAccess.set(record.accessToken, record);
    if (record.refreshToken) this.#byRefresh.set(record.refreshToken, record);
    this.#active.set(`${record.clientId} ${record.userId}`, record);
    // Forget the oldest replaced sets (a reused one then reads as unknown: still refused).
    for (const old of this.#byAccess.values()) {
      if (this.#byAccess.size <= TOKEN_LIMIT) break;
      if (old.status === "active") continue;
      this.#byAccess.delete(old.accessToken);
      if (old.refreshToken) this.#byRefresh.delete(old.refreshToken);
    }
  }
}
