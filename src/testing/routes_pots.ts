// GET /pots and PUT /pots/{id}/deposit|withdraw, idempotent on (pot, dedupe_id).
import { ApiError, notFound, notYours } from "./_errors.ts";
import { remember } from "./_limits.ts";
import { iso } from "./_time.ts";
import { isOwner, type Pot } from "./models.ts";
import type { Call, Router } from "./router.ts";
import type { Session } from "./state.ts";
import { newEntry } from "./transactions.ts";

/** Registers the pot endpoints. */
export function potRoutes(router: Router): void {
  router.api("GET", "/pots", (call, session) => {
    const { state } = call;
    const account = state.account(session, call.query.required("current_account_id"));
    const pots = [...state.world.pots.values()].filter((pot) =>
      pot.current_account_id === account.id
    );
    return call.c.json({ pots });
  });
  router.api("PUT", "/pots/:pot_id/deposit", (call, session) => move(call, session, "deposit"));
  router.api("PUT", "/pots/:pot_id/withdraw", (call, session) => move(call, session, "withdraw"));
}

function move(call: Call, session: Session, direction: "deposit" | "withdraw"): Response {
  const { state, form } = call;
  const accountParam = direction === "deposit" ? "source_account_id" : "destination_account_id";
  const accountId = form.required(accountParam);
  const amount = form.positiveInt("amount");
  const dedupeId = form.required("dedupe_id");
  const pot = ownPot(call, session, call.param("pot_id"));
  const key = `${pot.id} ${dedupeId}`;
  const previous = state.potMoves.get(key);
  if (previous) return call.c.json(previous);

  const account = state.account(session, accountId);
  const ledger = state.world.ledgers.get(account.id)!;
  if (direction === "deposit" && ledger.balance < amount) {
    throw new ApiError(
      "bad_request.insufficient_funds",
      "The account does not have enough money for this deposit",
    );
  }
  if (direction === "withdraw") {
    if (pot.locked) {
      throw new ApiError(
        "forbidden.pot_locked",
        "This pot has added security; withdraw from it in the Monzo app",
        { params: { pot_id: pot.id } },
      );
    }
    if (pot.balance < amount) {
      throw new ApiError(
        "bad_request.insufficient_funds",
        "The pot does not have enough money for this withdrawal",
      );
    }
  }
  const now = state.now();
  pot.balance += direction === "deposit" ? amount : -amount;
  pot.updated = iso(now);
  const entry = newEntry(state.rng, {
    accountId: account.id,
    userId: session.user.id,
    createdMs: now,
    amount: direction === "deposit" ? -amount : amount,
    description: pot.id,
    merchant: null,
    category: "savings",
    settledMs: state.transferSettlement(),
    updatedMs: now,
    scheme: "uk_retail_pot",
    metadata: { pot_id: pot.id, trigger: "user", dedupe_id: dedupeId },
    includeInSpending: false,
  });
  state.insert(entry);
  state.potStatement(pot, entry);
  const result = { ...pot };
  remember(state.potMoves, key, result);
  return call.c.json(result);
}

function ownPot(call: Call, session: Session, id: string): Pot {
  const pot = call.state.world.pots.get(id);
  if (!pot || pot.deleted) throw notFound("pot", id);
  const account = call.state.world.accounts.get(pot.current_account_id)!;
  if (!isOwner(account, session.user.id)) throw notYours("pot", id);
  return pot;
}
