// GET /accounts and GET /balance.
import { DAY_MS, HOUR_MS } from "./_time.ts";
import { isOwner } from "./models.ts";
import type { Router } from "./router.ts";

/** Registers the account and balance endpoints. */
export function accountRoutes(router: Router): void {
  router.api("GET", "/accounts", (call, session) => {
    const type = call.query.optional("account_type");
    const accounts = [...call.state.world.accounts.values()].filter((account) =>
      isOwner(account, session.user.id) && (type === undefined || account.type === type)
    );
    return call.c.json({ accounts });
  });

  router.api("GET", "/balance", (call, session) => {
    const { state } = call;
    const account = state.account(session, call.query.required("account_id"));
    const ledger = state.world.ledgers.get(account.id)!;
    let inPots = 0;
    for (const pot of state.world.pots.values()) {
      if (pot.current_account_id === account.id && !pot.deleted) inPots += pot.balance;
    }
    // "Today" starts at 04:00.
    const now = state.now();
    const dayStart = Math.floor((now - 4 * HOUR_MS) / DAY_MS) * DAY_MS + 4 * HOUR_MS;
    const spendToday = ledger.spentSince(dayStart);
    return call.c.json({
      balance: ledger.balance,
      total_balance: ledger.balance + inPots,
      currency: account.currency,
      spend_today: spendToday,
      balance_including_flexible_savings: ledger.balance + inPots,
      local_currency: "",
      local_exchange_rate: 0,
      local_spend: [{ spend_today: spendToday, currency: account.currency }],
    });
  });
}
