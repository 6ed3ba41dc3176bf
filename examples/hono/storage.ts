// Where the login and the webhook secret live between restarts: Deno KV under Deno, a JSON
// file (BunFileStorage) under Bun.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Authentication, type Storage } from "../../mod.ts";
import { BunFileStorage } from "../../src/handlers/bun_file.ts";
import { type DenoKvLike, DenoKvStorage } from "../../src/handlers/deno_kv.ts";

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

/**
 * Opens the storage for `profile` (`emulator` or `monzo`, kept apart) in `dataDir`. The
 * webhook secret is `secret` when given, else the stored one, else a new one that is stored.
 */
export async function openStorage(
  dataDir: string,
  profile: string,
  secret?: string,
): Promise<AppStorage> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  if (deno) {
    const path = join(dataDir, "example.kv");
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
