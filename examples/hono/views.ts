// The pages, rendered with `html` (which escapes every value it is given).
import type { Account, Balance, Pot, Transaction } from "../../mod.ts";
import { type Coverage, transactionStatus } from "../../src/sync/mod.ts";
import { Html, html } from "./html.ts";
import { formatMoney } from "./money.ts";

/** Which Monzo the app talks to. */
export type Mode =
  | { kind: "emulator"; url: string; approveUrl: string }
  | { kind: "monzo"; host: string };

/** One account on the dashboard. */
export interface AccountView {
  account: Account;
  balance: Balance;
  pots: Pot[];
  /** The latest synced transactions, newest first. */
  transactions: Transaction[];
  /** How far back the synced copy reaches; null before the first sync. */
  coverage: Coverage | null;
}

/** The number of latest transactions an account's table shows. */
export const LATEST = 15;

const STYLE = `
  body { font: 16px/1.45 system-ui, sans-serif; margin: 0; background: #f5f6f8; color: #14233c; }
  header { background: #14233c; color: #fff; padding: .8rem 1.5rem; display: flex; gap: 1rem; align-items: center; }
  header h1 { font-size: 1.2rem; margin: 0; flex: 1; }
  .mode { font-size: .85rem; padding: .2rem .6rem; border-radius: 1rem; background: #ff4f40; }
  .mode.real { background: #2e8b57; }
  main { max-width: 56rem; margin: 1.5rem auto; padding: 0 1rem; }
  section { background: #fff; border-radius: .8rem; padding: 1rem 1.5rem; margin-bottom: 1.2rem; box-shadow: 0 1px 3px #0002; }
  h2 { margin: .2rem 0 .6rem; font-size: 1.15rem; }
  h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
  .big { font-size: 2rem; font-weight: 600; }
  .muted { color: #66708a; font-size: .9rem; }
  .button, button { display: inline-block; background: #ff4f40; color: #fff; border: 0; border-radius: .5rem; padding: .6rem 1.1rem; font: inherit; font-weight: 600; text-decoration: none; cursor: pointer; }
  .button.secondary, button.secondary { background: #e4e7ee; color: #14233c; }
  .pots { display: flex; flex-wrap: wrap; gap: .6rem; padding: 0; list-style: none; }
  .pots li { background: #eef1f6; border-radius: .6rem; padding: .5rem .9rem; min-width: 9rem; }
  .pots .balance { display: block; font-weight: 600; }
  form.pot-move { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; margin: .6rem 0; }
  input, select { font: inherit; padding: .45rem; border: 1px solid #c9cfdb; border-radius: .4rem; }
  input[name=amount] { width: 7rem; }
  table { width: 100%; border-collapse: collapse; }
  td { padding: .45rem .3rem; border-top: 1px solid #eef0f4; vertical-align: top; }
  td.amount { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
  .credit { color: #2e8b57; }
  .declined td.amount { text-decoration: line-through; color: #999; }
  .tag { font-size: .75rem; border-radius: .3rem; padding: 0 .35rem; margin-left: .3rem; background: #fff3cd; color: #7a5b00; }
  .tag.declined { background: #fde2e1; color: #a3261c; }
  tr.new { animation: flash 3s; }
  @keyframes flash { from { background: #fff3b0; } to { background: transparent; } }
  .notice { background: #e3f4ea; border-radius: .5rem; padding: .6rem 1rem; margin-bottom: 1rem; }
  .notice.error { background: #fde2e1; }
  .live { font-size: .85rem; color: #66708a; }
  body[data-live] .live::before { content: "● "; color: #2e8b57; }
`;

const dateFormat = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
  timeZone: "Europe/London",
});

const ACCOUNT_NAMES: Record<string, string> = {
  uk_retail: "Current account",
  uk_retail_joint: "Joint account",
  uk_business: "Business account",
  uk_monzo_flex: "Monzo Flex",
};

/** The tab's icon: a coral square with an M. */
export const FAVICON_SVG =
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#ff4f40"/>` +
  `<path d="M7 24V9h4l5 7 5-7h4v15h-4v-9l-5 7-5-7v9z" fill="#fff"/></svg>`;

function banner(mode: Mode): Html {
  return mode.kind === "emulator"
    ? html`<span class="mode" id="mode">Using the built-in Monzo emulator (${
      new URL(mode.url).host
    })</span>`
    : html`<span class="mode real" id="mode">Connected to ${mode.host}</span>`;
}

function layout(
  mode: Mode,
  title: string,
  body: Html,
  options: { refreshSeconds?: number; live?: boolean } = {},
): string {
  return html`
    <!doctype html>
    <html lang="en">
      <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    ${options.refreshSeconds &&
      html`<meta http-equiv="refresh" content="${options.refreshSeconds}">`}
    <title>${title}</title>
    <link rel="icon" href="/favicon.ico" type="image/svg+xml">
    <style>${new Html(STYLE)}</style>
    ${options.live && html`<script src="/live.js" defer></script>`}
      </head>
      <body>
        <header><h1>Monzo dashboard</h1>${banner(mode)}</header>
        <main>
    ${body}
        </main>
      </body>
    </html>
  `.value;
}

function notice(text: string | undefined, kind: "ok" | "error" = "ok"): Html | undefined {
  return text
    ? html`<p class="notice ${kind === "error" && "error"}" role="status">${text}</p>`
    : undefined;
}

/** The page of a visitor who is not connected. */
export function connectPage(mode: Mode, message?: string): string {
  return layout(
    mode,
    "Connect Monzo",
    html`<section>
  ${notice(message, "error")}
  <h2>Connect your Monzo account</h2>
  <p>See your balances, pots and latest transactions, move money into a pot, and watch new
  transactions arrive live.</p>
  <p><a class="button" id="connect" href="/login">Connect Monzo</a></p>
  ${
      mode.kind === "emulator" &&
      html`<p class="muted">No Monzo credentials are set, so this uses the emulator: its data is
  made up. Set MONZO_CLIENT_ID, MONZO_CLIENT_SECRET and MONZO_REDIRECT_URL to use your real account.</p>`
    }
</section>`,
  );
}

/** Shown after the login until the user approves access in the Monzo app. */
export function approvalPage(mode: Mode): string {
  return layout(
    mode,
    "Approve in your Monzo app",
    html`<section id="approval">
  <h2>Approve access in your Monzo app</h2>
  <p>Monzo sent a notification to your phone. Open the Monzo app and approve access for this
  app; this page moves on by itself once you have.</p>
  ${
      mode.kind === "emulator" &&
      html`
        <p><a class="button" id="emulator-approve" href="${mode
          .approveUrl}" target="_blank" rel="noopener">Open the emulator's approval page</a></p>
        <p class="muted">The emulator stands in for the app: press <strong>Approve</strong> there.</p>
      `
    }
  <form method="post" action="/logout"><button class="secondary">Cancel</button></form>
</section>`,
    { refreshSeconds: 3 },
  );
}

/** A page telling what went wrong. */
export function errorPage(mode: Mode, title: string, message: string): string {
  return layout(
    mode,
    title,
    html`<section>
  <h2>${title}</h2>
  ${notice(message, "error")}
  <p><a class="button secondary" href="/">Back to the dashboard</a></p>
</section>`,
  );
}

function merchantName(tx: Transaction): string {
  const merchant = tx.merchant;
  if (merchant && typeof merchant === "object") {
    return [merchant.emoji, merchant.name ?? tx.description].filter(Boolean).join(" ");
  }
  const counterparty = tx.counterparty?.name;
  return typeof counterparty === "string" && counterparty ? counterparty : tx.description;
}

function humanize(code: string): string {
  return code.toLowerCase().replaceAll("_", " ");
}

/** One row of the transactions table; also sent to the page live. */
export function transactionRow(tx: Transaction, pots: Map<string, string> = new Map()): Html {
  const name = pots.get(tx.description) ?? merchantName(tx);
  const status = transactionStatus(tx);
  return html`<tr data-tx="${tx.id}" data-created="${tx.created}" class="${
    status === "declined" && "declined"
  }">
  <td>${name}${
    status === "declined"
      ? html`<span class="tag declined">declined: ${humanize(tx.decline_reason!)}</span>`
      : status === "pending" && html`<span class="tag pending">pending</span>`
  }<br><span class="muted">${dateFormat.format(new Date(tx.created))} · ${
    humanize(tx.category ?? "general")
  }</span></td>
  <td class="amount ${tx.amount > 0 && "credit"}">${tx.amount > 0 && "+"}${
    formatMoney(tx.amount, tx.currency)
  }</td>
</tr>`;
}

function accountSection(view: AccountView, dedupeId: string, emulator: boolean): Html {
  const { account, balance, pots } = view;
  const owners = (account.owners ?? []).map((o) => o.preferred_name).filter(Boolean).join(" & ");
  const potNames = new Map(pots.map((p) => [p.id, `🍯 ${p.name}`]));
  return html`<section class="account" data-account="${account.id}">
  <h2>${
    ACCOUNT_NAMES[account.type ?? ""] ?? account.type ?? "Account"
  } <span class="muted">${owners}</span></h2>
  <div class="big" data-balance>${formatMoney(balance.balance, balance.currency)}</div>
  <p class="muted">Total with pots ${formatMoney(balance.total_balance, balance.currency)} ·
  spent today ${formatMoney(Math.abs(balance.spend_today), balance.currency)}</p>
  ${
    pots.length > 0 && html`
      <h3>Pots</h3>
      <ul class="pots">${pots.map((pot) =>
        html`<li data-pot="${pot.id}">${pot.name}<span class="balance">${
          formatMoney(pot.balance, pot.currency)
        }</span>${
          typeof pot.goal_amount === "number" &&
          html`<span class="muted">goal ${formatMoney(pot.goal_amount, pot.currency)}</span>`
        }</li>`
      )}</ul>
      <form class="pot-move" method="post" action="/pots/deposit">
        <input type="hidden" name="account_id" value="${account.id}">
        <input type="hidden" name="dedupe_id" value="${dedupeId}">
        <label>£<input name="amount" type="number" min="0.01" step="0.01" required placeholder="10.00"></label>
        <label>pot <select name="pot_id">${pots.map((pot) =>
          html`<option value="${pot.id}">${pot.name}</option>`
        )}</select></label>
        <button class="deposit">Move into the pot</button>
        <button class="withdraw secondary" formaction="/pots/withdraw">Take out of the pot</button>
      </form>
    `
  }
  <h3>Latest transactions</h3>
  <table><tbody data-account="${account.id}" data-limit="${LATEST}">${
    view.transactions.map((tx) => transactionRow(tx, potNames))
  }</tbody></table>
  <p class="muted coverage" data-coverage>${coverageText(view.coverage)}</p>
  ${
    emulator && html`
      <form method="post" action="/emulator/payment">
        <input type="hidden" name="account_id" value="${account.id}">
        <button class="secondary test-payment">Make a test payment (emulator)</button>
      </form>
    `
  }
</section>`;
}

const dayFormat = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "short",
  year: "numeric",
  timeZone: "Europe/London",
});

/** How far back the kept history reaches, and what to do when it is not all of it. */
export function coverageText(coverage: Coverage | null): string {
  if (!coverage?.from) return "Reading the history from Monzo…";
  const since = `History since ${dayFormat.format(new Date(coverage.from))}`;
  if (coverage.complete) return `${since}: all of it, kept here across restarts.`;
  switch (coverage.limitedBy) {
    case "deadline":
      return `${since}. The 5 minutes after the approval ran out before the older part was ` +
        "read: disconnect and connect again to read the rest (it goes on where it stopped).";
    case "account_type":
      return `${since}: Monzo lists 90 days of a pot's account.`;
    default:
      return `${since}. Monzo lists older transactions only in the 5 minutes after you ` +
        "approve a login: disconnect and connect again to read them.";
  }
}

/** The dashboard. Each pot form carries a new dedupe key: sent twice, it moves money once. */
export function dashboardPage(
  mode: Mode,
  views: AccountView[],
  status: { notice?: string; webhook: string },
): string {
  return layout(
    mode,
    "Monzo dashboard",
    html`${notice(status.notice)}
${views.map((view) => accountSection(view, crypto.randomUUID(), mode.kind === "emulator"))}
<p class="live">${status.webhook}</p>
<form method="post" action="/logout"><button class="secondary">Disconnect</button></form>`,
    { live: true },
  );
}
