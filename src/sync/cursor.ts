// The opaque cursor of `transactions.sync`: versioned, base64url JSON, checked when read.
import { MonzoArgumentError } from "../errors.ts";
import type { Coverage } from "./types.ts";

/** A history window still to read: start and end (epoch ms), and the last id read in it. */
export type Window = [start: number, end: number, lastId: string | null];

/** What the cursor holds for one account. */
export interface SyncState {
  /** Format version. */
  v: 1;
  /** The account it belongs to. */
  a: string;
  /** History older than the readable 89 days, still to read, oldest first. */
  h: Window[];
  /** Days of history in `h` when the back-fill began (for progress). */
  hd: number;
  /** The history's deadline (epoch ms) when the approval instant is unknown. */
  d?: number;
  /** The account's creation (epoch ms); null for pot accounts. */
  o: number | null;
  /** The tail: when the newest transaction read was created, or where reading starts. */
  t: { at: number };
  /** `id` → created (base-36 seconds) `.` fingerprint, for the transactions still re-read. */
  f: Record<string, string>;
  /** When the last sweep of the readable 89 days ran (epoch ms), 0 for never. */
  s: number;
  /** How far back the copy reaches. */
  c: Coverage;
}

const PREFIX = "mzs1.";

/** The cursor text of a state. */
export function encodeCursor(state: SyncState): string {
  const bytes = new TextEncoder().encode(JSON.stringify(state));
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return PREFIX + btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The state in a cursor, checked: a cursor that is not this library's, is damaged, or belongs
 * to another account is refused before any request.
 */
export function decodeCursor(cursor: string, accountId: string): SyncState {
  const bad = (why: string) =>
    new MonzoArgumentError("options.cursor", `${why}; pass the cursor the last sync returned`);
  if (typeof cursor !== "string" || !cursor.startsWith(PREFIX)) {
    throw bad("is not a cursor of transactions.sync (or of a newer version of this library)");
  }
  let state: SyncState;
  try {
    const binary = atob(cursor.slice(PREFIX.length).replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    state = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw bad("is damaged");
  }
  if (!isState(state)) throw bad("is damaged");
  if (state.a !== accountId) throw bad(`belongs to another account`);
  return state;
}

function isState(value: SyncState): boolean {
  const finite = (n: unknown) => typeof n === "number" && Number.isFinite(n);
  return !!value && typeof value === "object" && value.v === 1 && typeof value.a === "string" &&
    Array.isArray(value.h) &&
    value.h.every((w) =>
      Array.isArray(w) && finite(w[0]) && finite(w[1]) &&
      (w[2] === null || typeof w[2] === "string")
    ) &&
    finite(value.hd) && (value.d === undefined || finite(value.d)) &&
    (value.o === null || finite(value.o)) &&
    !!value.t && typeof value.t === "object" && finite(value.t.at) &&
    !!value.f && typeof value.f === "object" && !Array.isArray(value.f) &&
    Object.values(value.f).every((v) => typeof v === "string") && finite(value.s) &&
    !!value.c && typeof value.c === "object" && typeof value.c.complete === "boolean";
}
