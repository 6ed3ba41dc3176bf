// `monzo.webhooks`: POST /webhooks, GET /webhooks, DELETE /webhooks/{id}.

import type { Authentication } from "../authentication.ts";
import type { CallOptions, Webhook } from "../models.ts";
import { WebhookBodySchema, WebhooksSchema } from "../_schemas.ts";
import { checkId, checkOptions, checkSecureUrl } from "../_validate.ts";
import { call } from "./_call.ts";

/**
 * Webhooks: Monzo POSTs a `transaction.created` event to each registered URL for every new
 * transaction on the account (read it with `parseWebhookEvent`). Events are not signed: put
 * a secret in the URL and check it on receipt.
 *
 * @example
 * ```ts
 * import type { Monzo } from "@monzo-api/client";
 * declare const monzo: Monzo;
 * const secret = crypto.randomUUID();
 * await monzo.webhooks.create("acc_123", `https://example.com/monzo/${secret}`);
 * ```
 */
export class WebhooksApi {
  #auth: Authentication;

  /**
   * Created by `Monzo`; use `monzo.webhooks`.
   *
   * @param auth The login to send requests with.
   */
  constructor(auth: Authentication) {
    this.#auth = auth;
  }

  /**
   * Registers a URL to receive the account's events.
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * const hook = await monzo.webhooks.create("acc_123", "https://example.com/monzo/s3cr3t");
   * console.log(hook.id);
   * ```
   *
   * @param accountId The account (`acc_…`).
   * @param url An absolute https URL (http is allowed for localhost and 127.0.0.1).
   * @param options An abort signal.
   * @returns The webhook.
   * @throws {MonzoArgumentError} When the id or the URL is invalid.
   */
  create(accountId: string, url: string, options?: CallOptions): Promise<Webhook> {
    return call(this.#auth, "POST", WebhookBodySchema, () => {
      const form = {
        account_id: checkId(accountId, "accountId"),
        url: checkSecureUrl(url, "url"),
      };
      return ["/webhooks", { form, signal: checkOptions(options).signal }];
    }, "webhook");
  }

  /**
   * Lists the webhooks this application registered on an account.
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * for (const hook of await monzo.webhooks.list("acc_123")) console.log(hook.url);
   * ```
   *
   * @param accountId The account (`acc_…`).
   * @param options An abort signal.
   * @returns The webhooks.
   * @throws {MonzoArgumentError} When the id is invalid.
   */
  list(accountId: string, options?: CallOptions): Promise<Webhook[]> {
    return call(this.#auth, "GET", WebhooksSchema, () => {
      const query = { account_id: checkId(accountId, "accountId") };
      return ["/webhooks", { query, signal: checkOptions(options).signal }];
    }, "webhooks");
  }

  /**
   * Deletes a webhook: no more events go to its URL.
   *
   * @example
   * ```ts
   * import type { Monzo } from "@monzo-api/client";
   * declare const monzo: Monzo;
   * for (const hook of await monzo.webhooks.list("acc_123")) await monzo.webhooks.delete(hook.id);
   * ```
   *
   * @param webhookId The webhook (`webhook_…`).
   * @param options An abort signal.
   * @throws {MonzoArgumentError} When the id is invalid.
   * @throws {MonzoHTTPError} With status 404 when there is no such webhook.
   */
  async delete(webhookId: string, options?: CallOptions): Promise<void> {
    const path = `/webhooks/${checkId(webhookId, "webhookId")}`;
    const { signal } = checkOptions(options);
    await this.#auth.request("DELETE", path, { signal });
  }
}
