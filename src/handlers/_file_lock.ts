// Private: locks between processes on one machine, held as files.
//
// The lease is a lock file created by hard-linking a complete temporary file into place,
// which fails when the lock exists (as O_EXCL does), so only one process can create it, and
// nobody ever sees it empty or torn. It lives by its `expiresAt`, pushed forward by its
// holder's renewals; an expired lock is broken by the next process that wants it.
//
// Breaking, renewing and releasing a lock, and the compare-and-set write of the credentials,
// each run under a short-lived guard file (also linked into place) and re-read what they act
// on first. A guard is held for a few milliseconds; one older than GUARD_STALE_MS (its holder
// crashed, or was paused that long inside those milliseconds) is broken. That is the one
// case two processes can both act: a process paused for over GUARD_STALE_MS at the one point
// between its check and its write.

import { link, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import type { StorageLease } from "../storage.ts";
import { sleep } from "./_common.ts";
import { checkTtl, isLiveLease, leaseOwner, newLease } from "./_lease.ts";

const GUARD_STALE_MS = 1_000;
const GUARD_RETRY_MS = 10;

/** Takes the lock at `lockPath` when it is free or its time has run out. */
export async function acquireFileLock(
  lockPath: string,
  ttlMs: number,
): Promise<StorageLease | null> {
  const lease = newLease(ttlMs);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await createExclusive(lockPath, JSON.stringify(lease))) {
      return {
        tookOver: attempt > 0,
        release: () => releaseFileLock(lockPath, lease.owner),
        renew: (ms) => renewFileLock(lockPath, lease.owner, ms),
      };
    }
    const seen = await readRecord(lockPath);
    if (seen === null) continue; // released meanwhile
    if (isLiveLease(seen.record) || !isStale(seen)) return null;
    await underGuard(`${lockPath}.guard`, async () => {
      const again = await readRecord(lockPath);
      if (again && !isLiveLease(again.record) && isStale(again)) {
        await rm(lockPath, { force: true });
      }
    });
  }
  return null;
}

/** Pushes the lock's expiry forward if `owner` still holds it; false when it was lost. */
async function renewFileLock(lockPath: string, owner: string, ttlMs: number): Promise<boolean> {
  const expiresAt = Date.now() + checkTtl(ttlMs);
  let renewed = false;
  await underGuard(`${lockPath}.guard`, async () => {
    const lock = await readRecord(lockPath);
    if (!lock || leaseOwner(lock.record) !== owner || !isLiveLease(lock.record)) return;
    await replaceWith(lockPath, JSON.stringify({ owner, expiresAt }));
    renewed = true;
  });
  return renewed;
}

/** Deletes the lock if `owner` still holds it. */
async function releaseFileLock(lockPath: string, owner: string): Promise<void> {
  await underGuard(`${lockPath}.guard`, async () => {
    const lock = await readRecord(lockPath);
    if (lock && leaseOwner(lock.record) === owner) await rm(lockPath, { force: true });
  });
}

/**
 * Runs `run` holding the guard at `guardPath`, waiting while another process holds it (a
 * few milliseconds), and breaking a guard older than GUARD_STALE_MS (its holder was killed).
 */
export async function underGuard<T>(guardPath: string, run: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 2 * GUARD_STALE_MS;
  for (;;) {
    if (await createExclusive(guardPath, crypto.randomUUID())) break;
    const guard = await readRecord(guardPath);
    if (guard && Date.now() - guard.mtimeMs > GUARD_STALE_MS) {
      await rm(guardPath, { force: true });
    } else if (Date.now() > deadline) {
      throw new Error(`${guardPath} stayed busy`);
    } else {
      await sleep(GUARD_RETRY_MS * (0.5 + Math.random()));
    }
  }
  try {
    return await run();
  } finally {
    await rm(guardPath, { force: true });
  }
}

/** An unreadable lock (never torn: it is linked into place) counts as stale once old. */
function isStale(lock: SeenFile): boolean {
  return leaseOwner(lock.record) !== undefined || Date.now() - lock.mtimeMs > GUARD_STALE_MS;
}

/**
 * Creates `path` with `content` unless it exists; mode 0600. The content is written to a
 * temporary file first and hard-linked into place (link fails when `path` exists, like
 * O_EXCL), so it is never seen empty or torn, even when its creator is killed.
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

/** Replaces `path` with `content` atomically (a complete temporary file renamed over it). */
async function replaceWith(path: string, content: string): Promise<void> {
  const temp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await writeFile(temp, content, { mode: 0o600, flag: "wx" });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

interface SeenFile {
  record: unknown;
  mtimeMs: number;
}

/** A file's JSON content (`null` when unparsable) and age; `null` when there is no file. */
async function readRecord(path: string): Promise<SeenFile | null> {
  try {
    const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    let record: unknown = null;
    try {
      record = JSON.parse(text);
    } catch {
      // Not a record: judged by its age alone.
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
