// The data commands: whoami, accounts, balance, pots, transactions. Each checks its options
// first, then loads the saved login, calls the API and prints a table, JSON or CSV.

import process from "node:process";
import type { Monzo } from "../monzo.ts";
import type { Transaction } from "../models.ts";
import type { Command, CommandSpec, OptionSpec, Values } from "./_args.ts";
import { CREDENTIALS_OPTION } from "./_config.ts";
import { CliError, UsageError } from "./_errors.ts";
import { FORMAT_OPTION, formatAmount, type Output, parseFormat, render } from "./_format.ts";
import { API_URL_OPTION, openSession } from "./_session.ts";

/** Turns checked options into the API calls of one command. */
type Prepare = (values: Values) => (monzo: Monzo) => Promise<Output>;

const DAY_MS = 86_400_000;
const DEFAULT_SINCE = "89d";

const ACCOUNT_OPTION: OptionSpec = {
  type: "string",
  value: "<id|type>",
  description:
    "The account: its id (acc_…) or its type (current, joint, business, flex, or Monzo's own name such as uk_retail_joint). Default: your open current account.",
};

/** Short names of account types. */
const ACCOUNT_TYPES: Record<string, string> = {
  current: "uk_retail",
  joint: "uk_retail_joint",
  business: "uk_business",
  flex: "uk_monzo_flex",
};

/** `--account`, checked before any request: an id, or the account type it names. */
export function parseAccount(values: Values): { id: string } | { type: string } | undefined {
  const value = values.account;
  if (typeof value !== "string") return undefined;
  if (/^acc_[A-Za-z0-9]+$/.test(value)) return { id: value };
  const type = ACCOUNT_TYPES[value.toLowerCase()] ??
    (/^uk_[a-z_]+$/.test(value) ? value : undefined);
  if (!type) {
    throw new UsageError(
      `--account must be an account id (acc_…) or a type: ${
        Object.keys(ACCOUNT_TYPES).join(", ")
      } (got ${value}).`,
    );
  }
  return { type };
}

/** A command that reads the saved login and prints what `prepare` fetched. */
function dataCommand(
  name: string,
  summary: string,
  options: Record<string, OptionSpec>,
  prepare: Prepare,
): Command {
  const spec: CommandSpec = {
    name,
    summary,
    options: {
      ...options,
      format: FORMAT_OPTION,
      credentials: CREDENTIALS_OPTION,
      "api-url": API_URL_OPTION,
    },
  };
  return {
    spec,
    async run(values) {
      const format = parseFormat(values);
      const fetchOutput = prepare(values);
      const output = await fetchOutput((await openSession(values)).monzo);
      process.stdout.write(render(output, format));
    },
  };
}

/** Resolves a checked `--account`: the id, the open account of the type, or the current account. */
export async function accountId(
  monzo: Monzo,
  wanted: { id: string } | { type: string } | undefined,
): Promise<string> {
  if (wanted && "id" in wanted) return wanted.id;
  const open = (await monzo.accounts.list()).filter((account) => !account.closed);
  if (wanted) {
    const match = open.find((account) => account.type === wanted.type);
    if (!match) {
      throw new CliError(
        `This login has no open ${wanted.type} account. Run \`monzo accounts\` to see them.`,
      );
    }
    return match.id;
  }
  const chosen = open.find((account) => account.type === "uk_retail") ?? open[0];
  if (!chosen) throw new CliError("This login has no open account.");
  return chosen.id;
}

/**
 * A `--since`/`--before` value: `30d` (days ago), a date (`2026-01-31`, midnight UTC), an
 * RFC 3339 timestamp, or (`--since` only) a transaction id.
 */
function parseTime(value: string, option: string, now: number): string {
  if (option === "since" && /^tx_[A-Za-z0-9]+$/.test(value)) return value;
  const bad = (why: string) =>
    new UsageError(
      `--${option} ${why}: give a number of days (30d), a date (2026-01-31) or an RFC 3339 ` +
        `time${option === "since" ? ", or a transaction id" : ""} (got ${value}).`,
    );
  const days = /^(\d+)d$/.exec(value);
  if (days) {
    if (Number(days[1]) > MAX_DAYS) throw bad(`reaches back more than ${MAX_DAYS} days`);
    return new Date(now - Number(days[1]) * DAY_MS).toISOString();
  }
  const date = /^(\d{4})-(\d{2})-(\d{2})(?:$|[Tt ])/.exec(value);
  if (!date) throw bad("is not a time");
  // Date.parse rolls 2026-02-30 over to March 2nd; a date must exist as written.
  const [year, month, day] = date.slice(1).map(Number);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw bad(`is not a date on the calendar`);
  }
  const time = Date.parse(date[0].length === value.length ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(time)) throw bad("is not a time");
  if (year < 2015) throw bad("is before Monzo existed");
  return new Date(time).toISOString();
}

/** How far back `--since <n>d` may reach (Monzo was founded in 2015). */
const MAX_DAYS = 36_500;

/** The data commands, in the order of the help text. */
export const dataCommands: Command[] = [
  dataCommand("whoami", "Show who the saved login belongs to.", {}, () => async (monzo) => {
    const who = await monzo.whoAmI();
    return {
      json: who,
      columns: [{ header: "user_id" }, { header: "client_id" }, { header: "authenticated" }],
      rows: [[who.user_id, who.client_id, who.authenticated]],
    };
  }),

  dataCommand("accounts", "List your accounts.", {}, () => async (monzo) => {
    const accounts = await monzo.accounts.list();
    return {
      json: accounts,
      columns: ["id", "type", "description", "currency", "created", "closed"].map((header) => ({
        header,
      })),
      rows: accounts.map((a) => [a.id, a.type, a.description, a.currency, a.created, a.closed]),
    };
  }),

  dataCommand(
    "balance",
    "Show an account's balance.",
    { account: ACCOUNT_OPTION },
    (values) => {
      const account = parseAccount(values);
      return async (monzo) => {
        const id = await accountId(monzo, account);
        const balance = await monzo.balance.get(id);
        const amount = (minor: number) => formatAmount(minor, balance.currency);
        return {
          json: balance,
          columns: [
            { header: "account_id" },
            { header: "balance", right: true },
            { header: "total_balance", right: true },
            { header: "spend_today", right: true },
            { header: "currency" },
          ],
          rows: [[
            id,
            amount(balance.balance),
            amount(balance.total_balance),
            amount(balance.spend_today),
            balance.currency,
          ]],
        };
      };
    },
  ),

  dataCommand(
    "pots",
    "List an account's pots (deleted ones left out).",
    { account: ACCOUNT_OPTION },
    (values) => {
      const account = parseAccount(values);
      return async (monzo) => {
        const pots = (await monzo.pots.list(await accountId(monzo, account))).filter((p) =>
          !p.deleted
        );
        return {
          json: pots,
          columns: [
            { header: "id" },
            { header: "name" },
            { header: "balance", right: true },
            { header: "goal", right: true },
            { header: "currency" },
          ],
          rows: pots.map((pot) => [
            pot.id,
            pot.name,
            formatAmount(pot.balance, pot.currency),
            typeof pot.goal_amount === "number" ? formatAmount(pot.goal_amount, pot.currency) : "",
            pot.currency,
          ]),
        };
      };
    },
  ),

  dataCommand(
    "transactions",
    "List an account's transactions, oldest first, every page.",
    {
      account: ACCOUNT_OPTION,
      since: {
        type: "string",
        value: "<when>",
        description: `From (inclusive): 30d, 2026-01-31, an RFC 3339 time or a tx_ id. ` +
          `Default: ${DEFAULT_SINCE}, the most Monzo lists 5 minutes after login.`,
      },
      before: {
        type: "string",
        value: "<when>",
        description: "Until (exclusive): 30d, 2026-01-31 or an RFC 3339 time. Default: now.",
      },
    },
    (values) => {
      const now = Date.now();
      const since = parseTime(String(values.since ?? DEFAULT_SINCE), "since", now);
      const before = typeof values.before === "string"
        ? parseTime(values.before, "before", now)
        : undefined;
      if (before && !since.startsWith("tx_") && before <= since) {
        throw new UsageError(`--before must be later than --since.`);
      }
      const account = parseAccount(values);
      return async (monzo) => {
        const id = await accountId(monzo, account);
        const transactions = [];
        for await (
          const tx of monzo.transactions.iterate(id, { since, before, expandMerchant: true })
        ) {
          transactions.push(tx);
        }
        return {
          json: transactions,
          columns: [
            { header: "created" },
            { header: "id" },
            { header: "name" },
            { header: "category" },
            { header: "amount", right: true },
            { header: "currency" },
            { header: "status" },
            { header: "description" },
          ],
          rows: transactions.map((tx) => [
            tx.created,
            tx.id,
            displayName(tx),
            tx.category,
            formatAmount(tx.amount, tx.currency),
            tx.currency,
            tx.decline_reason
              ? `declined: ${tx.decline_reason}`
              : tx.settled
              ? "settled"
              : "pending",
            tx.description,
          ]),
        };
      };
    },
  ),
];

/** What people call a transaction: the merchant's name, else the other party's, else Monzo's description. */
function displayName(tx: Transaction): string {
  const merchant = tx.merchant;
  if (merchant && typeof merchant === "object" && merchant.name) return merchant.name;
  const counterparty = tx.counterparty?.name;
  return typeof counterparty === "string" && counterparty ? counterparty : tx.description;
}
