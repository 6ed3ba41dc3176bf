// 2. Page validation: `JSON.parse` of a 100-transaction page with merchants, then the
// library's check of it against its schema (what `transactions.list` does to every page), vs
// `JSON.parse` alone. Plus the same page through the whole client path (`transactions.list`
// with an in-memory `fetch`, no network) vs that `fetch` + `JSON.parse`.
//   deno run -A bench/validation.ts      bun bench/validation.ts
import { Authentication, Monzo } from "../mod.ts";
// The schema check is private; the benchmark reaches in to time it alone.
import { parse, TransactionsSchema } from "../src/_schemas.ts";
import { envNumber, median, range, report } from "./_stats.ts";
import { connect, login } from "./_serve.ts";

const ROUNDS = envNumber("BENCH_VALIDATION_ROUNDS", 100);
const PARSES = 20; // per batch
const PAGE = 100;

// One real page from the emulator, merchants expanded.
const served = await connect();
const { info } = served;
const tokens = await login(info);
const pageUrl =
  `${info.url}/transactions?account_id=${info.accountId}&expand[]=merchant&limit=${PAGE}` +
  `&since=${new Date(Date.now() - 80 * 86_400_000).toISOString()}`;
const text =
  await (await fetch(pageUrl, { headers: { Authorization: `Bearer ${tokens.accessToken}` } }))
    .text();
await served.close();
const page = JSON.parse(text).transactions as { merchant: unknown }[];
if (page.length !== PAGE) throw new Error(`expected a page of ${PAGE}, got ${page.length}`);
const withMerchant = page.filter((tx) => tx.merchant && typeof tx.merchant === "object").length;

let sink = 0;
function jsonOnly(): void {
  sink += JSON.parse(text).transactions.length;
}
function validated(): void {
  sink += parse(TransactionsSchema, JSON.parse(text), "GET /transactions").transactions.length;
}

// The whole client path on an in-memory fetch.
const stub = () =>
  Promise.resolve(new Response(text, { headers: { "content-type": "application/json" } }));
const auth = new Authentication({
  clientId: "oauth2client_bench",
  clientSecret: "secret",
  redirectUrl: "http://localhost:8000/callback",
  apiUrl: "http://127.0.0.1:9",
  accessToken: "access",
  accessTokenExpiry: Math.floor(Date.now() / 1000) + 86_400,
  fetch: stub as unknown as typeof fetch,
});
const monzo = new Monzo(auth);
async function stubRaw(): Promise<void> {
  const response = await stub();
  sink += JSON.parse(await response.text()).transactions.length;
}
async function stubClient(): Promise<void> {
  sink +=
    (await monzo.transactions.list(info.accountId, { limit: PAGE, expandMerchant: true })).length;
}

function time(one: () => void): number {
  const start = performance.now();
  for (let i = 0; i < PARSES; i++) one();
  return performance.now() - start;
}
async function timeAsync(one: () => Promise<void>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < PARSES; i++) await one();
  return performance.now() - start;
}

for (let i = 0; i < 3; i++) {
  time(jsonOnly), time(validated), await timeAsync(stubRaw), await timeAsync(stubClient);
}
const base: number[] = [], subject: number[] = [], ratios: number[] = [];
const stubBase: number[] = [], stubSubject: number[] = [], stubRatios: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  // Alternate which side goes first.
  let b: number, s: number, sb: number, sc: number;
  if (round % 2 === 0) {
    b = time(jsonOnly);
    s = time(validated);
    sb = await timeAsync(stubRaw);
    sc = await timeAsync(stubClient);
  } else {
    s = time(validated);
    b = time(jsonOnly);
    sc = await timeAsync(stubClient);
    sb = await timeAsync(stubRaw);
  }
  base.push(b), subject.push(s), ratios.push(s / b);
  stubBase.push(sb), stubSubject.push(sc), stubRatios.push(sc / sb);
}

const perTx = (ms: number) => (ms / PARSES / PAGE) * 1000; // µs per transaction
report("validation", {
  pageBytes: new TextEncoder().encode(text).length,
  transactions: PAGE,
  withMerchant,
  rounds: ROUNDS,
  jsonParseUsPerTx: perTx(median(base)),
  validatedUsPerTx: perTx(median(subject)),
  validationUsPerTx: perTx(median(subject.map((s, i) => s - base[i]))),
  ratio: median(ratios),
  ratioRange: range(ratios),
  listUsPerPage: (median(stubSubject) / PARSES) * 1000,
  stubRawUsPerPage: (median(stubBase) / PARSES) * 1000,
  listRatio: median(stubRatios),
  sink: sink > 0 ? "ok" : "?",
});
