// A static loopback server for the request benchmarks: it replays the recorded bodies
// (bench/fixtures, see bench/record.ts) so that no emulator work is in the figures. Run in a
// Deno process of its own by bench/run.mjs (or by bench/requests.ts when it runs alone):
//   deno run -A bench/_static.ts [pages]
// Routes, whatever the query and the token:
// - `GET /balance`: the recorded balance.
// - `GET /transactions`: the recorded page of 100 transactions with merchants; with
//   `since=<the last id of page k>`, page k + 1 (the same page with its ids renamed), and
//   after `pages` pages an empty one, so that a pager stops.
// It prints `BENCH_STATIC {"url":…,"pages":…}` and serves until its stdin closes.
import process from "node:process";

const pages = Number(process.argv[2] ?? 50);
const read = (name: string) =>
  Deno.readTextFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const balance = new TextEncoder().encode(read("balance.txt"));
const page = read("transactions.txt");

/** Page k's body, and the id it ends with (the cursor of page k + 1). */
const bodies: Uint8Array<ArrayBuffer>[] = [];
const next = new Map<string, number>();
for (let k = 0; k < pages; k++) {
  const text = k === 0 ? page : page.replaceAll('"tx_', `"tx_p${k}_`);
  const ids = JSON.parse(text).transactions.map((tx: { id: string }) => tx.id);
  bodies.push(new TextEncoder().encode(text));
  next.set(ids[ids.length - 1], k + 1);
}
bodies.push(new TextEncoder().encode('{"transactions":[]}'));

const headers = { "content-type": "application/json; charset=utf-8" };
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
  const url = new URL(request.url);
  if (url.pathname === "/balance") return new Response(balance, { headers });
  if (url.pathname === "/transactions") {
    const since = url.searchParams.get("since");
    return new Response(bodies[(since && next.get(since)) || 0], { headers });
  }
  return new Response('{"code":"not_found"}', { status: 404, headers });
});
const url = `http://127.0.0.1:${server.addr.port}`;
console.log(`BENCH_STATIC ${JSON.stringify({ url, pages, accountId: "acc_bench" })}`);
process.stdin.on("data", () => {});
process.stdin.on("end", () => {
  server.shutdown().finally(() => process.exit(0));
});
process.stdin.resume();
