// New and changed transactions pushed to open dashboards (server-sent events), and the page's
// script that puts them in their place in their account's table (a changed row replaces the
// old one). The rows come rendered (and escaped) by the server.
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";

export const LIVE_JS = `
const events = new EventSource("/events");
events.onopen = () => document.body.dataset.live = "";
events.onerror = () => delete document.body.dataset.live;
const section = (accountId) =>
  document.querySelector('section[data-account="' + CSS.escape(accountId) + '"]');
const row = (table, id) => table.querySelector('tr[data-tx="' + CSS.escape(id) + '"]');
events.addEventListener("transaction", (message) => {
  const { accountId, id, created, html, balance } = JSON.parse(message.data);
  const place = section(accountId);
  if (!place) return;
  if (balance) place.querySelector("[data-balance]").textContent = balance;
  const table = place.querySelector("tbody");
  row(table, id)?.remove();
  const after = [...table.rows].find((tr) => tr.dataset.created < created);
  if (after) after.insertAdjacentHTML("beforebegin", html);
  else table.insertAdjacentHTML("beforeend", html);
  while (table.rows.length > Number(table.dataset.limit)) table.lastElementChild.remove();
  row(table, id)?.classList.add("new");
});
events.addEventListener("removed", (message) => {
  const { accountId, id } = JSON.parse(message.data);
  const table = section(accountId)?.querySelector("tbody");
  if (table) row(table, id)?.remove();
});
events.addEventListener("coverage", (message) => {
  const { accountId, text } = JSON.parse(message.data);
  const line = section(accountId)?.querySelector("[data-coverage]");
  if (line) line.textContent = text;
});
for (const form of document.querySelectorAll("form.pot-move")) {
  form.addEventListener("submit", () => {
    for (const button of form.querySelectorAll("button")) button.disabled = true;
  });
}
`;

/** A new or changed transaction, as it is pushed to open pages. */
export interface LiveTransaction {
  accountId: string;
  id: string;
  /** RFC 3339, to put the row in its place. */
  created: string;
  /** The table row. */
  html: string;
  /** The account's new balance, formatted, when it could be read. */
  balance?: string;
}

/** What open pages are sent. */
export type LiveEvent =
  | { event: "transaction"; data: LiveTransaction }
  | { event: "removed"; data: { accountId: string; id: string } }
  | { event: "coverage"; data: { accountId: string; text: string } };

/** Limits of {@link LiveHub}. */
export interface LiveLimits {
  /** Open streams at most; more are answered 503. */
  maxClients: number;
  /** Events waiting for a client at most; a client that falls further behind is dropped. */
  maxQueue: number;
}

/** The open event streams. */
export class LiveHub {
  readonly #clients = new Set<(event: LiveEvent) => void>();
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
      const send = ({ event, data }: LiveEvent) => {
        // A client that does not read (or reads too slowly) would make us buffer forever.
        if (waiting >= this.#limits.maxQueue) return stream.abort();
        waiting++;
        stream.writeSSE({ event, data: JSON.stringify(data) })
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
  broadcast(event: LiveEvent): void {
    for (const send of this.#clients) send(event);
  }
}
