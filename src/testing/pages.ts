// The HTML pages of the emulated auth.monzo.com: consent, errors and the in-app approval.
import type { Client, User } from "./models.ts";

const STYLE =
  `body{font-family:system-ui,sans-serif;background:#14233c;color:#fff;display:grid;place-items:center;min-height:100vh;margin:0}
main{background:#fff;color:#14233c;border-radius:16px;padding:32px;max-width:420px;box-shadow:0 8px 32px #0006}
h1{font-size:1.4rem;margin-top:0}button{font-size:1rem;padding:10px 20px;border-radius:8px;border:0;margin-right:8px;cursor:pointer}
#allow,#approve{background:#ff4f40;color:#fff}#deny{background:#e6e9ee;color:#14233c}small{color:#5b6b82}`;

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string, status = 200): Response {
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${
      escape(title)
    } · Monzo emulator</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
  return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8" } });
}

/** The consent page with a real form: Allow posts the decision, Deny too. */
export function consentPage(client: Client, user: User, consentId: string): Response {
  return page(
    "Connect to Monzo",
    `<h1>Allow ${escape(client.name)} to access your Monzo account?</h1>
<p>Signed in as <strong>${escape(user.name)}</strong> (${escape(user.email)}).</p>
<p><small>Client ${escape(client.id)}. After you allow, approve the access in the Monzo app
(emulated at <a href="/auth/approve">/auth/approve</a>).</small></p>
<form method="post" action="/auth/consent">
<input type="hidden" name="consent_id" value="${escape(consentId)}">
<button id="allow" name="decision" value="allow" type="submit">Allow</button>
<button id="deny" name="decision" value="deny" type="submit">Deny</button>
</form>`,
  );
}

/** A 400 page for requests that cannot be redirected back (unknown client, unregistered redirect). */
export function errorPage(message: string): Response {
  return page("Error", `<h1>Something went wrong</h1><p>${escape(message)}</p>`, 400);
}

/** The emulated in-app approval: how many logins wait, and a button that approves them. */
export function approvalPage(user: User, pending: number, approved?: number): Response {
  const done = approved === undefined ? "" : `<p id="result">Approved ${logins(approved)}.</p>`;
  return page(
    "Approve in the Monzo app",
    `<h1>Monzo app: ${escape(user.name)}</h1>${done}
<p>${logins(pending)} waiting for approval.</p>
<form method="post" action="/auth/approve"><button id="approve" type="submit">Approve</button></form>`,
  );
}

/** "1 login", "2 logins", "no login". */
function logins(count: number): string {
  return count === 0 ? "no login" : `${count} login${count === 1 ? "" : "s"}`;
}
