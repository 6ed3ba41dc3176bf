// 1. Request overhead: `monzo.balance.get` vs raw `fetch` + `JSON.parse` of the same URL, on
// the emulator served on loopback. Rounds of sequential requests per side, the two sides
// interleaved in chunks; the figure is the median of the per-round ratios.
//   deno run -A bench/overhead.ts      bun bench/overhead.ts
import { envNumber, median, range, report } from "./_stats.ts";
import { connect, loggedInClient } from "./_serve.ts";

const REQUESTS = envNumber("BENCH_OVERHEAD_REQUESTS", 2_000);
const ROUNDS = envNumber("BENCH_OVERHEAD_ROUNDS", 5);
const WARMUP = 300;
const CHUNK = 200;

const served = await connect();
const { info } = served;
const { monzo, tokens } = await loggedInClient(info);
const url = `${info.url}/balance?account_id=${encodeURIComponent(info.accountId)}`;
const headers = { Authorization: `Bearer ${tokens.accessToken}` };

let sink = 0;
async function raw(): Promise<void> {
  const response = await fetch(url, { headers });
  const body = JSON.parse(await response.text());
  sink += body.balance;
}
async function client(): Promise<void> {
  const body = await monzo.balance.get(info.accountId);
  sink += body.balance;
}
async function batch(one: () => Promise<void>, n: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await one();
  return performance.now() - start;
}

// The two must answer the same thing before anything is timed.
const check = await monzo.balance.get(info.accountId);
const direct = await (await fetch(url, { headers })).json();
if (check.balance !== direct.balance) throw new Error("client and raw fetch disagree");

await batch(raw, WARMUP);
await batch(client, WARMUP);
const rawMs: number[] = [];
const clientMs: number[] = [];
const ratios: number[] = [];
// A round is REQUESTS sequential requests per side, sent in chunks of CHUNK that alternate
// between the sides (which side starts alternates too), so that load from other work on the
// machine hits both sides alike.
for (let round = 0; round < ROUNDS; round++) {
  let r = 0, c = 0;
  for (let chunk = 0; chunk < REQUESTS / CHUNK; chunk++) {
    if ((round + chunk) % 2 === 0) {
      r += await batch(raw, CHUNK);
      c += await batch(client, CHUNK);
    } else {
      c += await batch(client, CHUNK);
      r += await batch(raw, CHUNK);
    }
  }
  rawMs.push(r);
  clientMs.push(c);
  ratios.push(c / r);
}
await served.close();

report("overhead", {
  requests: REQUESTS,
  rounds: ROUNDS,
  rawUsPerRequest: (median(rawMs) / REQUESTS) * 1000,
  clientUsPerRequest: (median(clientMs) / REQUESTS) * 1000,
  addedUsPerRequest: (median(clientMs.map((c, i) => c - rawMs[i])) / REQUESTS) * 1000,
  ratio: median(ratios),
  ratioRange: range(ratios),
  sink: sink > 0 ? "ok" : "?",
});
