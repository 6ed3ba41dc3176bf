// The set-up of bench/sync.ts: an emulator with a long history served on loopback, its true
// transaction count, an approved login as a user makes one (code exchange, then the in-app
// approval, so `approvedAt` opens the 5-minute window), and what the request log says about a
// sync's listings (pages, windows, spans).
import { Authentication, Monzo } from "../mod.ts";
import { MonzoEmulator, serveEmulator } from "../src/testing/mod.ts";
import type { EmulatorTransactionsRequest } from "../src/testing/types.ts";

const DAY = 86_400_000;

/** An emulator served on loopback with a client logged in and approved just now. */
export interface Rig {
  emulator: MonzoEmulator;
  auth: Authentication;
  monzo: Monzo;
  accountId: string;
  /** The current account's creation instant (epoch ms). */
  openedAt: number;
  /** The current account's transactions, counted before the login. */
  truth: number;
  close(): Promise<void>;
}

/** Seeds, serves, counts the truth, then logs in the way `monzo login` does. */
export async function startRig(historyDays: number, perDay: number): Promise<Rig> {
  const emulator = new MonzoEmulator({ historyDays, transactionsPerDay: perDay });
  const server = await serveEmulator(emulator);
  const accountId = emulator.accounts.current;
  const { truth, openedAt } = await countTruth(emulator, accountId);
  const auth = new Authentication({
    clientId: emulator.client.id,
    clientSecret: emulator.client.secret,
    redirectUrl: emulator.client.redirectUris[0],
    apiUrl: server.url,
    authUrl: `${server.url}/auth`,
    now: () => emulator.now(),
  });
  const state = Authentication.generateState();
  await auth.authenticate(emulator.authorize({ approveLater: true }), {
    state,
    expectedState: state,
  });
  setTimeout(() => emulator.approve(), 100);
  await auth.waitForApproval({ intervalMs: 50, timeoutMs: 10_000 });
  if (auth.approvedAt === undefined) throw new Error("approvedAt was not set");
  return {
    emulator,
    auth,
    monzo: new Monzo(auth),
    accountId,
    openedAt,
    truth,
    close: () => server.close(),
  };
}

/**
 * The account's transactions, listed in-process (no HTTP, no faults) with a login of its own,
 * in 364-day windows from the account's creation: the count a complete copy must have.
 */
async function countTruth(
  emulator: MonzoEmulator,
  accountId: string,
): Promise<{ truth: number; openedAt: number }> {
  const { accessToken } = emulator.login();
  const get = async (path: string) => {
    const response = await emulator.fetch(
      new Request(`https://api.monzo.com${path}`, {
        headers: { authorization: `Bearer ${accessToken}` },
      }),
    );
    const body = await response.json();
    if (!response.ok) throw new Error(`${path}: ${JSON.stringify(body)}`);
    return body;
  };
  const { accounts } = await get("/accounts") as { accounts: { id: string; created: string }[] };
  const openedAt = Date.parse(accounts.find((a) => a.id === accountId)!.created);
  let truth = 0;
  const end = emulator.now() + 1000;
  for (let start = openedAt; start < end; start += 364 * DAY) {
    const before = new Date(Math.min(start + 364 * DAY, end)).toISOString();
    let since = new Date(start).toISOString();
    for (;;) {
      const query = `account_id=${accountId}&since=${since}&before=${before}&limit=100`;
      const { transactions } = await get(`/transactions?${query}`) as {
        transactions: { id: string }[];
      };
      truth += transactions.length;
      if (transactions.length < 100) break;
      since = transactions[transactions.length - 1].id;
    }
  }
  return { truth, openedAt };
}

/** What the listings of one run asked for, from the emulator's request log. */
export interface Listings {
  /** `GET /transactions` requests (pages). */
  pages: number;
  /** Of them, answered with another status than 200, by status. */
  failed: Record<number, number>;
  /** `GET /transactions/{id}` requests (confirmations of missing transactions). */
  confirms: number;
  /** Each window (one `before`, or the open-ended recent part), in the order first asked. */
  windows: { since: string; before: string | null; pages: number }[];
  /** The longest span a listing covered, in days (from its window's start). */
  maxSpanDays: number;
}

/** Reads the request log of the emulator from `fromAt` (emulator clock) on. */
export function listings(emulator: MonzoEmulator, accountId: string, fromAt: number): Listings {
  const log = emulator.transactionRequests().filter((r) =>
    r.accountId === accountId && r.at >= fromAt
  );
  const failed: Record<number, number> = {};
  const windows = new Map<string, { since: string; before: string | null; pages: number }>();
  let maxSpanDays = 0;
  for (const r of log as EmulatorTransactionsRequest[]) {
    if (r.status !== 200) failed[r.status] = (failed[r.status] ?? 0) + 1;
    const key = r.before ?? "open";
    let window = windows.get(key);
    const sinceIsTime = r.since !== undefined && Number.isFinite(Date.parse(r.since));
    if (!window || (sinceIsTime && window.since !== r.since)) {
      // A window is first asked with a time; later pages of it with a transaction id.
      window = { since: r.since ?? "", before: r.before ?? null, pages: 0 };
      windows.set(`${key}|${window.since}`, window);
      windows.set(key, window);
    }
    window.pages++;
    const start = Date.parse(window.since);
    const end = r.before ? Date.parse(r.before) : r.at;
    if (Number.isFinite(start)) maxSpanDays = Math.max(maxSpanDays, (end - start) / DAY);
  }
  const confirms =
    emulator.requests.filter((r) =>
      r.method === "GET" && r.path.startsWith("/transactions/") && r.at >= fromAt
    ).length;
  return {
    pages: log.length,
    failed,
    confirms,
    windows: [...new Set(windows.values())],
    maxSpanDays,
  };
}
