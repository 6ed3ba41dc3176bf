/**
 * {@link parseWebhookEvent}: reads the body Monzo POSTs to a webhook URL;
 * {@link isTransactionCreated} tells the documented event from types Monzo may add.
 *
 * @module
 */

import { MonzoResponseError } from "./errors.ts";
import type { TransactionCreatedEvent, WebhookEvent } from "./models.ts";
import { parse, TransactionCreatedSchema, WebhookEnvelopeSchema } from "./_schemas.ts";

const LABEL = "webhook event";
const CREATED = "transaction.created";

/**
 * Reads a webhook POST body into an event. A `transaction.created` event is checked
 * precisely (`data` is the new transaction); an event of a type Monzo adds later is returned
 * with its `type` and raw `data`, not refused. Monzo does not sign webhooks: check a secret
 * in your webhook URL before trusting the event.
 *
 * @example In a Hono route
 * ```ts
 * import { Hono } from "hono";
 * import { isTransactionCreated, parseWebhookEvent } from "@monzo-api/client";
 *
 * const app = new Hono();
 * app.post("/monzo/:secret", async (c) => {
 *   if (c.req.param("secret") !== "s3cr3t") return c.body(null, 404);
 *   const event = parseWebhookEvent(await c.req.text());
 *   if (isTransactionCreated(event)) console.log(event.data.amount, event.data.description);
 *   return c.body(null, 204);
 * });
 * ```
 *
 * @param body The request body: its JSON text, or the already parsed value.
 * @returns The event: a `TransactionCreatedEvent` (its merchant expanded, or null), or an
 * `OtherWebhookEvent`.
 * @throws {MonzoResponseError} When the body is not JSON, not an event (an object with a
 * string `type` and a `data`), or a field of a `transaction.created` event has the wrong type
 * (`path` names it, for example `data.amount`).
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
  const event = parse(WebhookEnvelopeSchema, value, LABEL);
  return event.type === CREATED ? parse(TransactionCreatedSchema, event, LABEL) : event;
}

/**
 * Whether an event is the documented `transaction.created` (narrows its `data` to a
 * `Transaction`).
 *
 * @example
 * ```ts
 * import { isTransactionCreated, parseWebhookEvent } from "@monzo-api/client";
 * declare const body: string;
 * const event = parseWebhookEvent(body);
 * if (isTransactionCreated(event)) console.log(event.data.id);
 * ```
 *
 * @param event An event from {@link parseWebhookEvent}.
 * @returns True for `transaction.created`.
 */
export function isTransactionCreated(event: WebhookEvent): event is TransactionCreatedEvent {
  return event.type === CREATED;
}
