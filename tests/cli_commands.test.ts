// The data commands end to end: the CLI reads a credentials file issued by an emulator served
// on loopback, prints tables, JSON and CSV, and saves refreshed tokens.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Authentication } from "../src/authentication.ts";
import { BunFileStorage } from "../src/handlers/bun_file.ts";
import { Monzo } from "../src/monzo.ts";
import { type CliResult, runCli, tempDir } from "./_cli.ts";
import { type ServedEmulator, startEmulator } from "./_emulator.ts";

/** Splits RFC 4180 CSV into rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[i++];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), field = "";
    else if (c === "\r" && text[i + 1] === "\n") {
      rows.push([...row, field]), row = [], field = "", i++;
    } else field += c;
  }
  return rows;
}

describe("data commands", () => {
  let served: ServedEmulator;
  let dir: { path: string; remove: () => Promise<void> };
  let file: string;
  let monzo: Monzo;
  let lifetime: number;

  /** Runs a command on the saved login, against the emulator; expects exit code 0. */
  async function cli(...args: string[]): Promise<CliResult> {
    const result = await runCli([...args, "--credentials", file], { MONZO_API_URL: served.url });
    assert.equal(result.code, 0, result.stderr);
    return result;
  }

  before(async () => {
    served = await startEmulator();
    dir = await tempDir();
    file = join(dir.path, "credentials.json");
    const tokens = served.emulator.login();
    lifetime = tokens.expiresIn;
    await new BunFileStorage(file).store({
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiry: tokens.expiry,
      clientId: served.emulator.client.id,
      clientSecret: served.emulator.client.secret,
    });
    served.emulator.addTransaction(served.emulator.accounts.current, {
      amount: -1234,
      description: 'Caffè "Nero", Soho\nTill 2',
    });
    // A second view of the same data, on another login of the same user, to compare with.
    const other = served.emulator.addClient({ redirectUris: ["http://127.0.0.1/cb"] });
    const otherTokens = served.emulator.login({ clientId: other.id });
    monzo = new Monzo(
      new Authentication({
        ...served.options({ clientId: other.id, clientSecret: other.secret }),
        accessToken: otherTokens.accessToken,
        accessTokenExpiry: otherTokens.expiry,
      }),
    );
  });

  after(async () => {
    await served.close();
    await dir.remove();
  });

  test("whoami and accounts, as JSON and as a table", async () => {
    const who = JSON.parse((await cli("whoami", "--format", "json")).stdout);
    assert.deepEqual(who, {
      authenticated: true,
      client_id: served.emulator.client.id,
      user_id: served.emulator.user.id,
    });
    const accounts = JSON.parse((await cli("accounts", "--format", "json")).stdout);
    assert.deepEqual(accounts, await monzo.accounts.list());
    const table = (await cli("accounts")).stdout.split("\n");
    assert.match(table[0], /^id\s+type\s+description\s+currency\s+created\s+closed$/);
    assert.match(table[1], /^-+ {2}-+/);
    assert.ok(table.some((line) => line.startsWith(`${served.emulator.accounts.joint} `)));
  });

  test("balance and pots of the current account, in major units", async () => {
    const current = served.emulator.accounts.current;
    const balance = await monzo.balance.get(current);
    const csv = parseCsv((await cli("balance", "--format", "csv")).stdout);
    assert.deepEqual(csv[0], ["account_id", "balance", "total_balance", "spend_today", "currency"]);
    assert.equal(csv[1][0], current);
    assert.equal(Number(csv[1][1]), balance.balance / 100);
    const pots = JSON.parse((await cli("pots", "--format", "json")).stdout);
    assert.deepEqual(pots, (await monzo.pots.list(current)).filter((pot) => !pot.deleted));
    const table = (await cli("pots", "--account", current)).stdout;
    for (const pot of pots) assert.ok(table.includes(pot.name));
  });

  test("transactions: every page, with --since and --before, as JSON, CSV and a table", async () => {
    const since = new Date(Date.now() - 60 * 86_400_000).toISOString();
    const expected = [];
    for await (
      const tx of monzo.transactions.iterate(served.emulator.accounts.current, { since })
    ) {
      expected.push(tx);
    }
    assert.ok(expected.length > 100, "more than one page");
    const json = JSON.parse(
      (await cli("transactions", "--since", since, "--format", "json")).stdout,
    );
    assert.deepEqual(json, expected);

    const rows = parseCsv((await cli("transactions", "--since", "60d", "--format", "csv")).stdout);
    assert.deepEqual(rows[0], [
      "created",
      "id",
      "description",
      "category",
      "amount",
      "currency",
      "status",
    ]);
    const cafe = rows.find((row) => row[2].startsWith("Caffè"))!;
    assert.deepEqual(cafe.slice(2), [
      'Caffè "Nero", Soho\nTill 2',
      "general",
      "-12.34",
      "GBP",
      "pending",
    ]);
    assert.ok(Math.abs(rows.length - 1 - expected.length) <= 1, "same window, to the second");

    const day = expected[0].created.slice(0, 10);
    const next = new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10);
    const table = (await cli("transactions", "--since", day, "--before", next)).stdout;
    const lines = table.trimEnd().split("\n").slice(2);
    assert.ok(lines.length > 0 && lines.every((line) => line.startsWith(day)));
  });

  test("an expired token is refreshed once and the new tokens are saved", async () => {
    const saved = JSON.parse(await readFile(file, "utf8"));
    const grants = served.emulator.counters.grants.refresh_token;
    served.emulator.advanceTime(lifetime + 60);

    await cli("whoami");
    const refreshed = JSON.parse(await readFile(file, "utf8"));
    assert.equal(served.emulator.counters.grants.refresh_token, grants + 1);
    assert.notEqual(refreshed.accessToken, saved.accessToken);
    assert.notEqual(refreshed.refreshToken, saved.refreshToken);
    assert.ok(refreshed.expiry >= saved.expiry); // the CLI counts expiry on its own clock
    await cli("accounts");
    assert.equal(served.emulator.counters.grants.refresh_token, grants + 1, "no second refresh");
  });

  test("clear errors: not logged in, the 90-day window, a bad --since or --format", async () => {
    const missing = await runCli(["accounts", "--credentials", join(dir.path, "none.json")]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Not logged in: there are no credentials at .*none\.json/);

    const old = await runCli(["transactions", "--since", "2015-01-01", "--credentials", file], {
      MONZO_API_URL: served.url,
    });
    assert.equal(old.code, 1);
    assert.match(old.stderr, /only lists the last 90 days/);

    for (
      const args of [["transactions", "--since", "last week"], ["accounts", "--format", "xml"]]
    ) {
      const result = await runCli([...args, "--credentials", file]);
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, /--since must be|--format must be/);
    }
  });
});
