// Private: the lease records of the handlers that lease (Deno KV, the file lock). A lease
// lives by its time to live and its holder's renewals (the heartbeat), never by guessing
// from a pid whether a process of another machine, container or PID namespace still runs.

import { MonzoArgumentError } from "../errors.ts";

/** What a lease record holds, in Deno KV and in a lock file. */
export interface LeaseRecord {
  owner: string;
  expiresAt: number;
}

/** Checks a lease's time to live and returns a fresh record for a new owner. */
export function newLease(ttlMs: number): LeaseRecord {
  return { owner: crypto.randomUUID(), expiresAt: Date.now() + checkTtl(ttlMs) };
}

/** A time to live in whole milliseconds, or a MonzoArgumentError. */
export function checkTtl(ttlMs: number): number {
  if (typeof ttlMs !== "number" || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new MonzoArgumentError("ttlMs", "must be a positive number of milliseconds");
  }
  return Math.ceil(ttlMs);
}

/** The owner of a lease record, or `undefined` when `value` is not one. */
export function leaseOwner(value: unknown): string | undefined {
  const owner = (value as Partial<LeaseRecord> | null)?.owner;
  return typeof owner === "string" ? owner : undefined;
}

/** True when `value` is a lease record whose time has not run out. */
export function isLiveLease(value: unknown, now: number = Date.now()): boolean {
  const expiresAt = (value as Partial<LeaseRecord> | null)?.expiresAt;
  return leaseOwner(value) !== undefined && typeof expiresAt === "number" && expiresAt > now;
}
