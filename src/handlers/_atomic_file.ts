// Replacing a file atomically: a temporary file beside it (0600), flushed, then renamed over
// it, and the directory entry flushed. Shared by BunFileStorage and the CLI's CSV snapshot.
import { chmod, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Writes a temporary file beside `path`, flushes it, then renames it over `path`. */
export async function replaceFile(path: string, text: string): Promise<void> {
  await replaceFileIf(path, text, async (commit) => {
    await commit();
    return true;
  });
}

/**
 * Writes `text` to a temporary file beside `path` and flushes it, then renames it over
 * `path` if `decide()` (run just before the rename) still agrees. The slow part happens
 * before `decide`, so a guard held around `decide` and the rename is held for a moment only.
 */
export async function replaceFileIf(
  path: string,
  text: string,
  decide: (commit: () => Promise<void>) => Promise<boolean>,
): Promise<boolean> {
  const directory = dirname(path);
  const temp = join(directory, `.${basename(path)}.${crypto.randomUUID()}.tmp`);
  let renamed = false;
  try {
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, 0o600); // in case the file system ignored the mode
    renamed = await decide(() => rename(temp, path));
  } finally {
    if (!renamed) await rm(temp, { force: true });
  }
  if (renamed) await syncDirectory(directory);
  return renamed;
}

/** Flushes a directory entry (the rename) to disk, where the platform allows it. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not every platform can open or fsync a directory; the rename itself is still atomic.
  }
}
