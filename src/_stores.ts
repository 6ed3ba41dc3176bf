// Private: every call into a handler goes through here, with a deadline, a synchronous throw
// caught, and any failure turned into a MonzoStorageError; and the compare-and-set write of
// one token set under the generation rule.

import { MonzoStorageError } from "./errors.ts";
import { type Credentials, type Storage, storedGeneration } from "./storage.ts";

/**
 * `advance`: a refreshed set, a logout's tombstone (or the retry of either) replaces only an
 * older generation, never a tombstone. `replace`: a login replaces anything, with a higher
 * generation.
 */
export type WriteKind = "advance" | "replace";

/** The outcome of writing to one handler. */
export type WriteResult =
  | { outcome: "stored" }
  | { outcome: "superseded"; stored: Credentials }
  | { outcome: "outnumbered"; stored: Credentials };

/** A set's generation; sets without one count as 0. */
export function generationOf(credentials: Credentials): number {
  return credentials.generation ?? 0;
}

/** Calls a handler with a deadline: a throw, a rejection or no answer is a MonzoStorageError. */
export async function callHandler<T>(
  what: string,
  timeoutMs: number,
  call: () => Promise<T>,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new MonzoStorageError(`Could not ${what}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(call), deadline]);
  } catch (cause) {
    if (cause instanceof MonzoStorageError) throw cause;
    throw new MonzoStorageError(`Could not ${what}`, { cause });
  } finally {
    clearTimeout(timer);
  }
}

/** The newest set of this client among the handlers (the highest generation), or null. */
export async function readNewest(
  handlers: readonly Storage[],
  clientId: string,
  timeoutMs: number,
): Promise<Credentials | null> {
  const readable = handlers.filter((h) => typeof h.fetch === "function");
  const sets = await Promise.all(
    readable.map((h) => callHandler("read the stored credentials", timeoutMs, () => h.fetch())),
  );
  let newest: Credentials | null = null;
  for (const set of sets) {
    if (set && set.clientId === clientId && (!newest || generationOf(set) > generationOf(newest))) {
      newest = set;
    }
  }
  return newest;
}

/**
 * Writes `next` to one handler under the rule of `kind`: read, decide, then compare-and-set
 * on the generation read (`storeIf`), again while another writer gets in between. A handler
 * without `storeIf` is written after the same check, best effort.
 */
export async function writeSet(
  handler: Storage,
  next: Credentials,
  kind: WriteKind,
  timeoutMs: number,
): Promise<WriteResult> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const stored = typeof handler.fetch === "function"
      ? await callHandler("read the stored credentials", timeoutMs, () => handler.fetch())
      : null;
    if (stored && sameSet(stored, next)) return { outcome: "stored" };
    if (stored && kind === "replace" && generationOf(stored) >= generationOf(next)) {
      return { outcome: "outnumbered", stored };
    }
    if (stored && kind === "advance") {
      if (stored.clientId !== next.clientId) {
        throw new MonzoStorageError(
          "The storage holds the login of another OAuth client: it was not overwritten",
        );
      }
      if (stored.loggedOut || generationOf(stored) >= generationOf(next)) {
        return { outcome: "superseded", stored };
      }
    }
    if (typeof handler.storeIf !== "function") {
      await callHandler("store the new tokens", timeoutMs, () => handler.store({ ...next }));
      return { outcome: "stored" };
    }
    const written = await callHandler(
      "store the new tokens",
      timeoutMs,
      () => handler.storeIf!({ ...next }, storedGeneration(stored)),
    );
    if (written) return { outcome: "stored" };
  }
  throw new MonzoStorageError("The stored credentials kept changing while new tokens were stored");
}

function sameSet(a: Credentials, b: Credentials): boolean {
  return a.accessToken === b.accessToken && generationOf(a) === generationOf(b) &&
    !a.loggedOut === !b.loggedOut;
}
