// The fast checks (src/_check.ts) against valibot, property-based: on every recorded body and
// every body the emulator answers, and on many seeded mutations of them (fields deleted, types
// swapped, nulls), the check accepts exactly what valibot's safeParse accepts. And `parse`
// returns a conforming body itself, or throws valibot's first issue with its path.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as v from "valibot";
import { Authentication, Monzo, MonzoResponseError } from "../mod.ts";
import { MonzoEmulator } from "../src/testing/mod.ts";
import { deriveCheck } from "../src/_check.ts";
import * as schemas from "../src/_schemas.ts";
import type { Checked } from "../src/_schemas.ts";

const CASES = 4_000; // mutations in all, spread over the payloads
const CONFIG = { abortEarly: true, abortPipeEarly: true } as const;

type Any = Checked<unknown>;
const ALL: [string, Any][] = Object.entries(schemas)
  .filter(([, value]) => typeof value === "object" && value !== null && "check" in value)
  .map(([name, value]) => [name, value as Any]);

/** mulberry32: a small seeded generator, so that a failing case can be replayed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every body a real client reads, recorded through its fetch, by the schema that checks it. */
async function emulatorBodies(): Promise<[string, unknown][]> {
  const emulator = new MonzoEmulator({ seed: 11, webhookRetryDelayMs: 0 });
  const bodies: [string, unknown][] = [];
  const names: Record<string, string> = {
    "GET /ping/whoami": "WhoAmISchema",
    "GET /accounts": "AccountsSchema",
    "GET /balance": "BalanceSchema",
    "GET /pots": "PotsSchema",
    "PUT /pots/deposit": "PotSchema",
    "GET /transactions": "TransactionsSchema",
    "GET /transactions/id": "TransactionBodySchema",
    "PATCH /transactions/id": "TransactionBodySchema",
    "POST /attachment/upload": "UploadSchema",
    "POST /attachment/register": "AttachmentBodySchema",
    "GET /transaction-receipts": "ReceiptBodySchema",
    "POST /webhooks": "WebhookBodySchema",
    "GET /webhooks": "WebhooksSchema",
  };
  const recording = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const response = await emulator.fetch(request);
    const text = await response.clone().text();
    const path = new URL(request.url).pathname.replace(/\/(tx|pot)_\w+/, "/id")
      .replace("/id/deposit", "/deposit");
    const name = names[`${request.method} ${path}`];
    if (name && response.ok) bodies.push([name, JSON.parse(text)]);
    return response;
  };
  const tokens = emulator.login();
  const monzo = new Monzo(
    new Authentication({
      clientId: emulator.client.id,
      clientSecret: emulator.client.secret,
      redirectUrl: emulator.client.redirectUris[0],
      apiUrl: "http://emulator.test",
      accessToken: tokens.accessToken,
      accessTokenExpiry: tokens.expiry,
      refreshToken: tokens.refreshToken,
      now: () => emulator.now(),
      fetch: recording as typeof fetch,
    }),
  );
  const account = emulator.accounts.current;
  await monzo.whoAmI();
  await monzo.accounts.list();
  await monzo.balance.get(account);
  const [pot] = await monzo.pots.list(account);
  await monzo.pots.deposit(pot.id, { sourceAccountId: account, amount: 1, dedupeId: "d1" });
  const since = new Date(emulator.now() - 60 * 86_400_000);
  const page = await monzo.transactions.list(account, { since, limit: 100, expandMerchant: true });
  await monzo.transactions.list(account, { since, limit: 50 });
  await monzo.transactions.get(page[0].id, { expandMerchant: true });
  await monzo.transactions.get(page[1].id);
  await monzo.transactions.annotate(page[2].id, { notes: "lunch" });
  await monzo.attachments.upload(page[3].id, {
    fileName: "r.png",
    fileType: "image/png",
    data: new Uint8Array([1, 2, 3]),
  });
  await monzo.receipts.put({
    transaction_id: page[4].id,
    external_id: "order-1",
    total: 100,
    currency: "GBP",
    items: [{
      description: "Tea",
      amount: 100,
      currency: "GBP",
      sub_items: [{ description: "Leaf", amount: 100, currency: "GBP" }],
    }],
    taxes: [{ description: "VAT", amount: 17, currency: "GBP" }],
    payments: [{ type: "card", amount: 100, currency: "GBP", last_four: "4242" }],
    merchant: { name: "Tea shop", online: false },
  });
  await monzo.receipts.get("order-1");
  await monzo.webhooks.create(account, "https://example.com/hook");
  await monzo.webhooks.list(account);
  for (const tx of page.slice(0, 10)) {
    bodies.push(["TransactionCreatedSchema", { type: "transaction.created", data: tx }]);
  }
  bodies.push(["WebhookEnvelopeSchema", { type: "transaction.updated", data: { id: "tx_1" } }]);
  return bodies;
}

function recordedBodies(): [string, unknown][] {
  const read = (name: string) =>
    JSON.parse(readFileSync(new URL(`../bench/fixtures/${name}`, import.meta.url), "utf8"));
  return [["BalanceSchema", read("balance.txt")], [
    "TransactionsSchema",
    read("transactions.txt"),
  ]];
}

/** Paths to every value inside `root` (objects and arrays walked), the root included. */
function paths(root: unknown): (string | number)[][] {
  const out: (string | number)[][] = [[]];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (!value || typeof value !== "object") return;
    for (const [key, item] of Object.entries(value)) {
      const next = [...path, Array.isArray(value) ? Number(key) : key];
      out.push(next);
      walk(item, next);
    }
  };
  walk(root, []);
  return out;
}

const REPLACEMENTS: ((old: unknown, random: () => number) => unknown)[] = [
  () => null,
  () => undefined,
  () => "",
  () => "text",
  () => 0,
  () => -12.5,
  () => NaN,
  () => true,
  () => false,
  () => [],
  () => ({}),
  (old) => [old],
  (old) => String(old),
  (old) => Number(old),
  (old) => typeof old === "object" && old ? { ...old } : { value: old },
  (_old, random) => ({ id: `merch_${Math.floor(random() * 1e6)}` }),
  () => "transaction.created",
];

/** One mutation of a deep copy: delete, replace or add a field somewhere. */
function mutate(value: unknown, random: () => number): unknown {
  const copy = structuredClone(value);
  const all = paths(copy);
  const path = all[Math.floor(random() * all.length)];
  const replacement = REPLACEMENTS[Math.floor(random() * REPLACEMENTS.length)];
  if (path.length === 0) return replacement(copy, random);
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const key = path[path.length - 1];
  const roll = random();
  if (roll < 0.3 && !Array.isArray(parent)) delete parent[key];
  else if (roll < 0.4 && parent[key] && typeof parent[key] === "object") {
    (parent[key] as Record<string, unknown>)[`extra_${Math.floor(random() * 100)}`] = null;
  } else parent[key] = replacement(parent[key], random);
  return copy;
}

function agree(name: string, checked: Any, value: unknown, seed: string): boolean {
  const fast = checked.check(value);
  const slow = v.safeParse(checked.schema, value, CONFIG).success;
  assert.equal(fast, slow, `${name}: the check says ${fast}, valibot ${slow} (${seed})`);
  return fast;
}

test("every recorded and emulator body passes both the check and valibot", async () => {
  const bodies = [...recordedBodies(), ...await emulatorBodies()];
  const names = new Set(bodies.map(([name]) => name));
  for (const [name] of ALL) assert.ok(names.has(name), `no body recorded for ${name}`);
  for (const [name, body] of bodies) {
    const checked = schemas[name as keyof typeof schemas] as Any;
    assert.equal(agree(name, checked, body, "as recorded"), true, `${name} refused its body`);
    // parse returns the body itself: nothing is copied.
    assert.equal(schemas.parse(checked, body, "GET /x"), body);
  }
});

test("the check and valibot agree on seeded mutations, and on every body for every schema", async () => {
  const bodies = [...recordedBodies(), ...await emulatorBodies()];
  // Every body against every schema (mostly refusals, some cross-acceptances).
  for (const [, body] of bodies) {
    for (const [name, checked] of ALL) agree(name, checked, body, "cross");
  }
  const random = generator(20260601);
  let accepted = 0, refused = 0;
  for (let i = 0; i < CASES; i++) {
    const [name, body] = bodies[i % bodies.length];
    const checked = schemas[name as keyof typeof schemas] as Any;
    let value = mutate(body, random);
    if (random() < 0.25) value = mutate(value, random); // two mutations now and then
    if (agree(name, checked, value, `case ${i}, seed 20260601`)) accepted++;
    else {
      refused++;
      // The fallback names valibot's first issue.
      const issue = v.safeParse(checked.schema, value, CONFIG).issues![0];
      assert.throws(() => schemas.parse(checked, value, "GET /x"), (error: unknown) => {
        assert.ok(error instanceof MonzoResponseError);
        assert.equal(error.path, v.getDotPath(issue) ?? "");
        return true;
      });
    }
  }
  // The mutations exercise both outcomes (extra or optional fields keep a body valid).
  assert.ok(accepted > CASES / 20, `only ${accepted} mutations were accepted`);
  assert.ok(refused > CASES / 4, `only ${refused} mutations were refused`);
});

test("checks follow valibot's rules for NaN, absent keys, records and literals", () => {
  const cases: [v.GenericSchema, unknown][] = [
    [v.number(), NaN],
    [v.number(), Infinity],
    [v.looseObject({ a: v.unknown() }), {}],
    [v.looseObject({ a: v.unknown() }), { a: undefined }],
    [v.looseObject({ a: v.optional(v.string()) }), { a: undefined }],
    [v.looseObject({ a: v.nullish(v.string()) }), { a: null }],
    [v.looseObject({ a: v.string() }), []],
    [v.object({}), [1]],
    [v.record(v.string(), v.string()), { a: "1", b: 2 }],
    [v.record(v.string(), v.string()), Object.create({ inherited: 1 })],
    [v.record(v.string(), v.string()), JSON.parse('{"__proto__": 1, "a": "x"}')],
    [v.literal("x"), "x"],
    [v.literal("x"), "y"],
    [v.array(v.boolean()), [true, false, 0]],
  ];
  for (const [schema, value] of cases) {
    assert.equal(
      deriveCheck(schema)(value),
      v.safeParse(schema, value).success,
      `${schema.type} on ${String(value)}`,
    );
  }
});

test("a schema the checks do not know is refused when derived, not passed silently", () => {
  assert.throws(() => deriveCheck(v.pipe(v.string(), v.minLength(1))), TypeError);
  assert.throws(() => deriveCheck(v.union([v.string(), v.number()])), TypeError);
  assert.throws(() => deriveCheck(v.optional(v.string(), "x")), TypeError);
});
