// New transactions pushed to open dashboards (server-sent events), and the page's script that
// puts them at the top of their account's table. The rows come rendered (and escaped) by the
// server.
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";

export const LIVE_JS = `
const events = new EventSource("/events");
events.onopen = () => document.body.dataset.live = "";
events.onerror = () => delete document.body.dataset.live;
events.addEventListener("transaction", (message) => {
  const { accountId, html, balance } = JSON.parse(message.data);
  const section = document.querySelector('section[data-account="' + CSS.escape(accountId) + '"]');
  if (!section) return;
  if (balance) section.querySelector("[data-balance]").textContent = balance;
  const table = section.querySelector("tbody");
  table.insertAdjacentHTML("afterbegin", html);
  table.firstElementChild.classList.add("new");
});
for (const form of document.querySelectorAll("form.pot-move")) {
  form.addEventListener("submit", () => {
    for (const button of form.querySelectorAll("button")) button.disabled = true;
  });
}
`;

/** A new transaction, as it is pushed to open pages. */
export interface LiveTransaction {
  accountId: string;
  /** The table row. */
  html: string;
  /** The account's new balance, formatted, when it could be read. */
  balance?: string;
}

/** Limits of {@link LiveHub}. */
export interface LiveLimits {
  /** Open streams at most; more are answered 503. */
  maxClients: number;
  /** Events waiting for a client at most; a client that falls further behind is dropped. */
  maxQueue: number;
}

/** The open event streams. */
export class LiveHub {
  readonly #clients = new Set<(event: LiveTransaction) => void>();
  readonly #limits: LiveLimits;

  constructor(limits: LiveLimits) {
    this.#limits = limits;
  }

  /** How many streams are open. */
  get size(): number {
    return this.#clients.size;
  }

  /** Opens a stream for this request, or answers 503 when the hub is full. */
  open(c: Context): Response {
    if (this.#clients.size >= this.#limits.maxClients) {
      return c.text("Too many open dashboards. Close one and reload.", 503);
    }
    return streamSSE(c, async (stream) => {
      let waiting = 0;
      const send = (event: LiveTransaction) => {
        // A client that does not read (or reads too slowly) would make us buffer forever.
        if (waiting >= this.#limits.maxQueue) return stream.abort();
        waiting++;
        stream.writeSSE({ event: "transaction", data: JSON.stringify(event) })
          .finally(() => waiting--);
      };
      const closed = new Promise<void>((resolve) => stream.onAbort(resolve));
      this.#clients.add(send);
      // A comment now and then keeps proxies and idle timeouts from closing the stream.
      const ping = setInterval(() => {
        if (waiting === 0) stream.write(": ping\n\n");
      }, 15_000);
      try {
        await stream.write(": connected\n\n");
        if (!stream.aborted) await closed;
      } finally {
        clearInterval(ping);
        this.#clients.delete(send);
      }
    });
  }

  /** Sends an event to every open stream. */
  broadcast(event: LiveTransaction): void {
    for (const send of this.#clients) send(event);
  }
}
