// JSON controls under /_emulator/, for tests in another process or a browser. Never on API paths.
import { ApiError } from "./_errors.ts";
import type { Call, Router } from "./router.ts";
import { renderTransaction } from "./transactions.ts";
import type { EmulatorTransactionInput } from "./types.ts";

/** Registers `/_emulator/approve`, `/_emulator/advance`, `/_emulator/transactions`, `/_emulator/counters`. */
export function controlRoutes(router: Router): void {
  router.open("POST", "/_emulator/approve", (call) => {
    const body = input(call);
    const target = body.access_token ?? body.user_id;
    return call.c.json({
      approved: call.state.approve(target === undefined ? undefined : String(target)),
    });
  });

  router.open("POST", "/_emulator/advance", (call) => {
    const seconds = Number(input(call).seconds);
    if (!Number.isFinite(seconds)) {
      throw new ApiError("bad_request.bad_param.seconds", "seconds must be a number");
    }
    call.state.advance(seconds);
    return call.c.json({ now: new Date(call.state.now()).toISOString() });
  });

  router.open("POST", "/_emulator/transactions", (call) => {
    const { account_id, amount, ...fields } = input(call);
    const tx = fields as EmulatorTransactionInput;
    if (amount !== undefined) tx.amount = Number(amount);
    try {
      const created = call.state.addTransaction(String(account_id), tx);
      return call.c.json({
        transaction: renderTransaction(created, call.state.world.merchants, false),
      });
    } catch (error) {
      throw new ApiError(
        "bad_request.bad_param",
        error instanceof Error ? error.message : String(error),
      );
    }
  });

  router.open("GET", "/_emulator/counters", (call) => call.c.json(call.state.counters));
}

/** A JSON or form body as a record (empty when there is none). */
function input(call: Call): Record<string, unknown> {
  if (call.bytes.length === 0) return {};
  if (call.contentType?.toLowerCase().startsWith("application/json")) {
    const body = call.json();
    return typeof body === "object" && body !== null ? body as Record<string, unknown> : {};
  }
  return Object.fromEntries(new URLSearchParams(new TextDecoder().decode(call.bytes)));
}
