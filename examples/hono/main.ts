// Starts the example server: `deno run -A examples/hono/main.ts` or `bun examples/hono/main.ts`.
//
// Environment:
//   MONZO_CLIENT_ID, MONZO_CLIENT_SECRET, MONZO_REDIRECT_URL  your Monzo OAuth client; without
//                       them the built-in emulator is started and used instead
//   MONZO_API_URL, MONZO_AUTH_URL  other addresses of the API and the login page (a proxy, or
//                       an emulator served elsewhere); api.monzo.com and auth.monzo.com by default
//   PORT (8000; 0 picks a free port), HOST (127.0.0.1; 0.0.0.0 to listen on every interface)
//   PUBLIC_URL          where Monzo can reach this app; set it to receive webhooks from Monzo
//   WEBHOOK_SECRET      the secret of /webhooks/<secret>; generated and stored when unset
//   DATA_DIR            where the login is kept (.tmp/hono-example)
//   DASHBOARD_PASSWORD  when set, the pages ask for it (HTTP Basic, any user name)
import process from "node:process";
import { Authentication, type AuthenticationOptions, Monzo } from "../../mod.ts";
import { MonzoEmulator, serveEmulator } from "../../src/testing/mod.ts";
import { createApp } from "./app.ts";
import { openStorage } from "./storage.ts";
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

const env = process.env;
let app: Handler = () => new Response("Starting", { status: 503 });
const port = await serve(
  (request) => app(request),
  Number(env.PORT ?? 8000),
  env.HOST ?? "127.0.0.1",
);
const local = `http://localhost:${port}`;

let options: AuthenticationOptions;
let mode: Mode;
let webhookBaseUrl = env.PUBLIC_URL;
if (env.MONZO_CLIENT_ID && env.MONZO_CLIENT_SECRET && env.MONZO_REDIRECT_URL) {
  options = {
    clientId: env.MONZO_CLIENT_ID,
    clientSecret: env.MONZO_CLIENT_SECRET,
    redirectUrl: env.MONZO_REDIRECT_URL,
    apiUrl: env.MONZO_API_URL,
    authUrl: env.MONZO_AUTH_URL,
  };
  mode = { kind: "monzo", host: new URL(env.MONZO_API_URL ?? "https://api.monzo.com").host };
} else {
  const emulator = new MonzoEmulator({ webhookRetryDelayMs: 500 });
  const server = await serveEmulator(emulator);
  const redirectUrl = `${local}/callback`;
  emulator.addRedirectUri(emulator.client.id, redirectUrl);
  options = {
    clientId: emulator.client.id,
    clientSecret: emulator.client.secret,
    redirectUrl,
    apiUrl: server.url,
    authUrl: `${server.url}/auth`,
  };
  mode = { kind: "emulator", url: server.url, approveUrl: `${server.url}/auth/approve` };
  webhookBaseUrl = `http://127.0.0.1:${port}`;
}

const stored = await openStorage(
  env.DATA_DIR ?? ".tmp/hono-example",
  mode.kind,
  env.WEBHOOK_SECRET,
);
const auth = await Authentication.fromStorage(stored.storage, options);
app = createApp({
  auth,
  monzo: new Monzo(auth),
  mode,
  webhookSecret: stored.webhookSecret,
  webhookBaseUrl,
  password: env.DASHBOARD_PASSWORD,
}).fetch;

console.log(
  mode.kind === "emulator"
    ? `Using the built-in Monzo emulator at ${mode.url} (no MONZO_CLIENT_ID and friends set)`
    : `Using the Monzo API at ${mode.host}`,
);
console.log(`Login kept in ${stored.description}`);
console.log(`Listening on ${local}/`);
