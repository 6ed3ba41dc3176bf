// The data commands end to end: the CLI reads a credentials file issued by an emulator served
// on loopback, prints tables, JSON and CSV, and saves refreshed tokens.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BunFileStorage } from "../src/handlers/bun_file.ts";
import type { Monzo } from "../src/monzo.ts";
import { type CliResult, parseCsv, runCli, tempDir } from "./_cli.ts";
import { otherView, type ServedEmulator, startEmulator, storedLogin } from "./_emulator.ts";

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
    await new BunFileStorage(file).store(storedLogin(served.emulator, tokens));
    served.emulator.addTransaction(served.emulator.accounts.current, {
      amount: -1234,
      description: 'Caffè "Nero", Soho\nTill 2',
    });
    // A second view of the same data, on another login of the same user, to compare with.
    monzo = otherView(served);
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
      const tx of monzo.transactions.iterate(served.emulator.accounts.current, {
        since,
        expandMerchant: true,
      })
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
      "name",
      "category",
      "amount",
      "currency",
      "status",
      "description",
    ]);
    const cafe = rows.find((row) => row[7].startsWith("Caffè"))!;
    assert.deepEqual(cafe.slice(3), [
      "general",
      "-12.34",
      "GBP",
      "pending",
      'Caffè "Nero", Soho\nTill 2',
    ]);
    // Merchant names, as the app and the demo show them, rather than card descriptors.
    const card = expected.find((tx) => tx.merchant && typeof tx.merchant === "object")!;
    const cardRow = rows.find((row) => row[1] === card.id)!;
    assert.equal(cardRow[2], (card.merchant as { name: string }).name);
    assert.equal(cardRow[7], card.description);
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

    const usage: [string[], RegExp][] = [
      [["transactions", "--since", "last week"], /--since is not a time/],
      [["accounts", "--format", "xml"], /--format must be/],
      [["transactions", "--since", "2026-02-30"], /--since is not a date on the calendar/],
      [["transactions", "--before", "2025-13-01"], /--before is not a date on the calendar/],
      [["transactions", "--since", "99999999999d"], /--since reaches back more than 36500 days/],
      [["transactions", "--since", "1999-01-01"], /--since is before Monzo existed/],
      [["transactions", "--since", "10d", "--before", "20d"], /--before must be later/],
      [["balance", "--account", "savings!"], /--account must be an account id \(acc_…\) or a type/],
    ];
    for (const [args, message] of usage) {
      const result = await runCli([...args, "--credentials", file]);
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /Invalid time value/);
    }
  });

  test("--account takes a type: current, joint, or Monzo's own names", async () => {
    const joint = served.emulator.accounts.joint;
    const byId = JSON.parse((await cli("balance", "--account", joint, "--format", "json")).stdout);
    for (const type of ["joint", "uk_retail_joint"]) {
      const csv = parseCsv((await cli("balance", "--account", type, "--format", "csv")).stdout);
      assert.equal(csv[1][0], joint, type);
      assert.equal(Number(csv[1][1]), byId.balance / 100);
    }
    const none = await runCli(["pots", "--account", "business", "--credentials", file], {
      MONZO_API_URL: served.url,
    });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no open uk_business account\. Run `monzo accounts`/);
  });

  test("--version prints the package's version", async () => {
    const { version } = JSON.parse(await readFile("deno.json", "utf8"));
    for (const flag of ["--version", "-V"]) {
      const result = await runCli([flag]);
      assert.equal(result.code, 0);
      assert.equal(result.stdout, `monzo ${version}\n`);
    }
  });

  test("status, then logout: revoked at Monzo and forgotten here; errors in plain words", async () => {
    const env = { MONZO_API_URL: served.url };
    const shown = await runCli(["status", "--credentials", file], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      new RegExp(`^Login: +${file.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")}$`, "m"),
    );
    assert.match(shown.stdout, new RegExp(`^API: +${served.url}$`, "m"));
    assert.match(
      shown.stdout,
      /^Access token: +expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in \d+ h\)/m,
    );
    assert.match(shown.stdout, /^Accounts: +current acc_\w+, joint acc_\w+$/m);
    assert.match(shown.stdout, /^Approval: +approved in the Monzo app$/m);

    const saved = JSON.parse(await readFile(file, "utf8"));
    const out = await runCli(["logout", "--credentials", file], env);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /Revoked the login at Monzo; deleted /);
    assert.equal(served.emulator.tokenStatus(saved.accessToken), "revoked");
    await assert.rejects(readFile(file, "utf8"), { code: "ENOENT" });
    const after = await runCli(["status", "--credentials", file], env);
    assert.equal(after.code, 1);
    assert.match(after.stderr, /Not logged in/);
  });

  test("an ended login reads as a plain sentence with the next step", async () => {
    const ended = join(dir.path, "ended.json");
    await new BunFileStorage(ended).store(storedLogin(served.emulator));
    served.emulator.login(); // a newer login evicts it
    const result = await runCli(["whoami", "--credentials", ended], {
      MONZO_API_URL: served.url,
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /The saved login no longer works .* run `monzo login`/);
    assert.doesNotMatch(result.stderr, /unauthorized|bad_access_token|GET \//);
  });
});
