// Noticing refreshed tokens, in Deno: `npx deno run -A examples/deno.ts` after `npm ci` (which installs
// Deno), or `deno run -A examples/deno.ts` with Deno on your PATH.
//
// Monzo's refresh tokens work once, so every new token set must be saved before the old one
// is lost. There are two ways to notice one:
//   1. register a handler (here DenoKvStorage): it is awaited with every new token set,
//      before the new token is used;
//   2. read `accessToken`, `accessTokenExpiry` and `refreshToken` after your calls and save
//      them yourself when they changed.
// It runs against the built-in emulator, whose clock can jump past the token's expiry.
import { Authentication, type Credentials, Monzo } from "../mod.ts";
import { DenoKvStorage } from "../src/handlers/deno_kv.ts";
import { MonzoEmulator, serveEmulator } from "../src/testing/mod.ts";
import { formatMoney } from "./hono/money.ts";

const emulator = new MonzoEmulator();
const server = await serveEmulator(emulator);
const login = emulator.login(); // tokens as after the OAuth flow and the in-app approval

const kv = await Deno.openKv(":memory:");
const storage = new DenoKvStorage(kv, { key: ["monzo", "me"] });
const auth = new Authentication({
  clientId: emulator.client.id,
  clientSecret: emulator.client.secret,
  redirectUrl: emulator.client.redirectUris[0],
  accessToken: login.accessToken,
  accessTokenExpiry: login.expiry,
  refreshToken: login.refreshToken,
  apiUrl: server.url,
  authUrl: `${server.url}/auth`,
});

// Way 1: handlers. DenoKvStorage keeps the login; the second one only reports.
auth.registerCallbackHandler(storage);
auth.registerCallbackHandler({
  store(credentials: Credentials) {
    const expires = new Date(credentials.expiry * 1000).toISOString();
    console.log(`way 1, handler: new tokens stored, the access token expires at ${expires}`);
    return Promise.resolve();
  },
  fetch: () => Promise.resolve(null),
});

const monzo = new Monzo(auth);
const [account] = await monzo.accounts.list();
const balance = await monzo.balance.get(account.id);
console.log(`balance of ${account.id}: ${formatMoney(balance.balance, balance.currency)}`);

// Way 2: remember what you saved, and compare after calls.
const saved = { accessToken: auth.accessToken, refreshToken: auth.refreshToken };

emulator.advanceTime(2 * login.expiresIn); // the access token is now expired
const pots = await monzo.pots.list(account.id); // answered 401 expired: refreshed, then retried
console.log(`pots: ${pots.map((pot) => pot.name).join(", ")}`);

if (auth.accessToken !== saved.accessToken) {
  const expires = new Date(auth.accessTokenExpiry! * 1000).toISOString();
  const rotated = auth.refreshToken !== saved.refreshToken ? "a new" : "the same";
  console.log(
    `way 2, properties: new access token (expires at ${expires}), ${rotated} refresh token`,
  );
  // Save auth.accessToken, auth.accessTokenExpiry and auth.refreshToken here.
}

const kept = await storage.fetch();
console.log(`DenoKvStorage holds the new tokens: ${kept?.accessToken === auth.accessToken}`);

kv.close();
await server.close();
