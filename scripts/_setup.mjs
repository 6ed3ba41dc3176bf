// Installs the npm dependencies (Deno, Bun, miniflare, tsx, ...) when they are missing or
// older than package-lock.json, so that `npm test` and `npm run demo` work on a fresh clone.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

/** Runs `npm ci` unless node_modules is already in step with package-lock.json. */
export function ensureDependencies() {
  const marker = "node_modules/.package-lock.json";
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync("package-lock.json").mtimeMs) {
    return;
  }
  console.log("Installing dependencies (npm ci)...");
  const result = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** The path of a binary installed by npm. */
export function bin(name) {
  return `node_modules/.bin/${name}`;
}
