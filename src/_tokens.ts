// Private: the token life cycle of one Authentication. The whole rule set of the login
// safety model is here (docs/refreshing-tokens.md explains it to users):
//
// 1. One writer at a time. Refresh, login, logout and the retry of an unsaved set run one
//    after another in this instance (#serial) and, with a leasing handler, under the lease,
//    renewed while held (the heartbeat). Waiting for another holder adopts its stored result.
// 2. Generations order sets: a refresh of g gives g + 1, a login the highest seen + 1, a
//    logout (tombstone) the revoked set's + 1. A refreshed set or a tombstone only replaces an
//    older generation and never a tombstone; a login replaces anything (compare-and-set in
//    _stores.ts).
// 3. A grant, once sent, is awaited under its own long deadline (grantTimeoutMs), never the
//    request timeout; refused with `bad_request.refresh_token.*`, we wait (bounded) for a
//    newer generation to appear before reporting that a new login is needed.
// 4. Every handler call has a deadline. A set that could not be stored stays in memory,
//    keeps the lease, is retried under rule 2 before the next request (and by the
//    heartbeat), is never used for a request until stored, and makes close() throw.
// 5. A 401 for a token that a refresh in flight is replacing waits for it, then the request
//    is sent again with the new token.

import {
  MonzoApiError,
  MonzoAuthenticationError,
  type MonzoError,
  MonzoStorageError,
} from "./errors.ts";
import { sleep } from "./http.ts";
import type { TokenGrant } from "./_oauth.ts";
import {
  callHandler,
  generationOf,
  readNewest,
  type WriteKind,
  type WriteResult,
  writeSet,
} from "./_stores.ts";
import type { Credentials, Storage, StorageLease } from "./storage.ts";

/** What the keeper needs from its Authentication. */
export interface KeeperConfig {
  clientId: string;
  clientSecret: string;
  /** The clock, in epoch milliseconds. */
  now: () => number;
  skewSeconds: number;
  storeTimeoutMs: number;
  leaseTtlMs: number;
  /** The grant's own deadline; also bounds how long we wait for another lease holder. */
  grantTimeoutMs: number;
  handoverWaitMs: number;
  /** Sends a token grant under `grantTimeoutMs`. */
  grant(params: Record<string, string>): Promise<TokenGrant>;
  /** Revokes an access token at Monzo. */
  revoke(accessToken: string): Promise<void>;
  /** Whether Monzo still accepts an access token (`undefined`: could not tell). */
  works(accessToken: string): Promise<boolean | undefined>;
}

const POLL_MS = 50;
/** What #takeLease gives when another holder's stored result was enough. */
const ADOPTED = "adopted";
const EXPIRED = "unauthorized.bad_access_token.expired";

/** The current token set of one Authentication, and every write of a new one. */
export class TokenKeeper {
  readonly handlers: Storage[] = [];
  #config: KeeperConfig;
  #set: Credentials | null;
  /** How #set still has to be written, while it is not in every handler. */
  #unsaved: WriteKind | null = null;
  #tail: Promise<unknown> | null = null;
  #refreshing: Promise<void> | null = null;
  #lease: StorageLease | null = null;
  /** Whether a set newer than ours may still appear from a former holder (see #takeLease). */
  #handover = false;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(config: KeeperConfig, initial: Credentials | null) {
    this.#config = config;
    this.#set = initial;
  }

  /** The current set (a tombstone after a logout), or null. */
  get current(): Credentials | null {
    return this.#set;
  }

  /** The access token when it can be sent right now, with nothing to wait for or store. */
  usable(): string | undefined {
    const set = this.#set;
    if (this.#tail || this.#unsaved || !set || set.loggedOut || this.#expiresSoon(set)) {
      return undefined;
    }
    return set.accessToken;
  }

  /** A token to send: waits for a write in flight, stores an unsaved set, refreshes. */
  async token(): Promise<string> {
    for (let refreshes = 0;; refreshes++) {
      await this.#idle();
      if (this.#unsaved) await this.#serial(() => this.#flushLocked());
      // Logged out here: another instance may have logged in since, or be storing a login.
      if (!this.#set || this.#set.loggedOut) await this.#serial(() => this.#catchUp());
      const set = this.#set;
      if (!set || set.loggedOut) throw notAuthenticated(set);
      // A set just granted is used until it expires, even when Monzo grants less than the skew.
      if (!this.#expiresSoon(set, refreshes ? 0 : undefined)) return set.accessToken;
      if (refreshes === 2) {
        throw new MonzoAuthenticationError("Monzo granted an access token that expires at once");
      }
      if (!set.refreshToken) {
        throw new MonzoAuthenticationError(
          "The access token has expired and there is no refresh token (a non-confidential " +
            "client cannot refresh): the user must log in again.",
          { code: "oauth.not_authenticated", reauthorizationRequired: true },
        );
      }
      await this.refresh();
    }
  }

  /**
   * One refresh at a time; callers meanwhile share it. `replacing`: the access token that
   * must be replaced (an explicit refresh, an expired-token 401), even if not expiring.
   */
  refresh(replacing?: string): Promise<void> {
    this.#refreshing ??= this.#serial(() => this.#refreshLocked(replacing)).finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  /** After a 401 on a request sent with `used`: true when a retry with a new token is worth it. */
  async recover(error: MonzoError, used: string): Promise<boolean> {
    await this.#idle(); // a refresh in flight is replacing `used`: wait for it (rule 5)
    const replaced = () => this.#set?.accessToken !== used;
    if (!replaced() && error.code === EXPIRED && this.#set?.refreshToken) {
      await this.refresh(used);
    } else if (!replaced()) {
      // Rotated, evicted or revoked: a newer set exists somewhere (another instance's refresh
      // or login, a logout's tombstone). Wait for its holder, then for the set (rule 3).
      await this.#serial(async () => {
        const before = this.#set;
        const lease = await this.#takeLease(replaced);
        try {
          if (!(await this.#adoptNewer()) && before && this.#handover) {
            await this.#awaitNewer(before);
          }
        } finally {
          await this.#release(lease);
        }
      });
    }
    if (this.#set?.loggedOut) throw notAuthenticated(this.#set);
    return replaced();
  }

  /**
   * A new login: the code exchange, under the lease, stored over anything; unless the
   * storage moved on while the code was exchanged (the lease ran out meanwhile) and Monzo
   * says the new set no longer works: a later login evicted it.
   */
  login(params: Record<string, string>): Promise<Credentials> {
    return this.#serial(async () => {
      const lease = await this.#takeLease(() => false);
      try {
        const before = await readNewest(this.handlers, this.#config.clientId, this.#storeMs);
        const granted = await this.#config.grant(params);
        // From here on the set is the login: nothing may throw before it is kept.
        let stored: Credentials | null | undefined;
        try {
          stored = await readNewest(this.handlers, this.#config.clientId, this.#storeMs);
        } catch {
          // Unreadable now: the write below finds out, and goes above what it finds.
        }
        const moved = !!stored && (!before || generationOf(stored) !== generationOf(before) ||
          stored.accessToken !== before.accessToken);
        if (moved && (await this.#config.works(granted.accessToken)) === false) {
          await this.#adopt(stored!);
          throw new MonzoAuthenticationError(
            "A newer login replaced this one while it was being made; the newer one is kept.",
            { code: "oauth.login_superseded" },
          );
        }
        const highest = Math.max(stored ? generationOf(stored) : 0, this.#generation());
        await this.#write(this.#newSet(granted, highest + 1), "replace");
        return { ...this.#set! };
      } finally {
        await this.#release(lease);
      }
    });
  }

  /**
   * Revokes the newest set at Monzo and stores a tombstone no older set can replace. The
   * tombstone only replaces the set it revoked: when a newer one appears meanwhile (the lease
   * ran out during a slow revoke and another instance refreshed), that one is revoked too.
   */
  logout(): Promise<void> {
    return this.#serial(async () => {
      const lease = await this.#takeLease(() => false);
      try {
        for (let round = 0; round < 5; round++) {
          await this.#adoptNewer();
          const set = this.#set;
          if (set?.loggedOut) {
            if (this.#unsaved) await this.#write(set, this.#unsaved);
            return;
          }
          // Already replaced, after a takeover: its successor may be about to be stored.
          if (set && (await this.#revoke(set)) && this.#handover && (await this.#awaitNewer(set))) {
            continue;
          }
          await this.#write({
            accessToken: "",
            clientId: this.#config.clientId,
            clientSecret: "",
            expiry: 0,
            generation: this.#generation() + 1,
            loggedOut: true,
          }, "advance");
          if (this.#set?.loggedOut) return;
        }
        throw new MonzoStorageError("The stored login kept changing during the logout");
      } finally {
        await this.#release(lease);
      }
    });
  }

  /** Stores an unsaved set, stops the heartbeat; throws while the newest set is unsaved. */
  async close(): Promise<void> {
    await this.#idle();
    if (this.#unsaved) await this.#serial(() => this.#flushLocked());
    await this.#release(this.#lease);
  }

  /** Adopts what the handlers hold, as `fromStorage` does. */
  async load(): Promise<void> {
    await this.#adoptNewer();
  }

  get #storeMs(): number {
    return this.#config.storeTimeoutMs;
  }

  #generation(): number {
    return this.#set ? generationOf(this.#set) : 0;
  }

  #expiresSoon(set: Credentials, skew = this.#config.skewSeconds): boolean {
    return set.expiry - skew <= this.#config.now() / 1000;
  }

  #newSet(granted: TokenGrant, generation: number): Credentials {
    const set: Credentials = {
      accessToken: granted.accessToken,
      clientId: this.#config.clientId,
      clientSecret: this.#config.clientSecret,
      expiry: Math.floor(this.#config.now() / 1000) + granted.expiresIn,
      generation,
    };
    // Monzo rotates refresh tokens: never keep the old one (it no longer works).
    if (granted.refreshToken) set.refreshToken = granted.refreshToken;
    return set;
  }

  /** Runs `op` after every op queued before it, whatever their outcome. */
  #serial<T>(op: () => Promise<T>): Promise<T> {
    const run = (this.#tail ?? Promise.resolve()).then(op, op);
    const tail = run.then(() => {}, () => {}).then(() => {
      if (this.#tail === tail) this.#tail = null;
    });
    this.#tail = tail;
    return run;
  }

  async #idle(): Promise<void> {
    while (this.#tail) await this.#tail;
  }

  async #refreshLocked(replacing: string | undefined): Promise<void> {
    const done = () =>
      !!this.#set && !this.#set.loggedOut && !this.#expiresSoon(this.#set) &&
      this.#set.accessToken !== replacing;
    let lease = await this.#takeLease(done);
    // Adopted while waiting, but the clock moved on since: refresh under the lease after all.
    while (lease === ADOPTED) {
      if (done()) return;
      lease = await this.#takeLease(done);
    }
    try {
      await this.#adoptNewer();
      if (this.#unsaved) await this.#write(this.#set!, this.#unsaved);
      const set = this.#set;
      if (!set || set.loggedOut) throw notAuthenticated(set);
      if (done()) return;
      if (!set.refreshToken) {
        throw new MonzoAuthenticationError(
          "There is no refresh token: the user must log in again.",
          { code: "oauth.no_refresh_token", reauthorizationRequired: true },
        );
      }
      let granted: TokenGrant;
      try {
        granted = await this.#config.grant({
          grant_type: "refresh_token",
          refresh_token: set.refreshToken,
        });
      } catch (error) {
        // Refused: another instance may have used this token and be about to store (rule 3).
        if (isRefused(error) && this.#handover && (await this.#awaitNewer(set))) return;
        throw error;
      }
      await this.#write(this.#newSet(granted, generationOf(set) + 1), "advance");
    } finally {
      await this.#release(lease);
    }
  }

  /**
   * Waits for a lease holder (adopting what it stores) and reads the newest set; after a
   * takeover, also for a set the former holder may still store (rule 3).
   */
  async #catchUp(): Promise<void> {
    const before = this.#set;
    const live = () => !!this.#set && !this.#set.loggedOut;
    const lease = await this.#takeLease(live);
    try {
      if (!(await this.#adoptNewer()) && lease !== ADOPTED && this.#handover && before) {
        await this.#awaitNewer(before);
      }
    } finally {
      await this.#release(lease);
    }
  }

  async #flushLocked(): Promise<void> {
    const lease = await this.#takeLease(() => !this.#unsaved);
    try {
      await this.#adoptNewer();
      if (this.#unsaved) await this.#write(this.#set!, this.#unsaved);
    } finally {
      await this.#release(lease);
    }
  }

  /**
   * Takes the lease of the first leasing handler (null without one). While another instance
   * holds it, adopts what it stores, and returns ADOPTED once `enough()` holds. Notes
   * whether a set newer than ours could still appear from elsewhere: without a lease (if
   * anything is stored at all), or when the lease was taken over from a holder that let it
   * run out (it may be paused with a granted set).
   */
  async #takeLease(enough: () => boolean): Promise<StorageLease | null | typeof ADOPTED> {
    if (this.#lease) return this.#lease; // kept since a store failed
    const leaser = this.handlers.find((h) => typeof h.acquireLease === "function");
    this.#handover = !leaser && this.handlers.some((h) => typeof h.fetch === "function");
    if (!leaser) return null;
    const ttl = this.#config.leaseTtlMs;
    const waitMs = this.#config.grantTimeoutMs + ttl;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const lease = await callHandler(
        "take the lease",
        this.#storeMs,
        () => leaser.acquireLease!(ttl),
      );
      if (lease) {
        this.#handover = lease.tookOver !== false;
        this.#hold(lease);
        return lease;
      }
      await this.#adoptNewer();
      if (enough()) return ADOPTED;
      if (Date.now() > deadline) {
        throw new MonzoStorageError(
          `Another instance held the lease for over ${waitMs} ms and stored no new tokens`,
        );
      }
      await sleep(POLL_MS * (0.5 + Math.random()));
    }
  }

  /** Keeps a lease alive (renewed every third of its time to live) until released. */
  #hold(lease: StorageLease): void {
    this.#lease = lease;
    const ttl = this.#config.leaseTtlMs;
    this.#heartbeat = setInterval(() => {
      if (lease.renew) {
        callHandler("renew the lease", this.#storeMs, () => lease.renew!(ttl)).catch(() => {});
      }
      if (this.#unsaved && !this.#tail) this.#serial(() => this.#flushLocked()).catch(() => {});
    }, Math.max(1, ttl / 3));
    unref(this.#heartbeat);
  }

  /** Gives the lease up, unless the newest set is unsaved (it then stays ours). */
  async #release(lease: StorageLease | null | typeof ADOPTED): Promise<void> {
    if (!lease || lease === ADOPTED || this.#unsaved || lease !== this.#lease) return;
    clearInterval(this.#heartbeat);
    this.#lease = null;
    await callHandler("release the lease", this.#storeMs, () => lease.release()).catch(() => {});
  }

  /**
   * Adopts the newest stored set when it is newer than ours: a higher generation, or the
   * same one with other tokens (a compare-and-set we lost), unless ours is an unsaved login
   * (it is written with a higher generation).
   */
  async #adoptNewer(): Promise<boolean> {
    const stored = await readNewest(this.handlers, this.#config.clientId, this.#storeMs);
    const mine = this.#set;
    if (!stored) return false;
    if (mine) {
      const [theirs, ours] = [generationOf(stored), generationOf(mine)];
      const tie = theirs === ours && stored.accessToken !== mine.accessToken &&
        this.#unsaved !== "replace";
      if (!(theirs > ours || tie)) return false;
    }
    await this.#adopt(stored);
    return true;
  }

  /**
   * Makes a stored set ours. An unsaved set of ours that a logout's tombstone beat is held by
   * nobody else and live at Monzo: it is revoked too, as the logout meant.
   */
  async #adopt(stored: Credentials): Promise<void> {
    const dropped = this.#unsaved && this.#set && !this.#set.loggedOut ? this.#set : null;
    this.#set = stored;
    this.#unsaved = null;
    if (stored.loggedOut && dropped) await this.#revoke(dropped).catch(() => {});
  }

  /**
   * Makes `next` the current set and writes it through every handler under `kind`. A newer
   * stored set wins over it (and is adopted); a failure keeps it in memory as unsaved.
   */
  async #write(next: Credentials, kind: WriteKind): Promise<void> {
    let set = next;
    for (let round = 0; round < 8; round++) {
      this.#set = set;
      this.#unsaved = kind;
      const results = await Promise.allSettled(
        this.handlers.map((h) => writeSet(h, set, kind, this.#storeMs)),
      );
      const done = results.flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
      const newer = newest(done, "superseded");
      if (newer) return await this.#adopt(newer);
      const failures = results.flatMap((r) => r.status === "rejected" ? [r.reason] : []);
      if (failures.length) {
        throw new MonzoStorageError(
          `${failures.length} of ${this.handlers.length} handlers failed to store the new ` +
            "tokens; they are kept in memory and stored before the next request " +
            "(Authentication.close() stores them or throws)",
          { cause: failures.length === 1 ? rootCause(failures[0]) : new AggregateError(failures) },
        );
      }
      const ahead = newest(done, "outnumbered");
      if (!ahead) {
        this.#unsaved = null;
        return;
      }
      set = { ...set, generation: generationOf(ahead) + 1 };
    }
    throw new MonzoStorageError(
      "The stored credentials kept changing while new tokens were stored",
    );
  }

  /** After a refusal: waits, bounded, for a set newer than `than` to be stored. */
  async #awaitNewer(than: Credentials): Promise<boolean> {
    const deadline = Date.now() + this.#config.handoverWaitMs;
    for (;;) {
      if ((await this.#adoptNewer()) && generationOf(this.#set!) > generationOf(than)) return true;
      if (Date.now() > deadline) return false;
      await sleep(POLL_MS * (0.5 + Math.random()));
    }
  }

  /**
   * Revokes `set` at Monzo. A dead token needs nothing. An expired one is refreshed to revoke
   * its successor. Only an answered failure while nothing changed is thrown (the logout can
   * be tried again); once Monzo may have revoked or rotated the set, it is spent whatever
   * happens next, and the caller writes the tombstone. Resolves to true when Monzo said the
   * set was already replaced (rotated, evicted or revoked) before we revoked it.
   */
  async #revoke(set: Credentials): Promise<boolean> {
    let current = set;
    let lost = false;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.#config.revoke(current.accessToken);
        return false;
      } catch (error) {
        const unchanged = current === set;
        // Lost answer: it may be revoked, or not. Ask again: once revoked, it answers 401.
        if (!(error instanceof MonzoApiError)) {
          lost = true;
          continue;
        }
        if (error.status !== 401) {
          if (unchanged) throw error;
          continue; // the successor is live: try again
        }
        // Already dead: replaced before we came, unless it is our own lost revoke that landed.
        if (error.code !== EXPIRED || !current.refreshToken) return unchanged && !lost;
        try {
          const granted = await this.#config.grant({
            grant_type: "refresh_token",
            refresh_token: current.refreshToken,
          });
          current = this.#newSet(granted, generationOf(current) + 1);
        } catch (grantError) {
          // Refused: spent. Lost answer: it may be rotated. Either way the tombstone ends it.
          if (!(grantError instanceof MonzoApiError) || isRefused(grantError)) return false;
          if (unchanged) throw grantError; // answered without a rotation: nothing changed
        }
      }
    }
    return false;
  }
}

function newest(
  results: WriteResult[],
  outcome: "superseded" | "outnumbered",
): Credentials | undefined {
  let found: Credentials | undefined;
  for (const result of results) {
    if (
      result.outcome === outcome &&
      (!found || generationOf(result.stored) > generationOf(found))
    ) found = result.stored;
  }
  return found;
}

/** A handler's own error, rather than our wrapper of it. */
function rootCause(error: unknown): unknown {
  return error instanceof MonzoStorageError && error.cause !== undefined ? error.cause : error;
}

function isRefused(error: unknown): boolean {
  return error instanceof MonzoAuthenticationError &&
    error.code.startsWith("bad_request.refresh_token");
}

function notAuthenticated(set: Credentials | null): MonzoAuthenticationError {
  return set?.loggedOut
    ? new MonzoAuthenticationError("Logged out: the user must log in again.", {
      code: "oauth.logged_out",
      reauthorizationRequired: true,
    })
    : new MonzoAuthenticationError(
      "Not authenticated: complete the OAuth flow (authorizationUrl, then authenticate) or " +
        "load stored credentials.",
      { code: "oauth.not_authenticated", reauthorizationRequired: true },
    );
}

/** Lets the process exit while a heartbeat timer is pending (Node, Bun, Deno). */
function unref(timer: unknown): void {
  if (typeof (timer as { unref?: unknown })?.unref === "function") {
    (timer as { unref(): void }).unref();
  } else {
    const deno = (globalThis as { Deno?: { unrefTimer?(id: number): void } }).Deno;
    if (typeof timer === "number") deno?.unrefTimer?.(timer);
  }
}
