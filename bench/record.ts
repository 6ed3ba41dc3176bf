// Records the bodies the benchmarks' static servers replay: a balance and a page of 100
// transactions with merchants, from a seeded emulator (no network: its fetch is called).
// Kept compact, as on the wire, in .txt files (which deno fmt leaves alone).
//   deno run -A bench/record.ts
import { writeFileSync } from "node:fs";
import { MonzoEmulator } from "../src/testing/mod.ts";

const emulator = new MonzoEmulator({ seed: 7, now: () => Date.UTC(2026, 5, 1) });
const { accessToken } = emulator.login();
const account = emulator.accounts.current;
const headers = { Authorization: `Bearer ${accessToken}` };

async function body(path: string): Promise<string> {
  const response = await emulator.fetch(new Request(`http://emulator${path}`, { headers }));
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return await response.text();
}

const since = new Date(Date.UTC(2026, 5, 1) - 80 * 86_400_000).toISOString();
const page = await body(
  `/transactions?account_id=${account}&expand[]=merchant&limit=100&since=${since}`,
);
if (JSON.parse(page).transactions.length !== 100) throw new Error("not a full page");
const dir = new URL("./fixtures/", import.meta.url);
writeFileSync(new URL("balance.txt", dir), await body(`/balance?account_id=${account}`));
writeFileSync(new URL("transactions.txt", dir), page);
console.log(`recorded balance.txt and transactions.txt (${page.length} characters)`);
