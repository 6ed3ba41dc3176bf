// `npm run demo`: the Hono example against the built-in emulator (or the real Monzo when
// MONZO_CLIENT_ID, MONZO_CLIENT_SECRET and MONZO_REDIRECT_URL are set), under Deno.
// `npm run demo -- --bun` runs it under Bun instead.
import { spawn } from "node:child_process";
import { bin, ensureDependencies } from "./_setup.mjs";

process.chdir(new URL("..", import.meta.url).pathname);
ensureDependencies();

const [cmd, args] = process.argv.includes("--bun")
  ? [bin("bun"), ["examples/hono/main.ts"]]
  : [bin("deno"), ["run", "-A", "examples/hono/main.ts"]];
const child = spawn(cmd, args, { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
