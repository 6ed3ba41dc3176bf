// Bad input: bad arguments to every method give a MonzoArgumentError naming the argument and
// send nothing; malformed answers (wrong types, missing fields, truncated JSON, HTML pages,
// empty bodies, bodies of megabytes) give the documented typed error; nothing hangs.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Authentication,
  Monzo,
  MonzoArgumentError,
  MonzoAuthenticationError,
  type MonzoError,
  MonzoHTTPError,
  MonzoPermissionsError,
  MonzoRateError,
  MonzoResponseError,
  MonzoServerError,
  parseWebhookEvent,
  type Receipt,
} from "../mod.ts";
import type { EmulatorFault } from "../src/testing/mod.ts";
import { outcome, startRecordingEmulator, within } from "./_reliability.ts";

// Bad values are the point here: the cases call the API with types it does not allow.
// deno-lint-ignore no-explicit-any
type Any = any;

const ACC = "acc_00009reliability0001";
const TX = "tx_00009reliability00001";
const POT = "pot_0000reliability00001";
const DEPOSIT = { sourceAccountId: ACC, amount: 100, dedupeId: "d-1" };
const WITHDRAW = { destinationAccountId: ACC, amount: 100, dedupeId: "d-2" };
const FEED = { title: "Hello", imageUrl: "https://example.com/icon.png" };
const UPLOAD = { fileName: "r.png", fileType: "image/png", data: new Uint8Array([1, 2, 3]) };
const REGISTER = { fileUrl: "https://example.com/r.png", fileType: "image/png" };
const RECEIPT: Receipt = {
  transaction_id: TX,
  external_id: "order-1",
  total: 1200,
  currency: "GBP",
  items: [{ description: "Book", amount: 1000, currency: "GBP" }],
  taxes: [{ description: "VAT", amount: 200, currency: "GBP" }],
  payments: [{ type: "card", amount: 1200, currency: "GBP" }],
};
const receipt = (change: (r: Any) => void): Any => {
  const copy = structuredClone(RECEIPT) as Any;
  change(copy);
  return copy;
};
const drain = async (iterable: AsyncIterable<unknown>) => {
  for await (const _ of iterable) { /* every page */ }
};

/** [name, the argument the error must name, the call]. */
type ArgumentCase = [string, string, (monzo: Monzo, auth: Authentication) => unknown];

const ARGUMENT_CASES: ArgumentCase[] = [
  ["whoAmI options not an object", "options", (m) => m.whoAmI("x" as Any)],
  ["whoAmI options null", "options", (m) => m.whoAmI(null as Any)],
  [
    "accounts.list empty accountType",
    "options.accountType",
    (m) => m.accounts.list({ accountType: "" }),
  ],
  [
    "accounts.list numeric accountType",
    "options.accountType",
    (m) => m.accounts.list({ accountType: 42 as Any }),
  ],
  ["accounts.list options an array", "options", (m) => m.accounts.list([] as Any)],
  ["balance.get empty id", "accountId", (m) => m.balance.get("")],
  ["balance.get id with /", "accountId", (m) => m.balance.get("acc_1/../pots")],
  ["balance.get id with ?", "accountId", (m) => m.balance.get("acc_1?x=1")],
  ["balance.get id with #", "accountId", (m) => m.balance.get("acc_1#x")],
  ["balance.get no id", "accountId", (m) => m.balance.get(undefined as Any)],
  ["balance.get numeric id", "accountId", (m) => m.balance.get(42 as Any)],
  ["balance.get options a string", "options", (m) => m.balance.get(ACC, "x" as Any)],
  ["pots.list empty id", "accountId", (m) => m.pots.list("")],
  ["pots.list id with /", "accountId", (m) => m.pots.list("a/b")],
  ["pots.deposit empty pot id", "potId", (m) => m.pots.deposit("", DEPOSIT)],
  ["pots.deposit pot id with /", "potId", (m) => m.pots.deposit("pot_1/withdraw", DEPOSIT)],
  [
    "pots.deposit negative amount",
    "options.amount",
    (m) => m.pots.deposit(POT, { ...DEPOSIT, amount: -100 }),
  ],
  [
    "pots.deposit zero amount",
    "options.amount",
    (m) => m.pots.deposit(POT, { ...DEPOSIT, amount: 0 }),
  ],
  [
    "pots.deposit float amount",
    "options.amount",
    (m) => m.pots.deposit(POT, { ...DEPOSIT, amount: 1.5 }),
  ],
  [
    "pots.deposit NaN amount",
    "options.amount",
    (m) => m.pots.deposit(POT, { ...DEPOSIT, amount: NaN }),
  ],
  [
    "pots.deposit infinite amount",
    "options.amount",
    (m) => m.pots.deposit(POT, { ...DEPOSIT, amount: Infinity }),
  ],
  [
    "pots.deposit amount as text",
    "options.amount",
    (m) => m.pots.deposit(POT, { ...DEPOSIT, amount: "100" as Any }),
  ],
  [
    "pots.deposit unsafe integer",
    "options.amount",
    (m) => m.pots.deposit(POT, { ...DEPOSIT, amount: 2 ** 53 }),
  ],
  [
    "pots.deposit missing dedupeId",
    "options.dedupeId",
    (m) => m.pots.deposit(POT, { ...DEPOSIT, dedupeId: undefined as Any }),
  ],
  [
    "pots.deposit empty dedupeId",
    "options.dedupeId",
    (m) => m.pots.deposit(POT, { ...DEPOSIT, dedupeId: "" }),
  ],
  [
    "pots.deposit numeric dedupeId",
    "options.dedupeId",
    (m) => m.pots.deposit(POT, { ...DEPOSIT, dedupeId: 7 as Any }),
  ],
  [
    "pots.deposit empty source",
    "options.sourceAccountId",
    (m) => m.pots.deposit(POT, { ...DEPOSIT, sourceAccountId: "" }),
  ],
  [
    "pots.deposit missing source",
    "options.sourceAccountId",
    (m) => m.pots.deposit(POT, { amount: 1, dedupeId: "d" } as Any),
  ],
  ["pots.deposit no options", "options", (m) => m.pots.deposit(POT, undefined as Any)],
  ["pots.deposit options null", "options", (m) => m.pots.deposit(POT, null as Any)],
  [
    "pots.withdraw negative amount",
    "options.amount",
    (m) => m.pots.withdraw(POT, { ...WITHDRAW, amount: -5 }),
  ],
  [
    "pots.withdraw missing destination",
    "options.destinationAccountId",
    (m) => m.pots.withdraw(POT, { amount: 1, dedupeId: "d" } as Any),
  ],
  [
    "pots.withdraw missing dedupeId",
    "options.dedupeId",
    (m) => m.pots.withdraw(POT, { ...WITHDRAW, dedupeId: undefined as Any }),
  ],
  [
    "pots.withdraw destination with /",
    "options.destinationAccountId",
    (m) => m.pots.withdraw(POT, { ...WITHDRAW, destinationAccountId: "acc/1" }),
  ],
  ["transactions.get empty id", "transactionId", (m) => m.transactions.get("")],
  [
    "transactions.get id with a path",
    "transactionId",
    (m) => m.transactions.get(`${TX}/attachments`),
  ],
  [
    "transactions.get id with a query",
    "transactionId",
    (m) => m.transactions.get(`${TX}?expand[]=merchant`),
  ],
  ["transactions.get options a number", "options", (m) => m.transactions.get(TX, 5 as Any)],
  ["transactions.list empty account", "accountId", (m) => m.transactions.list("")],
  ["transactions.list limit 0", "options.limit", (m) => m.transactions.list(ACC, { limit: 0 })],
  ["transactions.list limit 101", "options.limit", (m) => m.transactions.list(ACC, { limit: 101 })],
  ["transactions.list limit 1.5", "options.limit", (m) => m.transactions.list(ACC, { limit: 1.5 })],
  ["transactions.list limit NaN", "options.limit", (m) => m.transactions.list(ACC, { limit: NaN })],
  [
    "transactions.list limit as text",
    "options.limit",
    (m) => m.transactions.list(ACC, { limit: "10" as Any }),
  ],
  ["transactions.list limit -1", "options.limit", (m) => m.transactions.list(ACC, { limit: -1 })],
  [
    "transactions.list since in words",
    "options.since",
    (m) => m.transactions.list(ACC, { since: "yesterday" }),
  ],
  [
    "transactions.list since an invalid Date",
    "options.since",
    (m) => m.transactions.list(ACC, { since: new Date("nope") }),
  ],
  [
    "transactions.list since a number",
    "options.since",
    (m) => m.transactions.list(ACC, { since: 1_700_000_000 as Any }),
  ],
  [
    "transactions.list since month 13",
    "options.since",
    (m) => m.transactions.list(ACC, { since: "2026-13-01T00:00:00Z" }),
  ],
  [
    "transactions.list since with a space",
    "options.since",
    (m) => m.transactions.list(ACC, { since: "2026-01-01 10:00:00" }),
  ],
  [
    "transactions.list before an id",
    "options.before",
    (m) => m.transactions.list(ACC, { before: TX }),
  ],
  [
    "transactions.list before a bare date",
    "options.before",
    (m) => m.transactions.list(ACC, { before: "2026-01-01" }),
  ],
  ["transactions.list options a string", "options", (m) => m.transactions.list(ACC, "x" as Any)],
  [
    "transactions.iterate limit 0",
    "options.limit",
    (m) => drain(m.transactions.iterate(ACC, { limit: 0 })),
  ],
  ["transactions.iterate account with /", "accountId", (m) => drain(m.transactions.iterate("a/b"))],
  [
    "transactions.iterate since in words",
    "options.since",
    (m) => drain(m.transactions.iterate(ACC, { since: "soon" })),
  ],
  [
    "transactions.annotate empty id",
    "transactionId",
    (m) => m.transactions.annotate("", { notes: "x" }),
  ],
  ["transactions.annotate no keys", "metadata", (m) => m.transactions.annotate(TX, {})],
  [
    "transactions.annotate numeric value",
    "metadata.a",
    (m) => m.transactions.annotate(TX, { a: 1 } as Any),
  ],
  [
    "transactions.annotate null value",
    "metadata.a",
    (m) => m.transactions.annotate(TX, { a: null } as Any),
  ],
  [
    "transactions.annotate metadata null",
    "metadata",
    (m) => m.transactions.annotate(TX, null as Any),
  ],
  [
    "transactions.annotate metadata a string",
    "metadata",
    (m) => m.transactions.annotate(TX, "notes" as Any),
  ],
  [
    "transactions.annotate metadata an array",
    "metadata",
    (m) => m.transactions.annotate(TX, ["x"] as Any),
  ],
  [
    "transactions.annotate key with brackets",
    'metadata["a[b]"]',
    (m) => m.transactions.annotate(TX, { "a[b]": "x" }),
  ],
  [
    "transactions.annotate empty key",
    'metadata[""]',
    (m) => m.transactions.annotate(TX, { "": "x" }),
  ],
  ["feed.create empty account", "accountId", (m) => m.feed.create("", FEED)],
  ["feed.create no options", "options", (m) => m.feed.create(ACC, undefined as Any)],
  ["feed.create empty title", "options.title", (m) => m.feed.create(ACC, { ...FEED, title: "" })],
  [
    "feed.create missing title",
    "options.title",
    (m) => m.feed.create(ACC, { imageUrl: FEED.imageUrl } as Any),
  ],
  [
    "feed.create image not a URL",
    "options.imageUrl",
    (m) => m.feed.create(ACC, { ...FEED, imageUrl: "icon.png" }),
  ],
  [
    "feed.create image over ftp",
    "options.imageUrl",
    (m) => m.feed.create(ACC, { ...FEED, imageUrl: "ftp://example.com/i.png" }),
  ],
  [
    "feed.create image as javascript:",
    "options.imageUrl",
    (m) => m.feed.create(ACC, { ...FEED, imageUrl: "javascript:alert(1)" }),
  ],
  [
    "feed.create colour by name",
    "options.backgroundColor",
    (m) => m.feed.create(ACC, { ...FEED, backgroundColor: "red" }),
  ],
  [
    "feed.create colour of 5 digits",
    "options.titleColor",
    (m) => m.feed.create(ACC, { ...FEED, titleColor: "#12345" }),
  ],
  [
    "feed.create colour not hex",
    "options.bodyColor",
    (m) => m.feed.create(ACC, { ...FEED, bodyColor: "#GGGGGG" }),
  ],
  [
    "feed.create relative url",
    "options.url",
    (m) => m.feed.create(ACC, { ...FEED, url: "/budget" }),
  ],
  ["feed.create empty body", "options.body", (m) => m.feed.create(ACC, { ...FEED, body: "" })],
  [
    "feed.create numeric body",
    "options.body",
    (m) => m.feed.create(ACC, { ...FEED, body: 5 as Any }),
  ],
  [
    "attachments.upload empty transaction",
    "transactionId",
    (m) => m.attachments.upload("", UPLOAD),
  ],
  [
    "attachments.upload empty file name",
    "options.fileName",
    (m) => m.attachments.upload(TX, { ...UPLOAD, fileName: "" }),
  ],
  [
    "attachments.upload type not MIME",
    "options.fileType",
    (m) => m.attachments.upload(TX, { ...UPLOAD, fileType: "png" }),
  ],
  [
    "attachments.upload empty type",
    "options.fileType",
    (m) => m.attachments.upload(TX, { ...UPLOAD, fileType: "" }),
  ],
  [
    "attachments.upload data a string",
    "options.data",
    (m) => m.attachments.upload(TX, { ...UPLOAD, data: "bytes" as Any }),
  ],
  [
    "attachments.upload no bytes",
    "options.data",
    (m) => m.attachments.upload(TX, { ...UPLOAD, data: new Uint8Array(0) }),
  ],
  [
    "attachments.upload data an array",
    "options.data",
    (m) => m.attachments.upload(TX, { ...UPLOAD, data: [1, 2] as Any }),
  ],
  [
    "attachments.upload data an ArrayBuffer",
    "options.data",
    (m) => m.attachments.upload(TX, { ...UPLOAD, data: new ArrayBuffer(4) as Any }),
  ],
  [
    "attachments.upload empty Blob",
    "options.data",
    (m) => m.attachments.upload(TX, { ...UPLOAD, data: new Blob([]) }),
  ],
  ["attachments.upload options null", "options", (m) => m.attachments.upload(TX, null as Any)],
  [
    "attachments.register transaction with /",
    "transactionId",
    (m) => m.attachments.register("tx/1", REGISTER),
  ],
  [
    "attachments.register URL not absolute",
    "options.fileUrl",
    (m) => m.attachments.register(TX, { ...REGISTER, fileUrl: "r.png" }),
  ],
  [
    "attachments.register file: URL",
    "options.fileUrl",
    (m) => m.attachments.register(TX, { ...REGISTER, fileUrl: "file:///etc/passwd" }),
  ],
  [
    "attachments.register type not MIME",
    "options.fileType",
    (m) => m.attachments.register(TX, { ...REGISTER, fileType: "image" }),
  ],
  ["attachments.deregister empty id", "attachmentId", (m) => m.attachments.deregister("")],
  ["attachments.deregister id with /", "attachmentId", (m) => m.attachments.deregister("attach/1")],
  ["receipts.put null", "receipt", (m) => m.receipts.put(null as Any)],
  ["receipts.put empty object", "receipt.transaction_id", (m) => m.receipts.put({} as Any)],
  [
    "receipts.put missing external_id",
    "receipt.external_id",
    (m) => m.receipts.put(receipt((r) => delete r.external_id)),
  ],
  [
    "receipts.put negative total",
    "receipt.total",
    (m) => m.receipts.put(receipt((r) => (r.total = -1))),
  ],
  [
    "receipts.put float total",
    "receipt.total",
    (m) => m.receipts.put(receipt((r) => (r.total = 1.5))),
  ],
  [
    "receipts.put total as text",
    "receipt.total",
    (m) => m.receipts.put(receipt((r) => (r.total = "1200"))),
  ],
  [
    "receipts.put missing currency",
    "receipt.currency",
    (m) => m.receipts.put(receipt((r) => delete r.currency)),
  ],
  ["receipts.put no items", "receipt.items", (m) => m.receipts.put(receipt((r) => (r.items = [])))],
  [
    "receipts.put items missing",
    "receipt.items",
    (m) => m.receipts.put(receipt((r) => delete r.items)),
  ],
  [
    "receipts.put item amount 1.5",
    "receipt.items[0].amount",
    (m) => m.receipts.put(receipt((r) => (r.items[0].amount = 1.5))),
  ],
  [
    "receipts.put item without description",
    "receipt.items[0].description",
    (m) => m.receipts.put(receipt((r) => delete r.items[0].description)),
  ],
  [
    "receipts.put item a string",
    "receipt.items[0]",
    (m) => m.receipts.put(receipt((r) => (r.items[0] = "Book"))),
  ],
  [
    "receipts.put sub-items two deep",
    "receipt.items[0].sub_items[0].sub_items",
    (m) =>
      m.receipts.put(receipt((r) => {
        const line = { description: "Page", amount: 1, currency: "GBP" };
        r.items[0].sub_items = [{ ...line, sub_items: [line] }];
      })),
  ],
  [
    "receipts.put taxes a string",
    "receipt.taxes",
    (m) => m.receipts.put(receipt((r) => (r.taxes = "VAT"))),
  ],
  [
    "receipts.put tax without description",
    "receipt.taxes[0].description",
    (m) => m.receipts.put(receipt((r) => delete r.taxes[0].description)),
  ],
  [
    "receipts.put payment without type",
    "receipt.payments[0].type",
    (m) => m.receipts.put(receipt((r) => delete r.payments[0].type)),
  ],
  [
    "receipts.put merchant a string",
    "receipt.merchant",
    (m) => m.receipts.put(receipt((r) => (r.merchant = "Shop"))),
  ],
  ["receipts.get empty id", "externalId", (m) => m.receipts.get("")],
  ["receipts.get numeric id", "externalId", (m) => m.receipts.get(42 as Any)],
  ["receipts.delete empty id", "externalId", (m) => m.receipts.delete("")],
  [
    "webhooks.create empty account",
    "accountId",
    (m) => m.webhooks.create("", "https://example.com/hook"),
  ],
  [
    "webhooks.create http to a public host",
    "url",
    (m) => m.webhooks.create(ACC, "http://example.com/hook"),
  ],
  [
    "webhooks.create http to a private address",
    "url",
    (m) => m.webhooks.create(ACC, "http://10.0.0.1/hook"),
  ],
  [
    "webhooks.create http to a look-alike of localhost",
    "url",
    (m) => m.webhooks.create(ACC, "http://localhost.example.com/hook"),
  ],
  ["webhooks.create ftp URL", "url", (m) => m.webhooks.create(ACC, "ftp://example.com/hook")],
  ["webhooks.create not a URL", "url", (m) => m.webhooks.create(ACC, "example.com/hook")],
  ["webhooks.create no URL", "url", (m) => m.webhooks.create(ACC, undefined as Any)],
  ["webhooks.list empty account", "accountId", (m) => m.webhooks.list("")],
  ["webhooks.delete id with /", "webhookId", (m) => m.webhooks.delete("webhook/1")],
  ["webhooks.delete empty id", "webhookId", (m) => m.webhooks.delete("")],
  ["Authentication.authorizationUrl empty state", "state", (_, a) => a.authorizationUrl("")],
  [
    "Authentication.authenticate empty code",
    "code",
    (_, a) => a.authenticate("", { state: "s", expectedState: "s" }),
  ],
  [
    "Authentication.authenticate no options",
    "options",
    (_, a) => a.authenticate("code", undefined as Any),
  ],
  ["new Monzo without an Authentication", "auth", () => new Monzo({} as Any)],
];

/** The options of an Authentication that is not allowed, and the argument it must name. */
const CONSTRUCTOR_CASES: [string, string, Record<string, unknown>][] = [
  ["redirect over http to a public host", "redirectUrl", { redirectUrl: "http://example.com/cb" }],
  ["empty client secret", "clientSecret", { clientSecret: "" }],
  ["missing client id", "clientId", { clientId: undefined }],
  ["negative maxRetries", "maxRetries", { maxRetries: -1 }],
  ["fractional maxRetries", "maxRetries", { maxRetries: 1.5 }],
  ["zero timeout", "timeoutMs", { timeoutMs: 0 }],
  ["apiUrl not a URL", "apiUrl", { apiUrl: "api.monzo.com" }],
];

test("bad arguments to every method: MonzoArgumentError naming the argument, and no request sent", {
  timeout: 30_000,
}, async (t) => {
  const served = await startRecordingEmulator({ seed: 31 });
  const { emulator } = served;
  try {
    const tokens = served.login();
    const options = served.options({
      accessToken: tokens.accessToken,
      accessTokenExpiry: tokens.expiry,
      refreshToken: tokens.refreshToken,
      maxRetries: 0,
    });
    const auth = new Authentication(options);
    const monzo = new Monzo(auth);
    const cases: ArgumentCase[] = [
      ...ARGUMENT_CASES,
      ...CONSTRUCTOR_CASES.map(([name, argument, change]): ArgumentCase => [
        `new Authentication with ${name}`,
        argument,
        () => new Authentication({ ...options, ...change } as Any),
      ]),
    ];
    const wrong: string[] = [];
    for (const [name, argument, call] of cases) {
      const before = emulator.counters.requests;
      const result = await within(5_000, name, outcome(() => call(monzo, auth)));
      const sent = emulator.counters.requests - before;
      if (result.ok) {
        wrong.push(`${name}: accepted`);
      } else if (!(result.error instanceof MonzoArgumentError)) {
        wrong.push(`${name}: ${result.error}`);
      } else if (result.error.argument !== argument || result.error.code !== "argument.invalid") {
        wrong.push(`${name}: names ${result.error.argument}, not ${argument}`);
      } else if (!result.error.message.startsWith(argument)) {
        wrong.push(`${name}: message "${result.error.message}"`);
      }
      if (sent !== 0) wrong.push(`${name}: ${sent} requests sent`);
    }
    assert.deepEqual(wrong, []);
    // `iterate` checks its arguments when called, before any iteration.
    assert.throws(() => monzo.transactions.iterate(ACC, { limit: 0 }), MonzoArgumentError);
    // The same calls with good arguments do reach the emulator: the counter is live.
    const before = emulator.counters.requests;
    await monzo.balance.get(emulator.accounts.current);
    assert.equal(emulator.counters.requests, before + 1);
    t.diagnostic(`argument cases: ${cases.length}, all refused before any request`);
  } finally {
    await served.close();
  }
});

/** The error a malformed answer must give: its class, and for a response error its path. */
interface Expected {
  error: new (...args: Any[]) => MonzoError;
  path?: string;
  status?: number;
}

interface ResponseCase {
  name: string;
  fault?: Omit<EmulatorFault, "count">;
  call: (monzo: Monzo, auth: Authentication) => unknown;
  expect: Expected;
}

const JSON_TYPE = "application/json";
const HTML_PAGE = "<!doctype html><html><head><title>502 Bad Gateway</title></head>" +
  "<body><h1>Bad Gateway</h1><p>nginx</p></body></html>";

test(
  "malformed answers on every endpoint: the documented typed error, with the path of the bad field",
  {
    timeout: 60_000,
  },
  async (t) => {
    const served = await startRecordingEmulator({ seed: 32 });
    const { emulator } = served;
    try {
      const tokens = served.login();
      const auth = new Authentication(served.options({
        accessToken: tokens.accessToken,
        accessTokenExpiry: tokens.expiry,
        refreshToken: tokens.refreshToken,
        maxRetries: 0,
        timeoutMs: 10_000,
      }));
      const monzo = new Monzo(auth);
      const acc = emulator.accounts.current;
      // Real answers to break: fetched raw from the emulator.
      const raw = async (path: string) => {
        const response = await fetch(`${served.url}${path}`, {
          headers: { authorization: `Bearer ${auth.accessToken}` },
        });
        assert.equal(response.status, 200, path);
        return await response.json();
      };
      const accounts = await raw("/accounts");
      const balance = await raw(`/balance?account_id=${acc}`);
      const pots = await raw(`/pots?current_account_id=${acc}`);
      const since = new Date(Date.now() - 20 * 86_400_000).toISOString();
      const transactions = await raw(`/transactions?account_id=${acc}&since=${since}&limit=10`);
      const tx = transactions.transactions[0];
      const whoami = await raw("/ping/whoami");
      const json = (value: unknown) => ({
        status: 200,
        body: JSON.stringify(value),
        contentType: JSON_TYPE,
      });
      const changed = (value: unknown, change: (copy: Any) => void) => {
        const copy = structuredClone(value) as Any;
        change(copy);
        return json(copy);
      };
      const truncated = (value: unknown) => {
        const text = JSON.stringify(value);
        return {
          status: 200,
          body: text.slice(0, Math.floor(text.length / 2)),
          contentType: JSON_TYPE,
        };
      };
      const html = { status: 200, body: HTML_PAGE, contentType: "text/html; charset=utf-8" };
      const empty = { status: 200, body: "", contentType: JSON_TYPE };
      const response = (path = "") => ({ error: MonzoResponseError, path });

      // A few megabytes: 6,000 accounts (the last one broken), and a valid page of the same size.
      const many = Array.from(
        { length: 6_000 },
        (_, i) => ({ ...accounts.accounts[0], id: `acc_${i}` }),
      );
      const hugeBroken = JSON.stringify({
        accounts: [...many.slice(0, -1), { ...many[0], created: 5 }],
      });
      const hugeValid = JSON.stringify({ accounts: many });
      assert.ok(hugeBroken.length > 4_000_000, `only ${hugeBroken.length} characters`);

      const deposit = { sourceAccountId: acc, amount: 1, dedupeId: "reliability-bad-input" };
      const cases: ResponseCase[] = [
        // GET /accounts
        {
          name: "accounts: an id that is a number",
          fault: changed(accounts, (a) => (a.accounts[1].id = 123)),
          call: (m) => m.accounts.list(),
          expect: response("accounts.1.id"),
        },
        {
          name: "accounts: created missing",
          fault: changed(accounts, (a) => delete a.accounts[0].created),
          call: (m) => m.accounts.list(),
          expect: response("accounts.0.created"),
        },
        {
          name: "accounts: accounts an object",
          fault: json({ accounts: {} }),
          call: (m) => m.accounts.list(),
          expect: response("accounts"),
        },
        {
          name: "accounts: empty object",
          fault: json({}),
          call: (m) => m.accounts.list(),
          expect: response("accounts"),
        },
        {
          name: "accounts: an array",
          fault: json([]),
          call: (m) => m.accounts.list(),
          expect: response("accounts"),
        },
        {
          name: "accounts: null",
          fault: json(null),
          call: (m) => m.accounts.list(),
          expect: response(""),
        },
        {
          name: "accounts: truncated JSON",
          fault: truncated(accounts),
          call: (m) => m.accounts.list(),
          expect: response(""),
        },
        {
          name: "accounts: an HTML page with 200",
          fault: html,
          call: (m) => m.accounts.list(),
          expect: response(""),
        },
        {
          name: "accounts: an empty body",
          fault: empty,
          call: (m) => m.accounts.list(),
          expect: response(""),
        },
        {
          name: "accounts: 4 MB with the last account broken",
          fault: { status: 200, body: hugeBroken, contentType: JSON_TYPE },
          call: (m) => m.accounts.list(),
          expect: response("accounts.5999.created"),
        },
        {
          name: "accounts: 5 MB of garbage",
          fault: { status: 200, body: "<html>" + "x".repeat(5_000_000), contentType: "text/html" },
          call: (m) => m.accounts.list(),
          expect: response(""),
        },
        // GET /balance
        {
          name: "balance: a number as text",
          fault: changed(balance, (b) => (b.balance = String(b.balance))),
          call: (m) => m.balance.get(acc),
          expect: response("balance"),
        },
        {
          name: "balance: currency missing",
          fault: changed(balance, (b) => delete b.currency),
          call: (m) => m.balance.get(acc),
          expect: response("currency"),
        },
        {
          name: "balance: spend_today null",
          fault: changed(balance, (b) => (b.spend_today = null)),
          call: (m) => m.balance.get(acc),
          expect: response("spend_today"),
        },
        {
          name: "balance: truncated JSON",
          fault: truncated(balance),
          call: (m) => m.balance.get(acc),
          expect: response(""),
        },
        {
          name: "balance: an empty body",
          fault: empty,
          call: (m) => m.balance.get(acc),
          expect: response(""),
        },
        // GET /pots, PUT /pots/{id}/deposit
        {
          name: "pots: deleted as text",
          fault: changed(pots, (p) => (p.pots[0].deleted = "false")),
          call: (m) => m.pots.list(acc),
          expect: response("pots.0.deleted"),
        },
        {
          name: "pots: balance null",
          fault: changed(pots, (p) => (p.pots[0].balance = null)),
          call: (m) => m.pots.list(acc),
          expect: response("pots.0.balance"),
        },
        {
          name: "pots: pots null",
          fault: json({ pots: null }),
          call: (m) => m.pots.list(acc),
          expect: response("pots"),
        },
        {
          name: "deposit: the pot wrapped",
          fault: { ...json({ pot: pots.pots[0] }), path: `/pots/${POT}/deposit` },
          call: (m) => m.pots.deposit(POT, deposit),
          expect: response("id"),
        },
        {
          name: "deposit: an HTML page with 200",
          fault: { ...html, path: `/pots/${POT}/deposit` },
          call: (m) => m.pots.deposit(POT, deposit),
          expect: response(""),
        },
        {
          name: "withdraw: an empty body",
          fault: { ...empty, path: `/pots/${POT}/withdraw` },
          call: (m) =>
            m.pots.withdraw(POT, { destinationAccountId: acc, amount: 1, dedupeId: "x" }),
          expect: response(""),
        },
        // GET /transactions/{id}, GET /transactions, PATCH /transactions/{id}
        {
          name: "transaction: amount as text",
          fault: {
            ...json({ transaction: { ...tx, amount: "-350" } }),
            path: `/transactions/${TX}`,
          },
          call: (m) => m.transactions.get(TX),
          expect: response("transaction.amount"),
        },
        {
          name: "transaction: the list shape",
          fault: { ...json({ transactions: [tx] }), path: `/transactions/${TX}` },
          call: (m) => m.transactions.get(TX),
          expect: response("transaction"),
        },
        {
          name: "transaction: merchant a number",
          fault: { ...json({ transaction: { ...tx, merchant: 42 } }), path: `/transactions/${TX}` },
          call: (m) => m.transactions.get(TX),
          expect: response("transaction.merchant"),
        },
        {
          name: "transaction: metadata value a number",
          fault: {
            ...json({ transaction: { ...tx, metadata: { a: 1 } } }),
            path: `/transactions/${TX}`,
          },
          call: (m) => m.transactions.get(TX),
          expect: response("transaction.metadata.a"),
        },
        {
          name: "transactions: created a number",
          fault: changed(transactions, (l) => (l.transactions[3].created = 1234)),
          call: (m) => m.transactions.list(acc, { since }),
          expect: response("transactions.3.created"),
        },
        {
          name: "transactions: not a list",
          fault: json({ transactions: "none" }),
          call: (m) => m.transactions.list(acc, { since }),
          expect: response("transactions"),
        },
        {
          name: "transactions: truncated JSON",
          fault: truncated(transactions),
          call: (m) => m.transactions.list(acc, { since }),
          expect: response(""),
        },
        {
          name: "iterate: first page with an id null",
          fault: changed(transactions, (l) => (l.transactions[0].id = null)),
          call: (m) => drain(m.transactions.iterate(acc, { since })),
          expect: response("transactions.0.id"),
        },
        {
          name: "annotate: an empty body",
          fault: { ...empty, path: `/transactions/${TX}`, method: "PATCH" },
          call: (m) => m.transactions.annotate(TX, { notes: "x" }),
          expect: response(""),
        },
        {
          name: "annotate: a bare transaction",
          fault: {
            ...json({ transaction: { id: TX } }),
            path: `/transactions/${TX}`,
            method: "PATCH",
          },
          call: (m) => m.transactions.annotate(TX, { notes: "x" }),
          expect: response("transaction.amount"),
        },
        // POST /feed, attachments
        {
          name: "feed: an HTML page with 200",
          fault: { ...html, path: "/feed" },
          call: (m) => m.feed.create(acc, FEED),
          expect: response(""),
        },
        {
          name: "feed: truncated JSON",
          fault: { status: 200, body: '{"', contentType: JSON_TYPE, path: "/feed" },
          call: (m) => m.feed.create(acc, FEED),
          expect: response(""),
        },
        {
          name: "upload: file_url a number",
          fault: { ...json({ file_url: 1, upload_url: "https://x" }), path: "/attachment/upload" },
          call: (m) => m.attachments.upload(TX, UPLOAD),
          expect: response("file_url"),
        },
        {
          name: "upload: upload_url missing",
          fault: { ...json({ file_url: "https://x" }), path: "/attachment/upload" },
          call: (m) => m.attachments.upload(TX, UPLOAD),
          expect: response("upload_url"),
        },
        {
          name: "register: attachment fields missing",
          fault: { ...json({ attachment: { id: "attach_1" } }), path: "/attachment/register" },
          call: (m) => m.attachments.register(TX, REGISTER),
          expect: response("attachment.external_id"),
        },
        {
          name: "deregister: an HTML page with 200",
          fault: { ...html, path: "/attachment/deregister" },
          call: (m) => m.attachments.deregister("attach_1"),
          expect: response(""),
        },
        // receipts
        {
          name: "receipts.put: truncated JSON",
          fault: {
            status: 200,
            body: '{"receipt_id": "rec',
            contentType: JSON_TYPE,
            path: "/transaction-receipts",
            method: "PUT",
          },
          call: (m) => m.receipts.put(RECEIPT),
          expect: response(""),
        },
        {
          name: "receipts.get: total as text",
          fault: {
            ...json({ receipt: { ...RECEIPT, total: "1200" } }),
            path: "/transaction-receipts",
            method: "GET",
          },
          call: (m) => m.receipts.get("order-1"),
          expect: response("receipt.total"),
        },
        {
          name: "receipts.get: items missing",
          fault: {
            ...json({ receipt: { ...RECEIPT, items: undefined } }),
            path: "/transaction-receipts",
            method: "GET",
          },
          call: (m) => m.receipts.get("order-1"),
          expect: response("receipt.items"),
        },
        {
          name: "receipts.delete: an HTML page with 200",
          fault: { ...html, path: "/transaction-receipts", method: "DELETE" },
          call: (m) => m.receipts.delete("order-1"),
          expect: response(""),
        },
        // webhooks
        {
          name: "webhooks.create: url missing",
          fault: {
            ...json({ webhook: { id: "webhook_1", account_id: acc } }),
            path: "/webhooks",
            method: "POST",
          },
          call: (m) => m.webhooks.create(acc, "https://example.com/hook"),
          expect: response("webhook.url"),
        },
        {
          name: "webhooks.list: null",
          fault: { ...json({ webhooks: null }), path: "/webhooks", method: "GET" },
          call: (m) => m.webhooks.list(acc),
          expect: response("webhooks"),
        },
        {
          name: "webhooks.delete: truncated JSON",
          fault: { status: 200, body: "{", contentType: JSON_TYPE, path: "/webhooks/webhook_1" },
          call: (m) => m.webhooks.delete("webhook_1"),
          expect: response(""),
        },
        // GET /ping/whoami
        {
          name: "whoAmI: authenticated as text",
          fault: { ...json({ ...whoami, authenticated: "yes" }), path: "/ping/whoami" },
          call: (m) => m.whoAmI(),
          expect: response("authenticated"),
        },
        {
          name: "whoAmI: an empty body",
          fault: { ...empty, path: "/ping/whoami" },
          call: (m) => m.whoAmI(),
          expect: response(""),
        },
        // POST /oauth2/token (the refresh)
        {
          name: "token: access_token a number",
          fault: { ...json({ access_token: 5, expires_in: 100 }), path: "/oauth2/token" },
          call: (_, a) => a.refreshAccessToken(),
          expect: response("access_token"),
        },
        {
          name: "token: expires_in missing",
          fault: { ...json({ access_token: "a", refresh_token: "r" }), path: "/oauth2/token" },
          call: (_, a) => a.refreshAccessToken(),
          expect: response("expires_in"),
        },
        {
          name: "token: an HTML page with 200",
          fault: { ...html, path: "/oauth2/token" },
          call: (_, a) => a.refreshAccessToken(),
          expect: response(""),
        },
        {
          name: "token: an empty body",
          fault: { ...empty, path: "/oauth2/token" },
          call: (_, a) => a.refreshAccessToken(),
          expect: response(""),
        },
        // Error pages that are not Monzo's JSON: typed by their status.
        {
          name: "error: an HTML 502",
          fault: { ...html, status: 502 },
          call: (m) => m.accounts.list(),
          expect: { error: MonzoServerError, status: 502 },
        },
        {
          name: "error: an empty 503",
          fault: { ...empty, status: 503 },
          call: (m) => m.accounts.list(),
          expect: { error: MonzoServerError, status: 503 },
        },
        {
          name: "error: an HTML 404",
          fault: { ...html, status: 404 },
          call: (m) => m.accounts.list(),
          expect: { error: MonzoHTTPError, status: 404 },
        },
        {
          name: "error: truncated JSON with 400",
          fault: { status: 400, body: '{"code": "bad_req', contentType: JSON_TYPE },
          call: (m) => m.accounts.list(),
          expect: { error: MonzoHTTPError, status: 400 },
        },
        {
          name: "error: 429 JSON without a code",
          fault: { status: 429, body: "{}", contentType: JSON_TYPE },
          call: (m) => m.accounts.list(),
          expect: { error: MonzoRateError, status: 429 },
        },
        {
          name: "error: an HTML 401",
          fault: { ...html, status: 401 },
          call: (m) => m.accounts.list(),
          expect: { error: MonzoAuthenticationError, status: 401 },
        },
        {
          name: "error: an HTML 403",
          fault: { ...html, status: 403 },
          call: (m) => m.accounts.list(),
          expect: { error: MonzoPermissionsError, status: 403 },
        },
        // Webhook bodies, parsed without a request.
        {
          name: "webhook: not JSON",
          call: () => parseWebhookEvent("not json"),
          expect: response(""),
        },
        {
          name: "webhook: truncated JSON",
          call: () => parseWebhookEvent('{"type":"transaction.created","data":'),
          expect: response(""),
        },
        {
          name: "webhook: a type that is not a string",
          call: () => parseWebhookEvent({ type: 7, data: tx }),
          expect: response("type"),
        },
        {
          name: "webhook: no data",
          call: () => parseWebhookEvent(JSON.stringify({ type: "transaction.created" })),
          expect: response("data"),
        },
        {
          name: "webhook: amount as text",
          call: () =>
            parseWebhookEvent({ type: "transaction.created", data: { ...tx, amount: "1" } }),
          expect: response("data.amount"),
        },
        { name: "webhook: null", call: () => parseWebhookEvent(null), expect: response("") },
      ];

      const wrong: string[] = [];
      for (const item of cases) {
        const path = !item.fault
          ? ""
          : typeof item.fault.path === "string"
          ? item.fault.path
          : defaultPath(item.name);
        if (item.fault) emulator.injectFault({ ...item.fault, path, count: 1 });
        const before = served.hits.get(path) ?? 0;
        const result = await within(15_000, item.name, outcome(() => item.call(monzo, auth)));
        emulator.clearFaults();
        const { error } = result as { error?: MonzoError };
        if (result.ok || !(error instanceof item.expect.error)) {
          wrong.push(
            `${item.name}: ${result.ok ? "succeeded" : error} instead of ${item.expect.error.name}`,
          );
          continue;
        }
        if (
          item.expect.path !== undefined && (error as MonzoResponseError).path !== item.expect.path
        ) {
          wrong.push(
            `${item.name}: path "${(error as MonzoResponseError).path}", not "${item.expect.path}"`,
          );
        }
        if (item.expect.status !== undefined && error.status !== item.expect.status) {
          wrong.push(`${item.name}: status ${error.status}`);
        }
        if (item.fault && (served.hits.get(path) ?? 0) === before) {
          wrong.push(`${item.name}: the faulted path ${path} was never asked`);
        }
      }
      assert.deepEqual(wrong, []);

      // A valid answer of the same size is read in full: size alone is no error.
      emulator.injectFault({
        path: "/accounts",
        status: 200,
        body: hugeValid,
        contentType: JSON_TYPE,
        count: 1,
      });
      const started = Date.now();
      const all = await within(15_000, "a 4 MB valid answer", monzo.accounts.list());
      assert.equal(all.length, 6_000);
      t.diagnostic(
        `malformed-answer cases: ${cases.length}; a valid ${
          (hugeValid.length / 1e6).toFixed(1)
        } MB ` +
          `answer read in ${Date.now() - started} ms`,
      );
      // After all that, the login still works.
      assert.equal((await monzo.whoAmI()).authenticated, true);
    } finally {
      await served.close();
    }
  },
);

/** The path a case without an explicit one faults, from the endpoint in its name. */
function defaultPath(name: string): string {
  const endpoint = name.split(":")[0];
  const paths: Record<string, string> = {
    error: "/accounts",
    accounts: "/accounts",
    balance: "/balance",
    pots: "/pots",
    transactions: "/transactions",
    iterate: "/transactions",
  };
  if (!(endpoint in paths)) throw new Error(`no path for ${name}`);
  return paths[endpoint];
}
