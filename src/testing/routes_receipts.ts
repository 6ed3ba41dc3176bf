// PUT|GET|DELETE /transaction-receipts, scoped to the calling client.
import { notFound } from "./_errors.ts";
import { remember } from "./_limits.ts";
import { validateReceipt } from "./receipts.ts";
import type { Router } from "./router.ts";

const PATH = "/transaction-receipts";

/** Registers the receipt endpoints. */
export function receiptRoutes(router: Router): void {
  router.api("PUT", PATH, (call, session) => {
    const { state } = call;
    const receipt = validateReceipt(call.json(), state.strictReceipts);
    state.transaction(session, receipt.transaction_id);
    const key = `${session.client.id} ${receipt.external_id}`;
    const id = state.receipts.get(key)?.id ?? state.rng.id("receipt", state.now());
    remember(state.receipts, key, { ...receipt, id });
    return call.c.json({});
  });

  router.api("GET", PATH, (call, session) => {
    const externalId = call.query.required("external_id");
    const receipt = call.state.receipts.get(`${session.client.id} ${externalId}`);
    if (!receipt) throw notFound("receipt", externalId);
    return call.c.json({ receipt });
  });

  router.api("DELETE", PATH, (call, session) => {
    const externalId = call.query.required("external_id");
    if (!call.state.receipts.delete(`${session.client.id} ${externalId}`)) {
      throw notFound("receipt", externalId);
    }
    return call.c.json({});
  });
}
