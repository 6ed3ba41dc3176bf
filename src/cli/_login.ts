// `login`: the whole OAuth dance in one command. Listen on the redirect URL, send the user to
// Monzo, check the state, exchange the code, save the credentials (mode 0600) and which API
// they belong to, then wait for the approval in the Monzo app; with --backfill, then sync the
// whole history into SQLite while Monzo's 5-minute window is open.

import { dirname } from "node:path";
import process from "node:process";
import { Authentication } from "../authentication.ts";
import { MonzoPermissionsError } from "../errors.ts";
import { BunFileStorage } from "../handlers/bun_file.ts";
import { Monzo } from "../monzo.ts";
import type { Command, Values } from "./_args.ts";
import { openBrowser } from "./_browser.ts";
import { listenForCallback } from "./_callback.ts";
import {
  type ApiRecord,
  CREDENTIALS_OPTION,
  credentialsPath,
  DEFAULT_REDIRECT_URL,
  privateDir,
  readApiRecord,
  setting,
  writeApiRecord,
} from "./_config.ts";
import {
  emulatorClient,
  openCliEmulator,
  runningEmulator,
  serveEmulatorHandler,
} from "./_emulator.ts";
import { CliError, UsageError } from "./_errors.ts";
import { track } from "./_exit.ts";
import { printable } from "./_format.ts";
import { withProgress } from "./_progress.ts";
import {
  type Database,
  DB_OPTION,
  openStore,
  parseDb,
  sqliteDriver,
  type Store,
  SYNC_EXIT_CODES,
  syncAndReport,
} from "./_sync.ts";

const PORTAL = "https://developers.monzo.com";
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Where the client is and how to reach it: Monzo, or an emulator started for this login. */
interface Target {
  clientId: string;
  clientSecret: string;
  apiUrl?: string;
  authUrl?: string;
  /** What to record beside the credentials. */
  record: ApiRecord | undefined;
  /** A line telling how to approve, for the emulator. */
  approveHint?: string;
  close(): Promise<void>;
}

/** The `login` command. */
export const login: Command = {
  spec: {
    name: "login",
    summary: "Log in to Monzo in the browser and save the credentials.",
    options: {
      "client-id": {
        type: "string",
        value: "<id>",
        description: "Your OAuth client's id (oauth2client_…). Default: $MONZO_CLIENT_ID.",
      },
      "client-secret": {
        type: "string",
        value: "<secret>",
        description: "Its secret. Default: $MONZO_CLIENT_SECRET (prefer it: flags show in ps).",
      },
      "redirect-url": {
        type: "string",
        value: "<url>",
        description:
          `A loopback redirect URL registered for the client, where login listens. Default: $MONZO_REDIRECT_URL, else ${DEFAULT_REDIRECT_URL}.`,
      },
      credentials: CREDENTIALS_OPTION,
      timeout: {
        type: "string",
        value: "<seconds>",
        description:
          "How long to wait for the browser, then for the approval in the app. Default: 300.",
      },
      "no-open": { type: "boolean", description: "Print the URL without opening a browser." },
      emulator: {
        type: "boolean",
        description:
          "Rehearse with made-up data: log in to the emulator of `monzo emulator` (run in-process when none is running). The other commands then use it too.",
      },
      backfill: {
        type: "boolean",
        description:
          "The moment you approve, copy your whole history into --db (Monzo lists more than 90 days back only in the 5 minutes after the approval); then `monzo sync --db` keeps it up to date.",
      },
      db: DB_OPTION,
    },
    details: [
      "Exit codes: 0 logged in (with --backfill: and the whole history copied); 1 failed; 2 " +
      `bad usage; with --backfill also ${SYNC_EXIT_CODES}`,
    ],
  },
  async run(values) {
    const redirectUrl = checkRedirectUrl(
      setting(values, "redirect-url", "MONZO_REDIRECT_URL") ?? DEFAULT_REDIRECT_URL,
    );
    const timeoutMs = parseTimeout(values.timeout);
    const backfill = values.backfill === true ? parseDb(values, "login --backfill") : undefined;
    if (!backfill && values.db !== undefined) {
      throw new UsageError("--db goes with --backfill (or use `monzo sync --db`).");
    }
    const path = credentialsPath(values);
    const target = values.emulator ? undefined : monzoTarget(values);
    const fixed = await privateDir(dirname(path));
    if (fixed) process.stderr.write(`${fixed}\n`);
    if (values.emulator) await keepRealLogin(path);
    // SQLite first: without it (Node 20) nothing else is worth starting.
    const opened = backfill ? await openStore(backfill, await sqliteDriver()) : undefined;
    try {
      const chosen = target ?? await emulatorTarget(redirectUrl);
      try {
        const plan = { redirectUrl, path, timeoutMs, open: values["no-open"] !== true };
        return await authorize(
          chosen,
          plan,
          opened && backfill ? backfillInto(opened, backfill) : undefined,
        );
      } finally {
        await chosen.close();
      }
    } finally {
      opened?.db.close();
    }
  },
};

/** What runs right after the approval with --backfill: the sync of every account. */
function backfillInto(
  { store }: { db: Database; store: Store },
  dbPath: string,
): (auth: Authentication) => Promise<number> {
  return (auth) => {
    process.stderr.write(
      `Approved. Reading your whole history into ${printable(dbPath)} while Monzo's ` +
        "5-minute window is open.\n",
    );
    return syncAndReport(new Monzo(auth), store, { dbPath });
  };
}

/** Refuses to replace a login to Monzo with an emulator one. */
async function keepRealLogin(path: string): Promise<void> {
  const stored = await new BunFileStorage(path).fetch().catch(() => null);
  if (!stored?.accessToken || (await readApiRecord(path))?.api === "emulator") return;
  throw new CliError(
    `${path} holds your Monzo login, which an emulator login would replace. Run \`monzo ` +
      "logout` first, or keep both: pass --credentials emulator.json here and to the other " +
      "commands.",
  );
}

/** How one login runs: where the browser comes back, where the login goes, how long to wait. */
interface Plan {
  redirectUrl: URL;
  path: string;
  timeoutMs: number;
  open: boolean;
}

/**
 * The login; then `afterApproval` (the back-fill) if given, whose exit code it returns, else
 * a hint about the 5-minute window and 0.
 */
async function authorize(
  target: Target,
  { redirectUrl, path, timeoutMs, open }: Plan,
  afterApproval?: (auth: Authentication) => Promise<number>,
): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const server = await listenForCallback(redirectUrl);
  try {
    const auth = new Authentication({
      clientId: target.clientId,
      clientSecret: target.clientSecret,
      redirectUrl: redirectUrl.href,
      apiUrl: target.apiUrl,
      authUrl: target.authUrl,
    });
    auth.registerCallbackHandler(new BunFileStorage(path));
    track(auth, { path, clientSecret: target.clientSecret });
    const state = Authentication.generateState();
    const url = auth.authorizationUrl(state);
    say(`Open this URL in your browser, log in to Monzo and allow access:\n\n  ${url}\n`);
    if (open) openBrowser(url);
    const params = await withProgress(
      `Waiting for the browser to come back to ${redirectUrl.href}`,
      () => server.wait(state, timeoutMs),
    );
    const error = printable(params.get("error") ?? "");
    if (error) {
      throw new CliError(
        (error === "access_denied"
          ? "Access was not allowed on Monzo's page."
          : `Monzo did not grant access (${error}).`) +
          " Nothing was saved; run `monzo login` again to retry.",
      );
    }
    if (!params.get("code")) {
      throw new CliError(`The browser came back to ${redirectUrl.href} without a code.`);
    }
    await auth.authenticate(params.get("code") ?? "", {
      state: params.get("state") ?? "",
      expectedState: state,
    });
    await writeApiRecord(path, target.record);
    say(`Saved the credentials to ${path} (mode 0600).`);
    if (target.approveHint) say(target.approveHint);
    await withProgress(
      "Now allow access in the Monzo app (a notification, or the request in your feed)",
      () => auth.waitForApproval({ timeoutMs }),
    ).catch((error) => {
      if (!(error instanceof MonzoPermissionsError && error.reason === "approval_pending")) {
        throw error;
      }
      throw new CliError(
        `Access was not allowed in the Monzo app within ${timeoutMs / 1000} s. The saved ` +
          "login starts working once you allow it (the request waits in the app's feed); " +
          "or run login again.",
      );
    });
    if (afterApproval) return await afterApproval(auth);
    say(
      "Approved. For the next 5 minutes Monzo lists your whole history, for example:\n" +
        "  transactions --since 2015-01-01 --format csv > history.csv\n" +
        "  (or keep it in SQLite: monzo login --backfill --db monzo.sqlite)\n" +
        "After that, only the last 90 days.",
    );
    return 0;
  } finally {
    await server.close();
  }
}

function monzoTarget(values: Values): Target {
  const clientId = setting(values, "client-id", "MONZO_CLIENT_ID");
  const clientSecret = setting(values, "client-secret", "MONZO_CLIENT_SECRET");
  const create = `Create a confidential client at ${PORTAL} (see docs/getting-started.md).`;
  if (!clientId) {
    throw new UsageError(
      `Missing the client id: pass --client-id or set MONZO_CLIENT_ID. ${create}`,
    );
  }
  if (!clientSecret) {
    throw new UsageError(
      `Missing the client secret: set MONZO_CLIENT_SECRET (or pass --client-secret). ${create}`,
    );
  }
  const apiUrl = process.env.MONZO_API_URL || undefined;
  return {
    clientId,
    clientSecret,
    apiUrl,
    authUrl: process.env.MONZO_AUTH_URL || undefined,
    record: apiUrl ? { api: "url", url: apiUrl } : undefined,
    close: () => Promise.resolve(),
  };
}

/**
 * The emulator `monzo emulator` serves, or else the same emulator served by this process for
 * the length of the login; a client of it whose redirect URL is ours.
 */
async function emulatorTarget(redirectUrl: URL): Promise<Target> {
  const hint = (url: string) =>
    `Emulator: allow access at ${url}/auth/approve (or: curl -X POST ${url}/_emulator/approve)`;
  const running = await runningEmulator();
  if (running) {
    return {
      ...await emulatorClient(running, redirectUrl.href),
      apiUrl: running,
      authUrl: `${running}/auth`,
      record: { api: "emulator" },
      approveHint: hint(running),
      close: () => Promise.resolve(),
    };
  }
  const persistent = await openCliEmulator();
  const { emulator } = persistent;
  const known = emulator.snapshot().clients.find((client) =>
    client.confidential && client.redirectUris.includes(redirectUrl.href)
  );
  const client = known ?? emulator.addClient({ redirectUris: [redirectUrl.href] });
  await persistent.save();
  const server = await serveEmulatorHandler(persistent);
  return {
    clientId: client.id,
    clientSecret: client.secret,
    apiUrl: server.url,
    authUrl: `${server.url}/auth`,
    record: { api: "emulator" },
    approveHint: hint(server.url),
    close: async () => {
      await server.close();
      await persistent.save();
    },
  };
}

function checkRedirectUrl(value: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || url.protocol !== "http:" || !LOOPBACK.has(url.hostname)) {
    throw new UsageError(
      `--redirect-url must be an http:// URL on localhost, 127.0.0.1 or [::1], which login ` +
        `listens on (got ${value}).`,
    );
  }
  return url;
}

function parseTimeout(value: Values[string]): number {
  if (value === undefined) return 300_000;
  const seconds = Number(value);
  if (typeof value !== "string" || !(seconds > 0)) {
    throw new UsageError(`--timeout must be a positive number of seconds (got ${value}).`);
  }
  return seconds * 1000;
}
