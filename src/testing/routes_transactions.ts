// GET /transactions (paged by time), GET /transactions/{id}, PATCH /transactions/{id}.
import { badParam, missingParam } from "./_errors.ts";
import { parseTimestamp } from "./_time.ts";
import type { Call, Router } from "./router.ts";
import { applyChange, type EntryChange, materialize, renderTransaction } from "./transactions.ts";
import type { EmulatorTransaction } from "./types.ts";

const DEFAULT_LIMIT = 30;
const MAX_LIMIT = 100;

/** Registers the transaction endpoints. */
export function transactionRoutes(router: Router): void {
  router.api("GET", "/transactions", (call, session) => {
    const { state, query } = call;
    const account = state.listable(session, query.required("account_id"));
    const ledger = state.world.ledgers.get(account.id)!;
    const limit = parseLimit(query.optional("limit"));

    // `since` is an inclusive timestamp or an exclusive transaction id; `before` is exclusive.
    let start = 0;
    let fromMs = account.createdMs;
    const since = query.optional("since");
    if (since !== undefined) {
      const sinceMs = parseTimestamp(since);
      const entry = state.world.transactions.get(since);
      if (sinceMs !== undefined) {
        start = ledger.firstAtOrAfter(sinceMs);
        fromMs = sinceMs;
      } else if (entry?.accountId === account.id) {
        start = ledger.indexOf(entry) + 1;
        fromMs = entry.createdMs;
      } else {
        throw badParam(
          "since",
          "must be an RFC 3339 timestamp or the id of a transaction of this account",
        );
      }
    }
    let end = ledger.items.length;
    let toMs = state.now();
    const before = query.optional("before");
    if (before !== undefined) {
      const beforeMs = parseTimestamp(before);
      if (beforeMs === undefined) throw badParam("before", "must be an RFC 3339 timestamp");
      end = ledger.firstAtOrAfter(beforeMs);
      toMs = beforeMs;
    }
    // A validation error (400) comes before the permission check (403), as is usual.
    state.checkRange(fromMs, toMs);
    state.checkHistoryWindow(session, fromMs, toMs, account.pot !== undefined);

    const expand = query.expands("merchant");
    const page = ledger.items.slice(start, Math.max(start, Math.min(end, start + limit)));
    const transactions = page.map((entry) => render(call, materialize(entry), expand));
    return call.c.json({ transactions });
  });

  router.api("GET", "/transactions/:transaction_id", (call, session) => {
    const { state } = call;
    const entry = state.transaction(session, call.param("transaction_id"));
    const pot = state.world.potAccounts.has(entry.accountId);
    state.checkHistoryWindow(session, entry.createdMs, state.now(), pot);
    return call.c.json({
      transaction: render(call, materialize(entry), call.query.expands("merchant")),
    });
  });

  router.api("PATCH", "/transactions/:transaction_id", (call, session) => {
    const { state, form } = call;
    const updates = form.map("metadata");
    if (Object.keys(updates).length === 0) throw missingParam("metadata");
    const entry = state.transaction(session, call.param("transaction_id"));
    const change: EntryChange = { metadata: updates };
    if (updates.notes !== undefined) change.notes = updates.notes;
    applyChange(entry, change, state.now());
    const tx = materialize(entry);
    return call.c.json({ transaction: render(call, tx, form.expands("merchant")) });
  });
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const limit = Number(raw);
  if (!/^\d+$/.test(raw) || limit < 1 || limit > MAX_LIMIT) {
    throw badParam("limit", `must be an integer from 1 to ${MAX_LIMIT}`);
  }
  return limit;
}

function render(call: Call, tx: EmulatorTransaction, expand: boolean): Record<string, unknown> {
  return renderTransaction(tx, call.state.world.merchants, expand);
}
