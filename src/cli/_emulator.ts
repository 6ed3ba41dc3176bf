// The emulator of the offline rehearsal. `monzo emulator` serves it on loopback and says where
// in `emulator.json`; when none is running, `login --emulator` and the data commands run it
// in-process. Either way its clients and logins live in `emulator-state.json` (mode 0600: it
// holds client secrets), rewritten after every request that changed them, so a login made
// against it keeps working across restarts. The Hono example's demo mode uses it too.

import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { type EmulatorOptions, MonzoEmulator } from "../testing/mod.ts";
import { serveHandler } from "../testing/serve.ts";
import type { Command } from "./_args.ts";
import { configDir, privateDir } from "./_config.ts";
import { UsageError } from "./_errors.ts";

/** An emulator restored from `path`, and the handler to serve that saves it back. */
export interface PersistentEmulator {
  emulator: MonzoEmulator;
  /** The emulator's `fetch`, saving the snapshot (in the background) after requests that change it. */
  fetch(request: Request): Promise<Response>;
  /**
   * Saves the snapshot now if it changed since the last successful save; rejects when it
   * cannot be written. Call it after adding a client, and before exiting.
   */
  save(): Promise<void>;
}

/** Opens the emulator saved at `path` (a new one when there is none). */
export async function openPersistentEmulator(
  path: string,
  options: EmulatorOptions = {},
): Promise<PersistentEmulator> {
  const text = await readFile(path, "utf8").catch((error) => {
    if (error?.code === "ENOENT") return undefined;
    throw error;
  });
  const emulator = new MonzoEmulator({
    ...options,
    restore: text === undefined ? undefined : JSON.parse(text),
  });
  let saved = "";
  let writing = Promise.resolve();
  // One write at a time, in order; a failed one is tried again by the next save.
  const save = () => {
    writing = writing.catch(() => {}).then(async () => {
      const json = JSON.stringify(emulator.snapshot());
      if (json === saved) return;
      const temporary = `${path}.${crypto.randomUUID()}.tmp`;
      await writeFile(temporary, json, { mode: 0o600 });
      await rename(temporary, path);
      saved = json;
    });
    return writing;
  };
  await save();
  return {
    emulator,
    async fetch(request) {
      const response = await emulator.fetch(request);
      // Answer first: a client that sees the change may close the server at once.
      if (request.method !== "GET") save().catch(() => {});
      return response;
    },
    save,
  };
}

/** The CLI's emulator, saved in the config directory. */
export async function openCliEmulator(): Promise<PersistentEmulator> {
  const dir = configDir();
  await privateDir(dir);
  return await openPersistentEmulator(join(dir, "emulator-state.json"));
}

const runningFile = () => join(configDir(), "emulator.json");

/** The URL of the emulator `monzo emulator` serves, when one is running and answers. */
export async function runningEmulator(): Promise<string | undefined> {
  const text = await readFile(runningFile(), "utf8").catch(() => undefined);
  const url = text === undefined ? undefined : JSON.parse(text)?.url;
  if (typeof url !== "string") return undefined;
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok ? url : undefined;
  } catch {
    return undefined;
  }
}

/** A confidential client of the emulator at `url` that may redirect to `redirectUri`. */
export async function emulatorClient(
  url: string,
  redirectUri: string,
): Promise<{ clientId: string; clientSecret: string }> {
  const response = await fetch(`${url}/_emulator/clients`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ redirect_uri: redirectUri }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`The emulator refused a client: ${body.message}`);
  return { clientId: body.client_id, clientSecret: body.client_secret };
}

/** The `emulator` command: serves the CLI's emulator until Ctrl-C. */
export const emulatorCommand: Command = {
  spec: {
    name: "emulator",
    summary: "Serve a local Monzo emulator to rehearse with (logins kept across restarts).",
    options: {
      port: {
        type: "string",
        value: "<port>",
        description: "The loopback port to listen on. Default: 8787 (0 picks a free one).",
      },
    },
  },
  async run(values) {
    const port = Number(values.port ?? 8787);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--port must be a port number (got ${values.port}).`);
    }
    // Listening first: a signal that comes right after the start must not kill the process.
    const stopped = new Promise<void>((resolve) => {
      for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
    });
    const persistent = await openCliEmulator();
    const server = await serveEmulatorHandler(persistent, port);
    await writeFile(runningFile(), JSON.stringify({ url: server.url, pid: process.pid }), {
      mode: 0o600,
    });
    process.stderr.write(
      [
        `Monzo emulator at ${server.url} (made-up data; logins kept in ${configDir()}).`,
        "In another terminal: monzo login --emulator, then monzo balance, monzo transactions.",
        `Approve logins at ${server.url}/auth/approve. Stop with Ctrl-C.`,
        "",
      ].join("\n"),
    );
    await stopped;
    await rm(runningFile(), { force: true });
    await server.close();
    await persistent.save();
  },
};

/** Serves a persistent emulator's saving handler on 127.0.0.1. */
export async function serveEmulatorHandler(
  persistent: PersistentEmulator,
  port = 0,
): Promise<{ url: string; close(): Promise<void> }> {
  return await serveHandler(persistent.fetch, { port }).catch((error) => {
    if (error?.code === "EADDRINUSE" || error?.name === "AddrInUse") {
      throw new UsageError(
        `Port ${port} is already in use (another emulator?). Pass --port with another one.`,
      );
    }
    throw error;
  });
}
