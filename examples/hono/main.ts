// Starts the example server: `deno run -A examples/hono/main.ts` or `bun examples/hono/main.ts`
// (after `npm ci`, without a global install: `npx deno run -A …` or `npx bun …`).
//
// Environment:
//   MONZO_CLIENT_ID, MONZO_CLIENT_SECRET, MONZO_REDIRECT_URL  your Monzo OAuth client; without
//                       them the built-in emulator is started and used instead
//   MONZO_API_URL, MONZO_AUTH_URL  other addresses of the API and the login page (a proxy, or
//                       an emulator served elsewhere); api.monzo.com and auth.monzo.com by default
//   PORT (8000; 0 picks a free port), HOST (127.0.0.1; 0.0.0.0 to listen on every interface)
//   PUBLIC_URL          where Monzo (and you) reach this app; set it to receive webhooks from
//                       Monzo. Requests for any other host name are refused.
//   WEBHOOK_SECRET      the secret of /webhooks/<secret>; generated and stored when unset
//   DATA_DIR            where the login and the synced transactions (SQLite) are kept
//                       (.tmp/hono-example; not writable by others)
//   DASHBOARD_PASSWORD  the pages ask for it (HTTP Basic, any user name); required when HOST
//                       is not a loopback address or PUBLIC_URL is set
import process from "node:process";
import { Authentication, type AuthenticationOptions, Monzo } from "../../mod.ts";
import { openPersistentEmulator } from "../../src/cli/_emulator.ts";
import { serveHandler } from "../../src/testing/serve.ts";
import { createApp } from "./app.ts";
import { exposureProblem, isLoopback } from "./guard.ts";
import { openStorage, openSyncDatabase, prepareDataDir } from "./storage.ts";
import { DashboardSync } from "./sync.ts";
import type { Mode } from "./views.ts";

type Handler = (request: Request) => Response | Promise<Response>;

interface Runtime {
  Deno?: {
    serve(
      options: { port: number; hostname: string; onListen(address: { port: number }): void },
      handler: Handler,
    ): unknown;
  };
  Bun?: {
    serve(options: { port: number; hostname: string; idleTimeout: number; fetch: Handler }): {
      port: number;
    };
  };
}

/** Serves `handler` with Deno.serve or Bun.serve; resolves to the bound port. */
function serve(handler: Handler, port: number, hostname: string): Promise<number> {
  const { Deno, Bun } = globalThis as Runtime;
  if (Deno) {
    return new Promise((resolve) =>
      Deno.serve({ port, hostname, onListen: (address) => resolve(address.port) }, handler)
    );
  }
  // Bun closes connections idle for 10 s by default, server-sent event streams included.
  if (Bun) {
    return Promise.resolve(Bun.serve({ port, hostname, idleTimeout: 60, fetch: handler }).port);
  }
  throw new Error("Run this example with Deno or Bun.");
}

/** Prints a plain sentence and stops (no stack trace for what the user can fix). */
function fail(message: string): never {
  console.error(`Cannot start: ${message}`);
  process.exit(1);
}

const env = process.env;
const problem = exposureProblem(env);
if (problem) fail(problem);
const dataDir = env.DATA_DIR ?? ".tmp/hono-example";
await prepareDataDir(dataDir).catch((error) => fail(error.message));

const hostname = env.HOST ?? "127.0.0.1";
const requestedPort = Number(env.PORT ?? 8000);
let app: Handler = () => new Response("Starting", { status: 503 });
let port: number;
try {
  port = await serve((request) => app(request), requestedPort, hostname);
} catch (error) {
  const code = (error as { code?: string; name?: string }).code ??
    (error as { name?: string }).name;
  if (code === "EADDRINUSE" || code === "AddrInUse") {
    fail(
      `port ${requestedPort} is already in use (another demo still running?). Stop it, or ` +
        `start on another port: PORT=${requestedPort + 1} npm run demo (PORT=0 picks a free one).`,
    );
  }
  throw error;
}
const local = `http://localhost:${port}`;
const origins = [local, `http://127.0.0.1:${port}`];
if (!isLoopback(hostname) && hostname !== "0.0.0.0" && hostname !== "::") {
  origins.push(`http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`);
}
if (env.PUBLIC_URL) origins.push(new URL(env.PUBLIC_URL).origin);

let options: AuthenticationOptions;
let mode: Mode;
let webhookBaseUrl = env.PUBLIC_URL;
let kept: string;
if (env.MONZO_CLIENT_ID && env.MONZO_CLIENT_SECRET && env.MONZO_REDIRECT_URL) {
  options = {
    clientId: env.MONZO_CLIENT_ID,
    clientSecret: env.MONZO_CLIENT_SECRET,
    redirectUrl: env.MONZO_REDIRECT_URL,
    apiUrl: env.MONZO_API_URL,
    authUrl: env.MONZO_AUTH_URL,
  };
  mode = { kind: "monzo", host: new URL(env.MONZO_API_URL ?? "https://api.monzo.com").host };
  kept = "";
} else {
  // The emulator keeps its logins next to ours, so a restart keeps the login in this mode too.
  const statePath = `${dataDir}/emulator-state.json`;
  const persistent = await openPersistentEmulator(statePath, { webhookRetryDelayMs: 500 });
  const { emulator } = persistent;
  const server = await serveHandler(persistent.fetch);
  const redirectUrl = `${local}/callback`;
  emulator.addRedirectUri(emulator.client.id, redirectUrl);
  await persistent.save();
  options = {
    clientId: emulator.client.id,
    clientSecret: emulator.client.secret,
    redirectUrl,
    apiUrl: server.url,
    authUrl: `${server.url}/auth`,
  };
  mode = { kind: "emulator", url: server.url, approveUrl: `${server.url}/auth/approve` };
  webhookBaseUrl = `http://127.0.0.1:${port}`;
  kept = `; the emulator's logins and seeding time in ${statePath} (a restart seeds the same ` +
    "accounts and history; the transactions added since start afresh)";
}

const stored = await openStorage(dataDir, mode.kind, env.WEBHOOK_SECRET);
const auth = await Authentication.fromStorage(stored.storage, options);
const monzo = new Monzo(auth);
const database = await openSyncDatabase(dataDir, mode.kind).catch((error) => fail(error.message));
const sync = new DashboardSync(monzo, database.store, {
  // The library's errors never hold a token; their message says what failed.
  onError: (error) => console.error(`Sync failed: ${(error as Error)?.message ?? error}`),
});
app = createApp({
  auth,
  monzo,
  sync,
  mode,
  origins,
  webhookSecret: stored.webhookSecret,
  webhookBaseUrl,
  password: env.DASHBOARD_PASSWORD,
}).fetch;

console.log(
  mode.kind === "emulator"
    ? `Using the built-in Monzo emulator at ${mode.url} (no MONZO_CLIENT_ID and friends set)`
    : `Using the Monzo API at ${mode.host}`,
);
console.log(`Login kept in ${stored.description}${kept}`);
console.log(`Transactions kept in ${database.path}`);
console.log(`Listening on ${local}/`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    try {
      await sync.close();
      database.close();
    } finally {
      process.exit(0);
    }
  });
}
