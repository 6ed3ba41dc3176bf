// The request figures, side by side in one process: raw `fetch` + `JSON.parse`, this client,
// and `@otters/monzo` (the most used TypeScript peer), against a static loopback server that
// replays recorded bodies (bench/_static.ts), so that only the clients differ.
// - balance: `balance.get` vs `getBalance` vs raw, per request.
// - page: `transactions.list` (100 with merchants) vs `getTransactions` vs raw, per request.
// - layers: where the time of `balance.get` goes: raw; raw with an AbortSignal (what any
//   timeout costs); `send` (the transport: timeout, retry loop, body read); the authorised
//   request (`auth.request`); the endpoint (`balance.get`, its checks).
// - iterate: `transactions.iterate` over the server's pages vs a raw pager (fetch +
//   JSON.parse, the next page after the last id): throughput, raw time / client time.
// Rounds interleave the sides in chunks, rotating who goes first; figures are medians of the
// per-round ratios.
//   deno run -A bench/requests.ts [balance,page,iterate]
//   bun bench/requests.ts        node --import tsx bench/requests.ts
// BENCH_SRC=<dir> measures the copy of the library in <dir> (its mod.ts) instead, for A/B runs.
import { spawn } from "node:child_process";
import process from "node:process";
import { MonzoAPI } from "@otters/monzo";
import type * as Library from "../mod.ts";
import type * as Transport from "../src/http.ts";
import { envNumber, median, report } from "./_stats.ts";

interface StaticInfo {
  url: string;
  pages: number;
  accountId: string;
}

/** Scales every figure: cycles of balance and page, passes of iterate. */
const ROUNDS = envNumber("BENCH_REQUEST_ROUNDS", 15);
const figures = (process.argv[2] ?? "balance,page,layers,iterate").split(",");
const source = process.env.BENCH_SRC
  ? `file://${process.env.BENCH_SRC.replace(/\/$/, "")}/mod.ts`
  : "../mod.ts";
const { Authentication, Monzo } = await import(source) as typeof Library;
const { send } = await import(source.replace(/mod\.ts$/, "src/http.ts")) as typeof Transport;

const server = await connectStatic();
const { url, accountId } = server.info;
const token = "bench-access-token";
const headers = { Authorization: `Bearer ${token}` };
const monzo = clientOf({ Authentication, Monzo });
// BENCH_SRC_B=<dir>: a second copy of the library, measured as one more side ("b") in
// balance and page, for an A/B comparison inside one process.
const monzoB = process.env.BENCH_SRC_B
  ? clientOf(await import(`file://${process.env.BENCH_SRC_B.replace(/\/$/, "")}/mod.ts`))
  : undefined;
const otters = new MonzoAPI({ access_token: token, refresh_token: "" }, undefined, { base: url });
const account = accountId as `acc_${string}`;

let sink = 0;
type Side = () => Promise<void>;

/**
 * Sequential calls per side in cycles: a cycle runs a chunk of each side, in an order that
 * rotates from cycle to cycle, so that load from other work hits every side alike. The
 * figures are medians over the cycles of each side's time / raw's time in the same cycle.
 */
async function sideBySide(
  name: string,
  sides: Record<string, Side>,
  cycles: number,
  chunk: number,
): Promise<void> {
  const names = Object.keys(sides);
  const batch = async (side: Side, n: number) => {
    const start = performance.now();
    for (let i = 0; i < n; i++) await side();
    return performance.now() - start;
  };
  for (let i = 0; i < 10; i++) for (const side of names) await batch(sides[side], chunk);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let cycle = 0; cycle < cycles; cycle++) {
    for (let i = 0; i < names.length; i++) {
      const side = names[(cycle + i) % names.length];
      times[side].push(await batch(sides[side], chunk));
    }
  }
  const ratios = (side: string) => times[side].map((ms, i) => ms / times.raw[i]);
  const us = (side: string) => (median(times[side]) / chunk) * 1000;
  const result: Record<string, unknown> = { figure: name, cycles, chunk };
  for (const side of names) {
    result[`${side}Us`] = us(side);
    if (side === "raw") continue;
    result[side] = median(ratios(side));
    result[`${side}Iqr`] = quartiles(ratios(side));
  }
  report("requests", { ...result, sink: sink > 0 ? "ok" : "?" });
}

/** The first and third quartiles. */
function quartiles(values: number[]): [number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  return [sorted[Math.floor(sorted.length / 4)], sorted[Math.floor((sorted.length * 3) / 4)]];
}

const balanceUrl = `${url}/balance?account_id=${accountId}`;
const pageUrl = `${url}/transactions?account_id=${accountId}&limit=100&expand%5B%5D=merchant`;

async function balance(): Promise<void> {
  // The three must read the same thing before anything is timed.
  const raw = JSON.parse(await (await fetch(balanceUrl, { headers })).text());
  const ours = await monzo.balance.get(accountId);
  const theirs = await otters.getBalance(account);
  if (raw.balance !== ours.balance || ours.balance !== theirs.balance) {
    throw new Error("the balances differ");
  }
  await sideBySide(
    "balance",
    {
      raw: async () => {
        const response = await fetch(balanceUrl, { headers });
        sink += JSON.parse(await response.text()).balance;
      },
      client: async () => {
        sink += (await monzo.balance.get(accountId)).balance;
      },
      otters: async () => {
        sink += (await otters.getBalance(account)).balance;
      },
      ...(monzoB && {
        b: async () => {
          sink += (await monzoB.balance.get(accountId)).balance;
        },
      }),
    },
    40 * ROUNDS,
    20,
  );
}

async function page(): Promise<void> {
  const options = { limit: 100, expandMerchant: true };
  const pagination = { limit: 100, "expand[]": "merchant" };
  const raw = JSON.parse(await (await fetch(pageUrl, { headers })).text()).transactions;
  const ours = await monzo.transactions.list(accountId, options);
  const theirs = await otters.getTransactions(account, pagination);
  if (raw.length !== 100 || ours.length !== 100 || theirs.length !== 100) {
    throw new Error("the pages differ");
  }
  await sideBySide(
    "page",
    {
      raw: async () => {
        const response = await fetch(pageUrl, { headers });
        sink += JSON.parse(await response.text()).transactions.length;
      },
      client: async () => {
        sink += (await monzo.transactions.list(accountId, options)).length;
      },
      otters: async () => {
        sink += (await otters.getTransactions(account, pagination)).length;
      },
      ...(monzoB && {
        b: async () => {
          sink += (await monzoB.transactions.list(accountId, options)).length;
        },
      }),
    },
    20 * ROUNDS,
    4,
  );
}

async function layers(): Promise<void> {
  const transport = {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init),
    timeoutMs: 30_000,
    maxRetries: 2,
    retryDelayMs: 500,
    secrets: () => [],
  };
  await sideBySide(
    "layers",
    {
      raw: async () => {
        const response = await fetch(balanceUrl, { headers });
        sink += JSON.parse(await response.text()).balance;
      },
      signal: async () => {
        const timeout = new AbortController();
        const response = await fetch(balanceUrl, { headers, signal: timeout.signal });
        sink += JSON.parse(await response.text()).balance;
      },
      send: async () => {
        const init = { method: "GET", headers: { Accept: "application/json", ...headers } };
        const response = await send(transport, "GET /balance", balanceUrl, init, true);
        sink += JSON.parse(response.text).balance;
      },
      request: async () => {
        const query = { account_id: accountId };
        sink += (await monzo.auth.request("GET", "/balance", { query }) as { balance: number })
          .balance;
      },
      client: async () => {
        sink += (await monzo.balance.get(accountId)).balance;
      },
      otters: async () => {
        sink += (await otters.getBalance(account)).balance;
      },
    },
    30 * ROUNDS,
    10,
  );
}

async function iterate(): Promise<void> {
  // A pass walks the last PASS_PAGES pages of the server (and its final empty page): short
  // passes, many of them, interleave the two sides finely.
  const PASS_PAGES = 10;
  const pageAfter = async (cursor: string) => {
    const response = await fetch(`${pageUrl}&since=${encodeURIComponent(cursor)}`, { headers });
    return JSON.parse(await response.text()).transactions as { id: string; amount: number }[];
  };
  let since = "2026-01-01T00:00:00Z";
  for (let k = 0; k < server.info.pages - PASS_PAGES; k++) {
    const page = await pageAfter(since);
    since = page[page.length - 1].id;
  }
  const client = async () => {
    let count = 0;
    const start = performance.now();
    for await (
      const tx of monzo.transactions.iterate(accountId, { since, limit: 100, expandMerchant: true })
    ) {
      count++;
      sink += tx.amount;
    }
    return { ms: performance.now() - start, count };
  };
  const raw = async () => {
    let count = 0, cursor = since;
    const start = performance.now();
    for (;;) {
      const transactions = await pageAfter(cursor);
      for (const tx of transactions) {
        count++;
        sink += tx.amount;
      }
      if (transactions.length < 100) break;
      cursor = transactions[transactions.length - 1].id;
    }
    return { ms: performance.now() - start, count };
  };
  const [a, b] = [await client(), await raw()];
  if (a.count !== b.count || a.count !== PASS_PAGES * 100) {
    throw new Error(`iterate saw ${a.count} transactions, the raw pager ${b.count}`);
  }
  const ratios: number[] = [], clientMs: number[] = [], rawMs: number[] = [];
  for (let pass = 0; pass < 8 * ROUNDS; pass++) {
    let c: number, r: number;
    if (pass % 2) {
      r = (await raw()).ms;
      c = (await client()).ms;
    } else {
      c = (await client()).ms;
      r = (await raw()).ms;
    }
    clientMs.push(c), rawMs.push(r), ratios.push(r / c);
  }
  report("requests", {
    figure: "iterate",
    transactions: a.count,
    pages: PASS_PAGES + 1,
    passes: 8 * ROUNDS,
    clientTxPerSec: a.count / (median(clientMs) / 1000),
    rawTxPerSec: a.count / (median(rawMs) / 1000),
    client: median(ratios),
    clientIqr: quartiles(ratios),
    sink: sink > 0 ? "ok" : "?",
  });
}

/** A client of a copy of the library, with a live token for the static server. */
function clientOf(library: Pick<typeof Library, "Authentication" | "Monzo">): Library.Monzo {
  return new library.Monzo(
    new library.Authentication({
      clientId: "oauth2client_bench",
      clientSecret: "bench-secret",
      redirectUrl: "http://localhost:8000/callback",
      apiUrl: url,
      accessToken: token,
      accessTokenExpiry: Math.floor(Date.now() / 1000) + 86_400,
    }),
  );
}

/** The server bench/run.mjs started (BENCH_STATIC), or one of our own. */
async function connectStatic(): Promise<{ info: StaticInfo; close(): void }> {
  if (process.env.BENCH_STATIC) {
    return { info: JSON.parse(process.env.BENCH_STATIC), close() {} };
  }
  const deno = new URL("../node_modules/.bin/deno", import.meta.url).pathname;
  const script = new URL("./_static.ts", import.meta.url).pathname;
  const child = spawn(deno, ["run", "-A", "--no-check", script], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const info = await new Promise<StaticInfo>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const line = out.split("\n").find((l) => l.startsWith("BENCH_STATIC "));
      if (line) resolve(JSON.parse(line.slice(13)));
    });
    child.on("close", (code) => reject(new Error(`the static server exited with ${code}`)));
  });
  return { info, close: () => child.stdin!.end() };
}

for (const figure of figures) {
  if (figure === "balance") await balance();
  else if (figure === "page") await page();
  else if (figure === "iterate") await iterate();
  else if (figure === "layers") await layers();
  else throw new Error(`no figure ${figure}: balance, page, layers or iterate`);
}
server.close();
