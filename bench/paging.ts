// 3. Paging: `transactions.iterate` over a ~50,000-transaction history (pages of 100, merchants
// expanded) vs a hand-written loop of raw `fetch` + `JSON.parse` over the same pages
// (interleaved passes; throughput from the medians); then one more pass of the iterator that
// forces a GC at every page boundary and samples the heap, for the peak growth, compared
// with the heap that one page (and the whole history) holds.
// Each pass logs in again, so it runs inside the emulator's 5-minute full-history window.
//   deno run -A --v8-flags=--expose-gc bench/paging.ts      bun bench/paging.ts
import type { Transaction } from "../mod.ts";
import { envNumber, gc, heapUsed, median, range, report } from "./_stats.ts";
import { connect, loggedInClient, login } from "./_serve.ts";

const TARGET = envNumber("BENCH_PAGING_TRANSACTIONS", 50_000);
const PASSES = envNumber("BENCH_PAGING_PASSES", 2);
const LIMIT = 100;
const SAMPLE_EVERY = 5; // pages between heap samples (each sample is a full GC)

const served = await connect({ transactionsPerDay: Math.ceil(TARGET / 365) });
const { info } = served;
const since = new Date(Date.now() - 400 * 86_400_000); // before the seeded year

/** The iterator, consuming each transaction as an app would (a running total). */
async function iterate(): Promise<{ ms: number; count: number; total: number }> {
  const { monzo } = await loggedInClient(info);
  const start = performance.now();
  let count = 0, total = 0;
  for await (
    const tx of monzo.transactions.iterate(info.accountId, {
      since,
      limit: LIMIT,
      expandMerchant: true,
    })
  ) {
    count++;
    total += tx.amount;
  }
  return { ms: performance.now() - start, count, total };
}

/** The baseline: the same pages with raw fetch + JSON.parse, paging by the last id. */
async function rawLoop(): Promise<{ ms: number; count: number; total: number }> {
  const { accessToken } = await login(info);
  const headers = { Authorization: `Bearer ${accessToken}` };
  const start = performance.now();
  let count = 0, total = 0;
  let cursor = since.toISOString();
  for (;;) {
    const url =
      `${info.url}/transactions?account_id=${info.accountId}&expand[]=merchant&limit=${LIMIT}` +
      `&since=${encodeURIComponent(cursor)}`;
    const response = await fetch(url, { headers });
    if (!response.ok) {
      throw new Error(`raw page failed: ${response.status} ${await response.text()}`);
    }
    const page = JSON.parse(await response.text()).transactions as Transaction[];
    for (const tx of page) {
      count++;
      total += tx.amount;
    }
    if (page.length < LIMIT) break;
    cursor = page[page.length - 1].id;
  }
  return { ms: performance.now() - start, count, total };
}

/**
 * The iterator again, with a full GC and a heap sample on every SAMPLE_EVERY-th page, at a
 * position in the page that moves from sample to sample.
 */
async function heapPass(): Promise<{ base: number; peak: number; samples: number; count: number }> {
  const { monzo } = await loggedInClient(info);
  gc();
  const base = heapUsed();
  let peak = base, samples = 0, count = 0;
  for await (
    const tx of monzo.transactions.iterate(info.accountId, {
      since,
      limit: LIMIT,
      expandMerchant: true,
    })
  ) {
    const page = Math.floor(count / LIMIT);
    if (page % SAMPLE_EVERY === 0 && count % LIMIT === (page * 37) % LIMIT) {
      gc();
      peak = Math.max(peak, heapUsed());
      samples++;
    }
    count++;
    if (tx.amount === Infinity) break;
  }
  return { base, peak, samples, count };
}

/** The heap one parsed page holds, kept alive, after a GC either side. */
async function pageHeap(): Promise<{ bytes: number; jsonBytes: number }> {
  const { monzo } = await loggedInClient(info);
  const kept: Transaction[][] = [];
  const pages = 10;
  const first = await monzo.transactions.list(info.accountId, {
    since,
    limit: LIMIT,
    expandMerchant: true,
  });
  gc();
  const before = heapUsed();
  let cursor = first[first.length - 1].id;
  for (let i = 0; i < pages; i++) {
    const page = await monzo.transactions.list(info.accountId, {
      since: cursor,
      limit: LIMIT,
      expandMerchant: true,
    });
    kept.push(page);
    cursor = page[page.length - 1].id;
  }
  gc();
  const bytes = (heapUsed() - before) / pages;
  return {
    bytes,
    jsonBytes: new TextEncoder().encode(JSON.stringify({ transactions: kept[0] })).length,
  };
}

if (!gc()) {
  console.error(
    "paging: no GC hook (run Deno with --v8-flags=--expose-gc); heap figures are noisier",
  );
}
// Warm-up (also checks that both loops see the same history).
const warmClient = await iterate();
const warmRaw = await rawLoop();
if (warmClient.count !== warmRaw.count || warmClient.total !== warmRaw.total) {
  throw new Error(`iterate saw ${warmClient.count} transactions, the raw loop ${warmRaw.count}`);
}
const clientMs: number[] = [], rawMs: number[] = [], ratios: number[] = [];
for (let pass = 0; pass < PASSES; pass++) {
  let c: number, r: number;
  if (pass % 2 === 0) {
    r = (await rawLoop()).ms;
    c = (await iterate()).ms;
  } else {
    c = (await iterate()).ms;
    r = (await rawLoop()).ms;
  }
  clientMs.push(c), rawMs.push(r), ratios.push(c / r);
}
const one = await pageHeap();
const heap = await heapPass();
await served.close();

const count = warmClient.count;
const pages = Math.ceil(count / LIMIT);
const growth = heap.peak - heap.base;
report("paging", {
  transactions: count,
  pages,
  limit: LIMIT,
  passes: PASSES,
  clientTxPerSec: count / (median(clientMs) / 1000),
  rawTxPerSec: count / (median(rawMs) / 1000),
  ratio: median(ratios),
  ratioRange: range(ratios),
  pageHeapBytes: one.bytes,
  pageJsonBytes: one.jsonBytes,
  historyHeapBytesEstimate: one.bytes * pages,
  heapSamples: heap.samples,
  peakGrowthBytes: growth,
  peakGrowthPages: growth / one.bytes,
  gc: gc(),
});
