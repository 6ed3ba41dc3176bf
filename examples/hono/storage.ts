// Where the login and the webhook secret live between restarts: Deno KV under Deno, a JSON
// file (BunFileStorage) under Bun; the synced transactions in a SQLite file (node:sqlite). Every
// file is mode 0600 in a directory no other user can write to.
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { Authentication, type Storage } from "../../mod.ts";
import { BunFileStorage } from "../../src/handlers/bun_file.ts";
import { type DenoKvLike, DenoKvStorage } from "../../src/handlers/deno_kv.ts";
import { SqliteSyncStore } from "../../src/sync/sqlite_store.ts";

/** The storage of the login and the webhook secret. */
export interface AppStorage {
  storage: Storage;
  /** Which handler it is, for the start-up message. */
  description: string;
  webhookSecret: string;
}

interface DenoLike {
  openKv(path: string): Promise<DenoKvLike>;
}

/** Creates `dataDir` (0700) and refuses one that other users may write to. */
export async function prepareDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (process.platform === "win32") return;
  const mode = (await stat(dataDir)).mode & 0o777;
  if (mode & 0o022) {
    throw new Error(
      `DATA_DIR ${dataDir} can be written by other users (mode ${mode.toString(8)}), who could ` +
        `replace the saved login. Run \`chmod 700 ${dataDir}\` or choose another DATA_DIR.`,
    );
  }
}

/** Makes `path` exist with mode 0600 (an empty file is a new SQLite database to Deno KV). */
async function privateFile(path: string): Promise<void> {
  await writeFile(path, "", { flag: "a", mode: 0o600 });
  if (process.platform !== "win32") await chmod(path, 0o600);
}

/**
 * Opens the storage for `profile` (`emulator` or `monzo`, kept apart) in `dataDir`. The
 * webhook secret is `secret` when given, else the stored one, else a new one that is stored.
 */
export async function openStorage(
  dataDir: string,
  profile: string,
  secret?: string,
): Promise<AppStorage> {
  await prepareDataDir(dataDir);
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  if (deno) {
    const path = join(dataDir, "example.kv");
    // SQLite gives its -wal and -shm files the mode of the database file.
    await privateFile(path);
    const kv = await deno.openKv(path);
    const key = ["monzo-hono-example", profile];
    const stored = (await kv.get([...key, "webhook-secret"])).value;
    const webhookSecret = secret ??
      (typeof stored === "string" ? stored : Authentication.generateState());
    if (webhookSecret !== stored) await kv.set([...key, "webhook-secret"], webhookSecret);
    return {
      storage: new DenoKvStorage(kv, { key: [...key, "credentials"] }),
      description: `DenoKvStorage (${path})`,
      webhookSecret,
    };
  }
  const path = join(dataDir, `tokens-${profile}.json`);
  const secretPath = join(dataDir, `webhook-secret-${profile}`);
  const stored = await readFile(secretPath, "utf8").catch(() => undefined);
  const webhookSecret = secret ?? stored ?? Authentication.generateState();
  if (webhookSecret !== stored) await writeFile(secretPath, webhookSecret, { mode: 0o600 });
  return {
    storage: new BunFileStorage(path),
    description: `BunFileStorage (${path})`,
    webhookSecret,
  };
}

/** The synced transactions of `profile`, and the database to close on exit. */
export interface SyncDatabase {
  store: SqliteSyncStore;
  path: string;
  close(): void;
}

/**
 * Opens (or creates, mode 0600) `transactions-<profile>.sqlite` in `dataDir` with node:sqlite
 * (Deno, Bun, Node 22.5+). Rejects with a plain sentence where node:sqlite is missing (Node 20).
 */
export async function openSyncDatabase(dataDir: string, profile: string): Promise<SyncDatabase> {
  await prepareDataDir(dataDir);
  let sqlite: typeof import("node:sqlite");
  try {
    sqlite = await import("node:sqlite");
  } catch {
    throw new Error("node:sqlite is missing in this runtime: run the example with Deno or Bun.");
  }
  const path = join(dataDir, `transactions-${profile}.sqlite`);
  // SQLite gives its journal and -wal files the mode of the database file.
  await privateFile(path);
  const db = new sqlite.DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  return { store: new SqliteSyncStore(db), path, close: () => db.close() };
}
