// The seeded world: two users, their accounts and pots, and a year of believable history.
import type { Random } from "./_random.ts";
import { DAY_MS, HOUR_MS, isoSeconds } from "./_time.ts";
import { Ledger } from "./ledger.ts";
import type { Account, Merchant, Pot, User } from "./models.ts";
import { buildMerchants } from "./seed_merchants.ts";
import { type Entry, newEntry, type TransactionSpec } from "./transactions.ts";

/** Everything the seed produces. */
export interface World {
  user: User;
  /** Co-owner of the joint account, with a current account of his own. */
  partner: User;
  currentAccountId: string;
  jointAccountId: string;
  partnerAccountId: string;
  accounts: Map<string, Account>;
  pots: Map<string, Pot>;
  /** Pots by the id of their backing account (`pot_account_id`), whose ledger is the pot's statement. */
  potAccounts: Map<string, Pot>;
  merchants: Map<string, Merchant>;
  ledgers: Map<string, Ledger>;
  transactions: Map<string, Entry>;
}

/** Days of history of the joint and partner accounts (at most), and the default of the current one. */
const HISTORY_DAYS = 365;
/** Age of the current account in days, unless its history needs it older. */
const CURRENT_ACCOUNT_DAYS = 1100;
/** On average one £0 "PIN change or balance check" row per this many days. */
const BALANCE_CHECK_EVERY_DAYS = 75;
const SORT_CODE = "040004";

/** Card spending: category weight and amount range in pence. */
const CARD_CATEGORIES: Array<[category: string, weight: number, min: number, max: number]> = [
  ["eating_out", 34, 240, 3500],
  ["groceries", 26, 180, 6000],
  ["transport", 24, 170, 2500],
  ["shopping", 8, 499, 9000],
  ["entertainment", 4, 800, 3000],
  ["general", 2, 100, 1500],
  ["cash", 1, 1000, 5000],
  ["holidays", 1, 4500, 30000],
];
const CARD_WEIGHT = CARD_CATEGORIES.reduce((sum, [, weight]) => sum + weight, 0);
const DECLINES = [
  "INSUFFICIENT_FUNDS",
  "INVALID_CVC",
  "STRONG_CUSTOMER_AUTHENTICATION_REQUIRED",
  "OTHER",
];

/** A monthly payment: day of month, merchant name or counterparty, amount. */
interface Monthly {
  day: number;
  amount: number;
  description: string;
  category: string;
  scheme: string;
  merchant?: string;
  counterparty?: Record<string, string>;
  pot?: Pot;
}

interface Plan {
  account: Account;
  owners: User[];
  cardPerDay: number;
  monthly: Monthly[];
  /** Days of history. */
  days: number;
}

/** What sizes the seeded world. */
export interface SeedOptions {
  /** Average card transactions per day on the current account. */
  cardPerDay: number;
  /** Days of history of the current account (the others get at most 365). */
  historyDays: number;
}

/**
 * Builds the world relative to `nowMs`. `rng` draws everything the original seed had; `extra`
 * draws what was added later (pot accounts, £0 balance checks, pot statements), so the
 * original data stays the same for a seed.
 */
export function seedWorld(rng: Random, extra: Random, nowMs: number, options: SeedOptions): World {
  const { cardPerDay, historyDays } = options;
  const user = makeUser(rng, nowMs, "Ada Lovelace", "ada@example.com");
  const partner = makeUser(rng, nowMs, "Charles Babbage", "charles@example.com");
  const currentAge = Math.max(CURRENT_ACCOUNT_DAYS, historyDays + 30);
  const current = makeAccount(rng, nowMs - currentAge * DAY_MS, "uk_retail", [user], user.id);
  const joint = makeAccount(rng, nowMs - 500 * DAY_MS, "uk_retail_joint", [user, partner], "");
  joint.description = rng.id("joint", nowMs - 500 * DAY_MS);
  const partnerCurrent = makeAccount(
    rng,
    nowMs - 1400 * DAY_MS,
    "uk_retail",
    [partner],
    partner.id,
  );
  const merchants = buildMerchants(rng, nowMs - 1200 * DAY_MS);
  const pots = makePots(rng, nowMs, current.id);
  const [savings] = pots;

  const fasterPayment = "payport_faster_payments";
  const toJoint = {
    name: "Joint account",
    sort_code: SORT_CODE,
    account_number: joint.account_number,
  };
  const world: World = {
    user,
    partner,
    currentAccountId: current.id,
    jointAccountId: joint.id,
    partnerAccountId: partnerCurrent.id,
    accounts: new Map([current, joint, partnerCurrent].map((a) => [a.id, a])),
    pots: new Map(pots.map((p) => [p.id, p])),
    potAccounts: new Map(),
    merchants: new Map(merchants.map((m) => [m.id, m])),
    ledgers: new Map(),
    transactions: new Map(),
  };
  const plans: Plan[] = [
    {
      account: current,
      owners: [user],
      cardPerDay,
      days: historyDays,
      monthly: [
        bill(1, -14500, "Hackney Council"),
        bill(5, -3850, "Thames Water"),
        bill(8, -3500, "Hyperoptic"),
        bill(12, -9400, "Octopus Energy"),
        { ...bill(15, -1099, "Netflix"), scheme: "mastercard", category: "entertainment" },
        bill(18, -1325, "TV Licensing"),
        bill(20, -2500, "EE"),
        { ...bill(22, -1199, "Spotify"), scheme: "mastercard", category: "entertainment" },
        salary(25, 340000, "ANALYTICAL ENGINES LTD SALARY", "Analytical Engines Ltd"),
        {
          day: 26,
          amount: -20000,
          description: savings.id,
          category: "savings",
          scheme: "uk_retail_pot",
          pot: savings,
        },
        {
          day: 28,
          amount: -90000,
          description: "Joint account",
          category: "transfers",
          scheme: fasterPayment,
          counterparty: toJoint,
        },
      ],
    },
    {
      account: joint,
      owners: [user, partner],
      cardPerDay: 0.6,
      days: Math.min(historyDays, HISTORY_DAYS),
      monthly: [
        {
          day: 1,
          amount: -165000,
          description: "RENT HACKNEY LETTINGS",
          category: "bills",
          scheme: fasterPayment,
          counterparty: {
            name: "Hackney Lettings Ltd",
            sort_code: "200000",
            account_number: "55779911",
          },
        },
        transferIn(28, 90000, user),
        transferIn(28, 90000, partner),
      ],
    },
    {
      account: partnerCurrent,
      owners: [partner],
      cardPerDay: 1,
      days: Math.min(historyDays, HISTORY_DAYS),
      monthly: [
        salary(25, 310000, "DIFFERENCE ENGINE CO SALARY", "Difference Engine Co"),
        {
          day: 28,
          amount: -90000,
          description: "Joint account",
          category: "transfers",
          scheme: fasterPayment,
          counterparty: toJoint,
        },
      ],
    },
  ];
  const byName = new Map(merchants.map((m) => [m.name, m]));
  for (const plan of plans) {
    const ledger = new Ledger();
    world.ledgers.set(plan.account.id, ledger);
    for (const spec of history(rng, plan, merchants, byName, nowMs)) {
      const entry = newEntry(rng, spec);
      ledger.insert(entry);
      world.transactions.set(entry.id, entry);
    }
  }
  addBalanceChecks(extra, world, current, historyDays, nowMs);
  addPotAccounts(extra, world, pots);
  return world;
}

/** Rare £0 "PIN change or balance check" rows on the current account: pending forever, hidden. */
function addBalanceChecks(
  rng: Random,
  world: World,
  account: Account,
  days: number,
  nowMs: number,
): void {
  const ledger = world.ledgers.get(account.id)!;
  for (let day = nowMs - days * DAY_MS; day < nowMs; day += DAY_MS) {
    if (!rng.chance(1 / BALANCE_CHECK_EVERY_DAYS)) continue;
    const at = Math.min(nowMs - 1, day + rng.int(0, DAY_MS - 1));
    insert(
      world,
      ledger,
      newEntry(rng, {
        accountId: account.id,
        userId: account.owners[0].user_id,
        createdMs: at,
        amount: 0,
        description: "PIN change or balance check",
        merchant: null,
        category: "general",
        settledMs: null,
        scheme: "mastercard",
        metadata: { hide_transaction: "true" },
        includeInSpending: false,
      }),
    );
  }
}

/** Gives each pot a backing account whose statement mirrors the seeded moves into the pot. */
function addPotAccounts(rng: Random, world: World, pots: Pot[]): void {
  const byPot = new Map<string, Ledger>();
  for (const pot of pots) {
    pot.pot_account_id = rng.id("acc", Date.parse(pot.created));
    world.potAccounts.set(pot.pot_account_id, pot);
    const ledger = new Ledger();
    world.ledgers.set(pot.pot_account_id, ledger);
    byPot.set(pot.id, ledger);
  }
  for (const source of world.ledgers.get(pots[0].current_account_id)!.items) {
    const ledger = source.metadata?.pot_id && byPot.get(source.metadata.pot_id);
    if (!ledger) continue;
    const pot = world.pots.get(source.metadata!.pot_id)!;
    insert(world, ledger, newEntry(rng, potStatementSpec(pot, source)));
  }
}

/** The pot account's side of a move between the current account and a pot. */
export function potStatementSpec(pot: Pot, source: TransactionSpec): TransactionSpec {
  return {
    accountId: pot.pot_account_id,
    userId: source.userId,
    createdMs: source.createdMs,
    amount: -source.amount,
    description: source.amount < 0
      ? "Deposit from current account"
      : "Withdrawal to current account",
    merchant: null,
    category: "savings",
    settledMs: source.settledMs,
    updatedMs: source.updatedMs,
    scheme: "uk_retail_pot",
    metadata: { pot_id: pot.id, source_account_id: source.accountId },
    includeInSpending: false,
  };
}

function insert(world: World, ledger: Ledger, entry: Entry): void {
  ledger.insert(entry);
  world.transactions.set(entry.id, entry);
}

/**
 * When a transfer made at `ms` settles: the next business day at 05:00 UTC, so its `settled`
 * lies in the future when it is created.
 */
export function transferSettlement(ms: number): number {
  let day = Math.floor(ms / DAY_MS) * DAY_MS + DAY_MS;
  while ([0, 6].includes(new Date(day).getUTCDay())) day += DAY_MS;
  return day + 5 * HOUR_MS;
}

function bill(day: number, amount: number, merchant: string): Monthly {
  return {
    day,
    amount,
    description: merchant.toUpperCase(),
    category: "bills",
    scheme: "bacs",
    merchant,
  };
}

function salary(day: number, amount: number, description: string, from: string): Monthly {
  return {
    day,
    amount,
    description,
    category: "income",
    scheme: "bacs",
    counterparty: { name: from },
  };
}

function transferIn(day: number, amount: number, from: User): Monthly {
  return {
    day,
    amount,
    description: from.name.toUpperCase(),
    category: "transfers",
    scheme: "payport_faster_payments",
    counterparty: { name: from.name, user_id: from.id },
  };
}

/** The plan's transactions in time order, preceded by an opening transfer that keeps the balance positive. */
function history(
  rng: Random,
  plan: Plan,
  merchants: Merchant[],
  byName: Map<string, Merchant>,
  nowMs: number,
): TransactionSpec[] {
  const pools = new Map<string, Merchant[]>();
  const monthlyNames = new Set(plan.monthly.map((m) => m.merchant));
  for (const m of merchants) {
    if (m.category === "bills" || monthlyNames.has(m.name)) continue;
    pools.set(m.category, [...(pools.get(m.category) ?? []), m]);
  }
  const accountId = plan.account.id;
  const start = Math.floor((nowMs - plan.days * DAY_MS) / DAY_MS) * DAY_MS;
  const specs: TransactionSpec[] = [];
  for (let day = start; day <= nowMs; day += DAY_MS) {
    const dayOfMonth = new Date(day).getUTCDate();
    for (const m of plan.monthly) {
      if (m.day !== dayOfMonth) continue;
      const at = day + 6 * HOUR_MS + rng.int(0, 59) * 60_000;
      if (at > nowMs) continue;
      if (m.pot) m.pot.balance -= m.amount;
      const transfer = m.scheme === "payport_faster_payments" || m.scheme === "uk_retail_pot";
      specs.push({
        accountId,
        userId: plan.owners[0].id,
        createdMs: at,
        amount: m.amount,
        description: m.description,
        merchant: m.merchant ? byName.get(m.merchant) ?? null : null,
        category: m.category,
        settledMs: transfer ? transferSettlement(at) : at,
        updatedMs: at,
        scheme: m.scheme,
        counterparty: m.counterparty,
        metadata: m.pot ? { pot_id: m.pot.id, trigger: "scheduled" } : undefined,
        includeInSpending: m.category !== "savings" && m.category !== "transfers" && m.amount < 0,
      });
    }
    const count = Math.round(plan.cardPerDay * (0.5 + rng.next()));
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      times.push(day + 7 * HOUR_MS + rng.int(0, 16 * 3600) * 1000 + rng.int(0, 999));
    }
    times.sort((a, b) => a - b);
    for (const at of times) {
      if (at > nowMs) break;
      specs.push(cardSpend(rng, plan, pools, at, nowMs));
    }
  }
  specs.sort((a, b) => a.createdMs - b.createdMs);
  let balance = 0;
  let lowest = 0;
  for (const spec of specs) {
    if (spec.declineReason === undefined) balance += spec.amount;
    lowest = Math.min(lowest, balance);
  }
  const openedAt = start - DAY_MS + 9 * HOUR_MS;
  specs.unshift({
    accountId,
    userId: plan.owners[0].id,
    createdMs: openedAt,
    amount: 150000 - lowest + rng.int(0, 99999),
    description: "BALANCE TRANSFER",
    merchant: null,
    category: "transfers",
    settledMs: transferSettlement(openedAt),
    updatedMs: openedAt,
    scheme: "payport_faster_payments",
    counterparty: { name: plan.owners[0].name, sort_code: "203040", account_number: "83746512" },
  });
  return specs;
}

function cardSpend(
  rng: Random,
  plan: Plan,
  pools: Map<string, Merchant[]>,
  at: number,
  nowMs: number,
): TransactionSpec {
  let roll = rng.next() * CARD_WEIGHT;
  let row = CARD_CATEGORIES[0];
  for (const candidate of CARD_CATEGORIES) {
    row = candidate;
    roll -= candidate[1];
    if (roll < 0) break;
  }
  const [category, , min, max] = row;
  const merchant = rng.pick(pools.get(category) ?? []);
  const skew = rng.next();
  let amount = min + Math.floor(skew * skew * skew * (max - min));
  if (category === "cash") amount = Math.ceil(amount / 1000) * 1000;
  const declined = rng.chance(0.02);
  const settledAt = at + rng.int(18, 48) * HOUR_MS;
  const place = merchant.online ? "INTERNET" : "LONDON";
  return {
    accountId: plan.account.id,
    userId: rng.pick(plan.owners).id,
    createdMs: at,
    amount: -amount,
    description: `${merchant.name.toUpperCase().slice(0, 22).padEnd(23)}${place.padEnd(13)}GBR`,
    merchant,
    category,
    settledMs: declined ? at : settledAt > nowMs ? null : settledAt,
    scheme: "mastercard",
    declineReason: declined ? rng.pick(DECLINES) : undefined,
  };
}

function makeUser(rng: Random, nowMs: number, name: string, email: string): User {
  return {
    id: rng.id("user", nowMs - rng.int(1200, 2000) * DAY_MS),
    name,
    firstName: name.split(" ")[0],
    email,
  };
}

function makeAccount(
  rng: Random,
  createdMs: number,
  type: string,
  owners: User[],
  description: string,
): Account {
  const accountNumber = rng.digits(8);
  const bban = `MONZ${SORT_CODE}${accountNumber}`;
  const digits = `${bban}GB00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  const iban = `GB${String(98n - (BigInt(digits) % 97n)).padStart(2, "0")}${bban}`;
  return {
    id: rng.id("acc", createdMs),
    description,
    created: isoSeconds(createdMs),
    closed: false,
    type,
    currency: "GBP",
    country_code: "GB",
    country_code_alpha3: "GBR",
    owners: owners.map((u) => ({
      user_id: u.id,
      preferred_name: u.name,
      preferred_first_name: u.firstName,
    })),
    account_number: accountNumber,
    sort_code: SORT_CODE,
    payment_details: {
      locale_uk: { account_number: accountNumber, sort_code: SORT_CODE },
      iban: {
        unformatted: iban,
        formatted: iban.replace(/(.{4})(?!$)/g, "$1 "),
        bic: "MONZGB2L",
        usage_description: "Your IBAN can be used to receive international payments in GBP.",
        usage_description_web: "Use your IBAN to receive international payments in GBP.",
      },
    },
    owner_type: owners.length > 1 ? "joint" : "personal",
    is_flex: false,
    product_type: "standard",
    closed_account_app_access: false,
    legal_entity: "monzo_uk",
  };
}

function makePots(rng: Random, nowMs: number, accountId: string): Pot[] {
  const pot = (
    name: string,
    style: string,
    balance: number,
    goal: number | null,
    extra: Partial<Pot> = {},
  ): Pot => {
    const created = nowMs - rng.int(400, 900) * DAY_MS;
    return {
      id: rng.id("pot", created),
      name,
      style,
      balance,
      currency: "GBP",
      created: new Date(created).toISOString(),
      updated: new Date(created).toISOString(),
      deleted: false,
      type: "default",
      goal_amount: goal,
      current_account_id: accountId,
      product_id: "default",
      cover_image_url: `https://images.monzo.com/pots/${style}.png`,
      isa_wrapper: "",
      round_up: false,
      round_up_multiplier: null,
      is_tax_pot: false,
      locked: false,
      available_for_bills: false,
      has_virtual_cards: false,
      pot_account_id: "",
      ...extra,
    };
  };
  return [
    pot("Savings", "beach_ball", 0, 500000, { round_up: true, round_up_multiplier: 1 }),
    pot("Holiday", "blue", 42000, 150000),
    pot("Bills", "cassette", 36500, null, { available_for_bills: true }),
    pot("Rainy Day", "piggy_bank", 250000, null, {
      type: "fixed_savings",
      product_id: "fixed_savings_1y",
      locked: true,
      locked_until: isoSeconds(nowMs + 120 * DAY_MS),
    }),
  ];
}
