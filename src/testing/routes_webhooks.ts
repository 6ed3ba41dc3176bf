// POST|GET /webhooks and DELETE /webhooks/{id}, scoped to the calling client.
import { badParam, notFound } from "./_errors.ts";
import { httpUrl } from "./_params.ts";
import type { Router } from "./router.ts";

/** Registers the webhook endpoints. */
export function webhookRoutes(router: Router): void {
  router.api("POST", "/webhooks", (call, session) => {
    const { state, form } = call;
    const account = state.account(session, form.required("account_id"));
    const url = form.required("url");
    if (!httpUrl(url)) throw badParam("url", "must be an absolute http(s) URL");
    const webhook = state.webhooks.create(
      state.rng,
      state.now(),
      session.client.id,
      account.id,
      url,
    );
    return call.c.json({ webhook });
  });

  router.api("GET", "/webhooks", (call, session) => {
    const account = call.state.account(session, call.query.required("account_id"));
    return call.c.json({ webhooks: call.state.webhooks.list(session.client.id, account.id) });
  });

  router.api("DELETE", "/webhooks/:webhook_id", (call, session) => {
    const id = call.param("webhook_id");
    if (!call.state.webhooks.delete(session.client.id, id)) throw notFound("webhook", id);
    return call.c.json({});
  });
}
