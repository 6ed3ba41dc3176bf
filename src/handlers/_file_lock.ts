// Private: a lease between processes on one machine, held as a lock file.
//
// The lock is created by hard-linking a complete temporary file into place, which fails when
// the lock exists (as O_EXCL does), so only one process can create it. Only two things
// ever delete it: its owner releasing it, and a process breaking it once it is stale. Both
// happen under a short-lived guard file (also O_EXCL) and re-read the lock first, so two
// processes can never both break the same stale lock, nor can a late release delete a lock
// that another process took over. A guard left behind by a crash (it is held for a few
// milliseconds) is removed once older than GUARD_STALE_MS. A lock or guard whose owner was a
// process of this machine that no longer runs is stale at once, so a crash mid-refresh does
// not make the other processes wait for the lease to time out.

import { link, readFile, rm, stat, writeFile } from "node:fs/promises";
import type { StorageLease } from "../storage.ts";
import { sleep } from "./_common.ts";
import { holderIsDead, isLiveLease, leaseOwner, newLease, thisProcess } from "./_lease.ts";

const GUARD_STALE_MS = 10_000;
const GUARD_ATTEMPTS = 50;
const GUARD_RETRY_MS = 20;

interface SeenLock {
  record: unknown;
  mtimeMs: number;
}

/**
 * Takes the lock at `lockPath` when it is free or stale: its `expiresAt` has passed, or the
 * file is older than `staleMs` (which also clears a lock left empty by a crash).
 */
export async function acquireFileLock(
  lockPath: string,
  ttlMs: number,
  staleMs: number,
): Promise<StorageLease | null> {
  const lease = newLease(ttlMs);
  const content = JSON.stringify(lease);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await createExclusive(lockPath, content)) {
      return { release: () => releaseFileLock(lockPath, lease.owner) };
    }
    const seen = await readLock(lockPath);
    if (seen === null) continue; // released meanwhile
    if (!isStale(seen, staleMs)) return null;
    const broke = await underGuard(lockPath, async () => {
      const again = await readLock(lockPath);
      if (again && isStale(again, staleMs)) await rm(lockPath, { force: true });
    });
    if (!broke) return null;
  }
  return null;
}

/**
 * Deletes the lock if `owner` still holds it. When the guard stays busy, it gives up: the
 * lease then ends at its `expiresAt`.
 */
async function releaseFileLock(lockPath: string, owner: string): Promise<void> {
  for (let attempt = 0; attempt < GUARD_ATTEMPTS; attempt++) {
    const released = await underGuard(lockPath, async () => {
      const lock = await readLock(lockPath);
      if (lock && leaseOwner(lock.record) === owner) await rm(lockPath, { force: true });
    });
    if (released) return;
    await sleep(GUARD_RETRY_MS);
  }
}

function isStale(lock: SeenLock, staleMs: number): boolean {
  const now = Date.now();
  if (now - lock.mtimeMs > staleMs) return true;
  // Content that is not a lease yet is being written by its creator: wait for staleMs.
  return leaseOwner(lock.record) !== undefined && !isLiveLease(lock.record, now);
}

/** Runs `run` holding the guard; false (and `run` not called) when someone else holds it. */
async function underGuard(lockPath: string, run: () => Promise<void>): Promise<boolean> {
  const guardPath = `${lockPath}.guard`;
  if (!(await createExclusive(guardPath, JSON.stringify(thisProcess())))) {
    const guard = await readLock(guardPath);
    if (guard && Date.now() - guard.mtimeMs <= GUARD_STALE_MS && !holderIsDead(guard.record)) {
      return false;
    }
    await rm(guardPath, { force: true });
    if (!(await createExclusive(guardPath, JSON.stringify(thisProcess())))) return false;
  }
  try {
    await run();
  } finally {
    await rm(guardPath, { force: true });
  }
  return true;
}

/**
 * Creates `path` with `content` unless it exists; mode 0600. The content is written to a
 * temporary file first and hard-linked into place (link fails when `path` exists, like
 * O_EXCL), so a lock is never seen empty or torn, even when its creator is killed.
 */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const temp = `${path}.${crypto.randomUUID()}.tmp`;
  await writeFile(temp, content, { mode: 0o600, flag: "wx" });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if (errorCode(error) === "EEXIST") return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

/** The lock's content (`null` when unparsable) and age; `null` when there is no lock. */
async function readLock(lockPath: string): Promise<SeenLock | null> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, "utf8"), stat(lockPath)]);
    let record: unknown = null;
    try {
      record = JSON.parse(text);
    } catch {
      // Empty or torn: judged by its age alone.
    }
    return { record, mtimeMs: info.mtimeMs };
  } catch (error) {
    if (errorCode(error) === "ENOENT") return null;
    throw error;
  }
}

/** The `code` of a Node-style system error (`ENOENT`, `EEXIST`, …). */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
