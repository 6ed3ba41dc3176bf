// Defect 7 of the login-safety issue: a one-shot process (the CLI) on a full disk. Monzo
// rotates the refresh token, the store fails with ENOSPC, and the process must not exit with
// the only working token set in memory: it writes a 0600 rescue copy elsewhere and says where.
// The full disk is real: a 64 KiB tmpfs, filled up (needs root, as CI is; skipped otherwise).

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BunFileStorage } from "../src/handlers/bun_file.ts";
import { runCli, tempDir } from "./_cli.ts";
import { startEmulator } from "./_emulator.ts";

/** Mounts a tiny tmpfs at `dir`; false when this machine does not let us. */
function mountTiny(dir: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", dir], {
      stdio: "ignore",
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes filler files until the file system answers ENOSPC, then frees one page: room for the
 * lock file (the refresh goes ahead and Monzo rotates), none for the new credentials.
 */
async function fillAllButOnePage(dir: string): Promise<void> {
  for (let i = 0;; i++) {
    try {
      await writeFile(join(dir, `filler-${i}`), new Uint8Array(4096));
    } catch (error) {
      if ((error as { code?: string }).code !== "ENOSPC") throw error;
      await rm(join(dir, "filler-0"));
      return;
    }
  }
}

const probe = await tempDir();
const canMount = mountTiny(probe.path);
if (canMount) execFileSync("umount", [probe.path]);
await probe.remove();

test(
  "defect 7: the CLI on a full disk writes a 0600 rescue copy of the rotated set and says where",
  { skip: !canMount && "cannot mount a tmpfs here (needs root)", timeout: 60_000 },
  async () => {
    const served = await startEmulator();
    const dir = await tempDir();
    const disk = join(dir.path, "disk");
    const rescueDir = join(dir.path, "tmp");
    await mkdir(disk);
    await mkdir(rescueDir);
    assert.ok(mountTiny(disk));
    try {
      const { emulator } = served;
      const tokens = emulator.login();
      const file = join(disk, "credentials.json");
      await new BunFileStorage(file).store({
        accessToken: tokens.accessToken,
        clientId: emulator.client.id,
        clientSecret: emulator.client.secret,
        expiry: tokens.expiry,
        refreshToken: tokens.refreshToken,
        generation: 3,
      });
      emulator.advanceTime(31 * 3600); // the access token has expired: the CLI must refresh
      await fillAllButOnePage(disk);

      const result = await runCli(["whoami", "--credentials", file], {
        MONZO_API_URL: served.url,
        TMPDIR: rescueDir,
      });
      assert.notEqual(result.code, 0, result.stderr);
      assert.equal(emulator.counters.grants.refresh_token, 1);
      const match = result.stderr.match(/a rescue copy is at (\S+monzo-rescue-\S+\.json)/);
      assert.ok(match, result.stderr);
      const rescued = JSON.parse(await readFile(match[1], "utf8"));
      assert.equal((await stat(match[1])).mode & 0o777, 0o600);
      assert.equal(emulator.tokenStatus(rescued.accessToken), "active", "not the newest set");
      assert.equal(rescued.generation, 4);
      assert.equal(emulator.tokenStatus(tokens.refreshToken!), "rotated");
      for (const secret of [rescued.accessToken, rescued.refreshToken, emulator.client.secret]) {
        assert.ok(!result.stderr.includes(secret) && !result.stdout.includes(secret));
      }

      // Once there is room again, the rescue copy put back is the login: no new login needed.
      for (let i = 1;; i++) {
        const filler = join(disk, `filler-${i}`);
        if (!(await stat(filler).catch(() => null))) break;
        await rm(filler);
      }
      await rename(match[1], file).catch(async () => {
        await writeFile(file, await readFile(match[1]), { mode: 0o600 });
      });
      const again = await runCli(["whoami", "--credentials", file], {
        MONZO_API_URL: served.url,
      });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(emulator.counters.refreshReuses, 0);
    } finally {
      execFileSync("umount", [disk]);
      await dir.remove();
      await served.close();
    }
  },
);
