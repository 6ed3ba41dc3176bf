// Webhook registrations and the delivery of `transaction.created` events, with retries.
import { isLoopbackUrl, remember } from "./_limits.ts";
import type { Random } from "./_random.ts";
import { sleep } from "./_time.ts";
import type { EmulatorCounters } from "./types.ts";

/** A webhook, in the shape the API returns. */
export interface Webhook {
  id: string;
  account_id: string;
  url: string;
}

const MAX_ATTEMPTS = 5;
const ATTEMPT_TIMEOUT_MS = 10_000;

/** Registered webhooks (per client) and deliveries in flight. */
export class WebhookHub {
  readonly #hooks = new Map<string, Webhook & { clientId: string }>();
  readonly #pending = new Set<Promise<void>>();
  readonly #fetch: typeof fetch;
  readonly #baseDelayMs: number;
  readonly #counters: EmulatorCounters;
  readonly #anyHost: boolean;

  constructor(
    fetcher: typeof fetch,
    baseDelayMs: number,
    counters: EmulatorCounters,
    anyHost: boolean,
  ) {
    this.#fetch = fetcher;
    this.#baseDelayMs = baseDelayMs;
    this.#counters = counters;
    this.#anyHost = anyHost;
  }

  create(rng: Random, nowMs: number, clientId: string, accountId: string, url: string): Webhook {
    const hook = { id: rng.id("webhook", nowMs), account_id: accountId, url };
    remember(this.#hooks, hook.id, { ...hook, clientId });
    return hook;
  }

  /** The client's webhooks on an account. */
  list(clientId: string, accountId: string): Webhook[] {
    return [...this.#hooks.values()]
      .filter((h) => h.clientId === clientId && h.account_id === accountId)
      .map(({ id, account_id, url }) => ({ id, account_id, url }));
  }

  /** Deletes one of the client's webhooks; false when it has none with this id. */
  delete(clientId: string, id: string): boolean {
    if (this.#hooks.get(id)?.clientId !== clientId) return false;
    return this.#hooks.delete(id);
  }

  /** Posts `{type: "transaction.created", data}` to every webhook of the account, in the background. */
  dispatch(accountId: string, data: unknown): void {
    const body = JSON.stringify({ type: "transaction.created", data });
    for (const hook of this.#hooks.values()) {
      if (hook.account_id !== accountId) continue;
      const delivery = this.#deliver(hook.id, hook.url, body).finally(() =>
        this.#pending.delete(delivery)
      );
      this.#pending.add(delivery);
    }
  }

  /** Resolves once every delivery, retries included, has settled. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async #deliver(hookId: string, url: string, body: string): Promise<void> {
    // Posting anywhere on behalf of whoever registered a URL would make the emulator a proxy.
    if (!this.#anyHost && !isLoopbackUrl(url)) {
      this.#counters.webhookFailures++;
      return;
    }
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (attempt > 1) await sleep(this.#baseDelayMs * 2 ** (attempt - 2));
      if (!this.#hooks.has(hookId)) return;
      try {
        const response = await this.#fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
        });
        await response.body?.cancel();
        if (response.ok) {
          this.#counters.webhookDeliveries++;
          return;
        }
      } catch {
        // A network error counts as a failed attempt, like a non-2xx answer.
      }
      this.#counters.webhookFailures++;
    }
  }
}
