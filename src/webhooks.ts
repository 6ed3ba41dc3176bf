/**
 * {@link parseWebhookEvent}: reads the body Monzo POSTs to a webhook URL.
 *
 * @module
 */

import { MonzoResponseError } from "./errors.ts";
import type { WebhookEvent } from "./models.ts";
import { parse, WebhookEventSchema } from "./_schemas.ts";

const LABEL = "webhook event";

/**
 * Reads a webhook POST body into a typed `transaction.created` event. Monzo does not sign
 * webhooks: check a secret in your webhook URL before trusting the event.
 *
 * @example In a Hono route
 * ```ts
 * import { Hono } from "hono";
 * import { parseWebhookEvent } from "@monzo-api/client";
 *
 * const app = new Hono();
 * app.post("/monzo/:secret", async (c) => {
 *   if (c.req.param("secret") !== "s3cr3t") return c.body(null, 404);
 *   const event = parseWebhookEvent(await c.req.text());
 *   console.log(event.data.amount, event.data.description);
 *   return c.body(null, 204);
 * });
 * ```
 *
 * @param body The request body: its JSON text, or the already parsed value.
 * @returns The event; `data` is the new transaction, its merchant expanded (or null).
 * @throws {MonzoResponseError} When the body is not JSON, not a `transaction.created` event,
 * or a field has the wrong type (`path` names it, for example `data.amount`).
 */
export function parseWebhookEvent(body: string | unknown): WebhookEvent {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch (cause) {
      throw new MonzoResponseError(`${LABEL}: the body is not JSON`, { cause });
    }
  }
  return parse(WebhookEventSchema, value, LABEL);
}
