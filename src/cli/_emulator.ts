// An emulator whose clients and logins survive restarts: its snapshot is kept in a JSON file
// (mode 0600: it holds the client secret), rewritten after every request that changed it.
// Used by `monzo emulator`, `login --emulator` and the Hono example's demo mode.

import { readFile, rename, writeFile } from "node:fs/promises";
import { type EmulatorOptions, MonzoEmulator } from "../testing/mod.ts";

/** An emulator restored from `path`, and the handler to serve that saves it back. */
export interface PersistentEmulator {
  emulator: MonzoEmulator;
  /** The emulator's `fetch`, saving the snapshot after requests that change it. */
  fetch(request: Request): Promise<Response>;
  /** Saves the snapshot now if it changed (after adding a client or a redirect URI). */
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
  let last = "";
  let writing = Promise.resolve();
  const save = () => {
    const json = JSON.stringify(emulator.snapshot());
    if (json === last) return writing;
    last = json;
    writing = writing.catch(() => {}).then(async () => {
      const temporary = `${path}.${crypto.randomUUID()}.tmp`;
      await writeFile(temporary, json, { mode: 0o600 });
      await rename(temporary, path);
    });
    return writing;
  };
  await save();
  return {
    emulator,
    async fetch(request) {
      const response = await emulator.fetch(request);
      if (request.method !== "GET") await save();
      return response;
    },
    save,
  };
}
