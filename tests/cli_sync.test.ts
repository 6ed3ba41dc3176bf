// `monzo sync` and `monzo login --backfill` end to end: the CLI logs in to an emulator served
// on loopback by this test (which plays the browser and the Monzo app, and moves the
// emulator's clock), copies two years of history into a SQLite file, then keeps it up to
// date; the file is read back here and compared with what the emulator lists. Under Node 20
// (no node:sqlite) only the clear refusal is checked.

import assert from "node:assert/strict";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, test } from "node:test";
import { BunFileStorage } from "../src/handlers/bun_file.ts";
import type { Monzo } from "../src/monzo.ts";
import { SqliteSyncStore } from "../src/sync/sqlite_store.ts";
import type { StoredTransaction } from "../src/sync/types.ts";
import { type CliProcess, freePort, parseCsv, runCli, startCli, tempDir } from "./_cli.ts";
import { otherView, type ServedEmulator, startEmulator } from "./_emulator.ts";
import { availableDrivers, type Connection, openDatabase } from "./fixtures/sqlite_drivers.ts";

const hasSqlite = (await availableDrivers()).includes("node:sqlite");
const URL_PATTERN = /(http:\/\/127\.0\.0\.1:\d+)\/auth\/?\?\S+/;
const DAY = 86_400_000;

/** Plays the browser: opens the printed URL, presses Allow, follows the redirect. */
async function consent(cli: CliProcess): Promise<void> {
  const [authorizationUrl, emulatorUrl] = await cli.waitForStderr(URL_PATTERN);
  const page = await (await fetch(authorizationUrl)).text();
  const action = page.match(/<form[^>]*action="([^"]+)"/)![1];
  const consentId = page.match(/name="consent_id" value="([^"]+)"/)![1];
  const [, name, value] = page.match(/id="allow" name="([^"]+)" value="([^"]+)"/)!;
  const answer = await fetch(new URL(action, emulatorUrl), {
    method: "POST",
    body: new URLSearchParams({ consent_id: consentId, [name]: value }),
    redirect: "manual",
  });
  assert.equal(answer.status, 302);
  await (await fetch(answer.headers.get("location")!)).text();
}

describe("sync: usage", () => {
  test("bad options are usage errors (exit 2) before anything else", async () => {
    const cases: [string[], RegExp][] = [
      [["sync"], /sync needs --db <path>/],
      [["sync", "--db", "x.sqlite", "--all", "--account", "acc_1"], /--all or --account/],
      [["sync", "--db", "x.sqlite", "--window", "0"], /--window must be a whole number/],
      [["login", "--backfill", "--no-open"], /login --backfill needs --db/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    const help = await runCli(["sync", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /3 synced, but an account's history stops short/);
  });
});

describe("sync: Node 20 has no node:sqlite", { skip: hasSqlite }, () => {
  test("sync and login --backfill refuse with exit 4 before any request", async () => {
    const served = await startEmulator();
    const dir = await tempDir();
    try {
      const file = join(dir.path, "credentials.json");
      const tokens = served.emulator.login();
      await new BunFileStorage(file).store({
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        expiry: tokens.expiry,
        clientId: served.emulator.client.id,
        clientSecret: served.emulator.client.secret,
      });
      const requests = served.emulator.counters.requests;
      const db = join(dir.path, "monzo.sqlite");
      const env = { MONZO_API_URL: served.url };
      const sync = await runCli(["sync", "--db", db, "--credentials", file], env);
      assert.equal(sync.code, 4, sync.stderr);
      assert.match(sync.stderr, /needs SQLite \(node:sqlite\).*Node 22\.5 or later, Deno or Bun/);
      const login = await runCli(["login", "--backfill", "--db", db, "--no-open"], {
        ...env,
        MONZO_CLIENT_ID: served.emulator.client.id,
        MONZO_CLIENT_SECRET: served.emulator.client.secret,
        MONZO_AUTH_URL: `${served.url}/auth`,
      });
      assert.equal(login.code, 4, login.stderr);
      assert.doesNotMatch(login.stderr, /Open this URL/);
      assert.equal(served.emulator.counters.requests, requests, "no request was sent");
      await assert.rejects(stat(db), { code: "ENOENT" });
    } finally {
      await served.close();
      await dir.remove();
    }
  });
});

describe("sync: login --backfill, then sync", { skip: !hasSqlite }, () => {
  let served: ServedEmulator;
  let dir: { path: string; remove: () => Promise<void> };
  let credentials: string;
  let dbPath: string;
  let env: Record<string, string>;
  /** The emulator's truth, through another client's login (approved now: whole history). */
  let truth: Monzo;
  let pending: string;

  /** The stored rows of every synced account, newest first per account. */
  async function stored(path = dbPath): Promise<Map<string, StoredTransaction[]>> {
    const db: Connection = await openDatabase("node:sqlite", path);
    try {
      const store = new SqliteSyncStore(db);
      const accounts = db.prepare("SELECT account_id FROM sync_state").all() as {
        account_id: string;
      }[];
      const out = new Map<string, StoredTransaction[]>();
      for (const { account_id } of accounts) {
        out.set(account_id, await store.transactions(account_id));
      }
      return out;
    } finally {
      db.close();
    }
  }

  /** The ids the emulator lists for an account over its whole life. */
  async function listed(accountId: string): Promise<string[]> {
    const account = (await truth.accounts.list()).find((a) => a.id === accountId)!;
    const ids: string[] = [];
    for await (const tx of truth.transactions.iterate(accountId, { since: account.created })) {
      ids.push(tx.id);
    }
    return ids.sort();
  }

  /** `login --backfill --db <db>` with the test as the browser and the Monzo app. */
  async function backfill(db: string): Promise<CliProcess> {
    const redirectUrl = `http://127.0.0.1:${await freePort()}/callback`;
    served.emulator.addRedirectUri(served.emulator.client.id, redirectUrl);
    const args = ["--redirect-url", redirectUrl, "--credentials", credentials, "--timeout", "30"];
    const cli = startCli(["login", "--no-open", ...args, "--backfill", "--db", db], {
      ...env,
      MONZO_CLIENT_ID: served.emulator.client.id,
      MONZO_CLIENT_SECRET: served.emulator.client.secret,
      MONZO_AUTH_URL: `${served.url}/auth`,
    });
    await consent(cli);
    await cli.waitForStderr(/Now allow access in the Monzo app/);
    served.emulator.approve();
    return cli;
  }

  async function sync(...args: string[]) {
    return await runCli(["sync", "--db", dbPath, "--credentials", credentials, ...args], env);
  }

  before(async () => {
    served = await startEmulator({ historyDays: 730, transactionsPerDay: 1 });
    dir = await tempDir();
    credentials = join(dir.path, "credentials.json");
    dbPath = join(dir.path, "monzo.sqlite");
    env = { MONZO_API_URL: served.url };
    truth = otherView(served);
    // A hotel hold: stored pending by the back-fill, settled for more before the next sync.
    pending = served.emulator.addTransaction(served.emulator.accounts.current, {
      amount: -10000,
      amountIsPending: true,
      description: "GRAND HOTEL HOLD",
    }).id;
  });

  after(async () => {
    await served.close();
    await dir.remove();
  });

  test("login --backfill copies the whole history the moment the login is approved", async () => {
    const cli = await backfill(dbPath);
    assert.equal(await cli.exited, 0, cli.stderr());
    assert.match(cli.stderr(), /Reading your whole history into .*monzo\.sqlite/);
    assert.match(cli.stderr(), /Syncing/, "a progress line");
    if (process.platform !== "win32") assert.equal((await stat(dbPath)).mode & 0o777, 0o600);

    const { current, joint } = served.emulator.accounts;
    const rows = await stored();
    assert.deepEqual([...rows.keys()].sort(), [current, joint].sort());
    for (const account of [current, joint]) {
      const ids = rows.get(account)!.map((row) => row.id).sort();
      assert.deepEqual(ids, await listed(account), `${account}: the whole history`);
      const created = (await truth.accounts.list()).find((a) => a.id === account)!.created;
      assert.match(
        cli.stdout(),
        new RegExp(
          `${account}: ${ids.length} added, 0 modified, 0 removed \\(\\d+ requests\\); ` +
            `whole history since ${created.slice(0, 10)}`,
        ),
      );
    }
    const oldest = rows.get(current)!.at(-1)!.created;
    assert.ok(Date.parse(oldest) < Date.now() - 700 * DAY, `two years back: ${oldest}`);
    assert.equal(rows.get(current)!.find((row) => row.id === pending)?.status, "pending");
  });

  test("a later sync adds what is new and reports the settled hold as modified", async () => {
    const { current } = served.emulator.accounts;
    const added = served.emulator.addTransaction(current, {
      amount: -450,
      merchant: "Pret A Manger",
    });
    served.emulator.settleTransaction(pending, { amount: -23456 });
    const result = await sync("--all");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`${current}: 1 added, 1 modified, 0 removed`));
    const rows = (await stored()).get(current)!;
    assert.deepEqual(rows.map((row) => row.id).sort(), await listed(current));
    assert.ok(rows.some((row) => row.id === added.id));
    const hold = rows.find((row) => row.id === pending)!;
    assert.equal(hold.amount, -23456);
    assert.equal(hold.status, "settled");

    const again = await sync();
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`${current}: 0 added, 0 modified, 0 removed`));
  });

  test("--csv writes an atomic snapshot of the store, formulas escaped", async () => {
    const { current } = served.emulator.accounts;
    const formula = served.emulator.addTransaction(current, {
      amount: -1234,
      description: '=HYPERLINK("http://evil.example")\u202e',
    });
    const out = await tempDir();
    try {
      const file = join(out.path, "out.csv");
      const result = await sync("--include-pots", "--csv", file);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /a pot's account lists its last 90 days only/);
      assert.deepEqual(await readdir(out.path), ["out.csv"], "no temporary file left");
      if (process.platform !== "win32") assert.equal((await stat(file)).mode & 0o777, 0o600);

      const [header, ...lines] = parseCsv(await readFile(file, "utf8"));
      assert.deepEqual(header, [
        "id",
        "account_id",
        "created",
        "settled",
        "status",
        "amount",
        "currency",
        "description",
        "category",
        "notes",
        "merchant",
      ]);
      const rows = [...(await stored()).values()].flat();
      assert.ok(
        rows.some((row) =>
          row.accountId !== current && row.accountId !== served.emulator.accounts.joint
        ),
        "pot accounts synced",
      );
      assert.deepEqual(lines.map((line) => line[0]).sort(), rows.map((row) => row.id).sort());
      const byId = new Map(lines.map((line) => [line[0], line]));
      for (const row of rows) {
        const line = byId.get(row.id)!;
        assert.equal(line[1], row.accountId);
        assert.equal(line[4], row.status);
        assert.equal(Math.round(Number(line[5]) * 100), row.amount, row.id);
      }
      assert.equal(byId.get(formula.id)![7], '\'=HYPERLINK("http://evil.example")');
      assert.equal(byId.get(formula.id)![5], "-12.34");
      assert.equal(byId.get(pending)![5], "-234.56");
      const pret = [...byId.values()].find((line) => line[10] === "Pret A Manger");
      assert.ok(pret, "merchant names from the store");
    } finally {
      await out.remove();
    }
  });

  test("a first sync more than 5 minutes after the approval exits 3 and says what to do", async () => {
    served.emulator.advanceTime(301);
    const fresh = join(dir.path, "late.sqlite");
    const result = await runCli(["sync", "--db", fresh, "--credentials", credentials], env);
    assert.equal(result.code, 3, result.stderr);
    const { current } = served.emulator.accounts;
    assert.match(
      result.stdout,
      new RegExp(
        `${current}: \\d+ added, 0 modified, 0 removed \\(\\d+ requests\\); from \\d{4}-\\d{2}-\\d{2}: ` +
          "Monzo lists older history only in the 5 minutes after you approve a login — run " +
          "`monzo login --backfill --db .*late\\.sqlite` to reopen the window",
      ),
    );
    const rows = (await stored(fresh)).get(current)!;
    assert.ok(rows.length > 0);
    assert.ok(rows.every((row) => Date.parse(row.created) > served.emulator.now() - 90 * DAY));

    const again = await sync();
    assert.equal(again.code, 0, "the first file is whole: exit 0 however late");

    // What the message says to do: a new login reads the rest, without duplicates.
    const login = await backfill(fresh);
    assert.equal(await login.exited, 0, login.stderr());
    assert.match(login.stdout(), new RegExp(`${current}: \\d+ added, .*; whole history since`));
    const resumed = await stored(fresh);
    const whole = await stored();
    for (const [account, list] of whole) {
      if (!resumed.has(account)) continue; // pot accounts: only in the first file
      assert.deepEqual(
        resumed.get(account)!.map((row) => row.id).sort(),
        list.map((row) => row.id).sort(),
        account,
      );
    }
  });
});

describe("sync: the offline rehearsal", { skip: !hasSqlite }, () => {
  test("login --emulator --backfill, then sync with the emulator run in-process", async () => {
    const dir = await tempDir();
    try {
      const env = { XDG_CONFIG_HOME: dir.path };
      const db = join(dir.path, "rehearsal.sqlite");
      const redirectUrl = `http://127.0.0.1:${await freePort()}/callback`;
      const login = startCli([
        "login",
        "--emulator",
        "--no-open",
        "--redirect-url",
        redirectUrl,
        "--timeout",
        "30",
        "--backfill",
        "--db",
        db,
      ], env);
      await consent(login);
      const [, url] = await login.waitForStderr(/allow access at (http:\/\/127\.0\.0\.1:\d+)/);
      await (await fetch(`${url}/_emulator/approve`, { method: "POST" })).body?.cancel();
      assert.equal(await login.exited, 0, login.stderr());
      assert.equal(login.stdout().match(/whole history since \d{4}-\d{2}-\d{2}/g)?.length, 2);

      const sync = await runCli(["sync", "--db", db], env);
      assert.equal(sync.code, 0, sync.stderr);
      assert.equal(sync.stdout.match(/: \d+ added, .*; whole history since/g)?.length, 2);
    } finally {
      await dir.remove();
    }
  });
});
