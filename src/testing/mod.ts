/**
 * A local emulator of the Monzo Developer API, for tests, benchmarks and demos: Monzo has no
 * sandbox. {@link MonzoEmulator} is a stateful Hono app behind one web-standard `fetch`
 * handler that serves both api.monzo.com and the auth.monzo.com pages (under `/auth`), with
 * seeded data and Monzo's rules (token rotation and eviction, in-app approval, the 5-minute /
 * 90-day history window, the 365-day range of one listing, idempotent pot moves, webhook
 * retries); tests can settle, edit, remove and backdate transactions. Inject faults to test
 * retries. {@link serveEmulator} serves it on a port with Deno, Bun or Node; on Cloudflare
 * Workers export `{ fetch: emulator.fetch }`.
 *
 * @example Point the client at a served emulator
 * ```ts
 * import { MonzoEmulator, serveEmulator } from "@monzo-api/client/testing";
 *
 * const emulator = new MonzoEmulator({ seed: 1 });
 * const server = await serveEmulator(emulator);
 * // apiUrl: server.url, authUrl: `${server.url}/auth`,
 * // clientId: emulator.client.id, clientSecret: emulator.client.secret
 * const { accessToken } = emulator.login();
 * const accounts = await fetch(`${server.url}/accounts`, {
 *   headers: { authorization: `Bearer ${accessToken}` },
 * }).then((r) => r.json());
 * await server.close();
 * ```
 *
 * @module
 */
export { MonzoEmulator } from "./emulator.ts";
export { serveEmulator } from "./serve.ts";
export type {
  AddClientOptions,
  AuthorizeOptions,
  EmulatorAttachment,
  EmulatorClient,
  EmulatorCounters,
  EmulatorFault,
  EmulatorFeedItem,
  EmulatorOptions,
  EmulatorRequest,
  EmulatorSnapshot,
  EmulatorTokenSet,
  EmulatorTransaction,
  EmulatorTransactionInput,
  EmulatorTransactionPatch,
  EmulatorTransactionsRequest,
  EmulatorUpload,
  LoginOptions,
  ServedEmulator,
  ServeOptions,
  SettleOptions,
} from "./types.ts";
