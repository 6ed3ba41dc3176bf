// Private: the lease records of the handlers that lease (Deno KV, the file lock). A record
// names its holder's process and machine, so that the lease of a process that died on this
// machine need not be waited out. (Not for Workers: it reads the process and host.)

import { hostname } from "node:os";
import process from "node:process";
import { MonzoArgumentError } from "../errors.ts";

/** What a lease record holds, in Deno KV and in a lock file. */
export interface LeaseRecord extends Holder {
  owner: string;
  expiresAt: number;
}

/** The process holding a lease or a guard: enough to tell, on its machine, whether it runs. */
export interface Holder {
  pid: number;
  /** Absent when the machine's name cannot be read (Deno without --allow-sys). */
  host?: string;
}

let self: Holder | undefined;

/** This process, as lease records and guard files name it. */
export function thisProcess(): Holder {
  if (!self) {
    let host: string | undefined;
    try {
      host = hostname();
    } catch {
      // Not allowed to read it: such leases are judged by their time to live alone.
    }
    self = { pid: process.pid, host };
  }
  return self;
}

/**
 * True when `record` names a process of this machine that no longer runs, so that its lease
 * need not be waited out. A process of another machine may well be alive: never dead.
 */
export function holderIsDead(record: unknown): boolean {
  const { pid, host } = (record ?? {}) as Partial<Holder>;
  const me = thisProcess();
  if (!me.host || host !== me.host || typeof pid !== "number" || pid === me.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as { code?: unknown } | null)?.code === "ESRCH";
  }
}

/** Checks a lease's time to live and returns a fresh record for a new owner. */
export function newLease(ttlMs: number): LeaseRecord {
  if (typeof ttlMs !== "number" || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new MonzoArgumentError("ttlMs", "must be a positive number of milliseconds");
  }
  return { owner: crypto.randomUUID(), expiresAt: Date.now() + Math.ceil(ttlMs), ...thisProcess() };
}

/** The owner of a lease record, or `undefined` when `value` is not one. */
export function leaseOwner(value: unknown): string | undefined {
  const owner = (value as Partial<LeaseRecord> | null)?.owner;
  return typeof owner === "string" ? owner : undefined;
}

/** True when `value` is a lease record that has not expired, of a holder that may run. */
export function isLiveLease(value: unknown, now: number = Date.now()): boolean {
  const expiresAt = (value as Partial<LeaseRecord> | null)?.expiresAt;
  return leaseOwner(value) !== undefined && typeof expiresAt === "number" && expiresAt > now &&
    !holderIsDead(value);
}
