// JSON controls under /_emulator/, for tests in another process or a browser. Never on API paths.
import { ApiError, badParam } from "./_errors.ts";
import { MAP_LIMIT } from "./_limits.ts";
import { httpUrl } from "./_params.ts";
import type { Call, Router } from "./router.ts";
import { renderTransaction } from "./transactions.ts";
import type { EmulatorTransactionInput } from "./types.ts";

/**
 * Registers `/_emulator/approve`, `/_emulator/advance`, `/_emulator/transactions`,
 * `/_emulator/clients` and `/_emulator/counters`.
 */
export function controlRoutes(router: Router): void {
  // A client whose redirect URI is the given one (an existing one when there is), for a
  // login from another process: `{redirect_uri}` gives `{client_id, client_secret}`.
  router.open("POST", "/_emulator/clients", (call) => {
    const uri = input(call).redirect_uri;
    if (typeof uri !== "string" || !httpUrl(uri)) {
      throw badParam("redirect_uri", "must be an absolute http(s) URL");
    }
    const { clients } = call.state;
    let client = [...clients.values()].find((c) => c.confidential && c.redirectUris.includes(uri));
    if (!client) {
      if (clients.size >= MAP_LIMIT) {
        throw new ApiError("bad_request.too_many_clients", "Too many clients");
      }
      client = call.state.addClient({ redirectUris: [uri] });
    }
    return call.c.json({ client_id: client.id, client_secret: client.secret });
  });

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
