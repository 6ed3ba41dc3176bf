// The script of the dashboard: new transactions arrive as server-sent events and are put at
// the top of their account's table. The rows come rendered (and escaped) by the server.
export const LIVE_JS = `
const events = new EventSource("/events");
events.onopen = () => document.body.dataset.live = "";
events.onerror = () => delete document.body.dataset.live;
events.addEventListener("transaction", (message) => {
  const { accountId, html } = JSON.parse(message.data);
  const table = document.querySelector('tbody[data-account="' + CSS.escape(accountId) + '"]');
  if (!table) return;
  table.insertAdjacentHTML("afterbegin", html);
  table.firstElementChild.classList.add("new");
});
for (const form of document.querySelectorAll("form.pot-move")) {
  form.addEventListener("submit", () => form.querySelector("button").disabled = true);
}
`;
