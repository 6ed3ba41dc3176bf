/**
 * Serves the Monzo emulator for `wrangler dev`: a client whose redirect URL is the local
 * Worker's, on http://127.0.0.1:8788. Prints the lines to put in `.dev.vars`.
 *
 * ```sh
 * deno run -A emulator.ts    # or: bun emulator.ts
 * ```
 *
 * @module
 */

import { MonzoEmulator, serveEmulator } from "@monzo-api/client/testing";

const WORKER = "http://localhost:8787";
const emulator = new MonzoEmulator();
// A fixed id and secret, known to be the emulator's: nothing to keep secret here.
const client = emulator.addClient({
  id: "oauth2client_00009WorkerDev",
  secret: "mnzconf.emulator-only",
  redirectUris: [`${WORKER}/callback`],
});
const server = await serveEmulator(emulator, { port: 8788 });

console.log(`The emulator is at ${server.url}. Put these lines in .dev.vars:

MONZO_CLIENT_ID=${client.id}
MONZO_CLIENT_SECRET=${client.secret}
MONZO_REDIRECT_URL=${WORKER}/callback
MONZO_API_URL=${server.url}
MONZO_AUTH_URL=${server.url}/auth

then run \`npx wrangler dev\`, open ${WORKER}/login, and allow access on the consent page.
Stop with Ctrl-C (the emulator forgets everything).`);
