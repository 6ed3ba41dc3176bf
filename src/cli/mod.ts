/**
 * The `monzo` command line: log in once in the browser, then read your accounts, balances,
 * pots and transactions from the terminal, as a table, JSON or CSV.
 *
 * ```sh
 * export MONZO_CLIENT_ID=oauth2client_… MONZO_CLIENT_SECRET=…
 * deno run -A jsr:@monzo-api/client/cli login
 * deno run -A jsr:@monzo-api/client/cli transactions --since 30d --format csv
 * deno run -A jsr:@monzo-api/client/cli login --backfill --db monzo.sqlite
 * deno run -A jsr:@monzo-api/client/cli sync --db monzo.sqlite --csv transactions.csv
 * ```
 *
 * `login` listens on the client's loopback redirect URL (default
 * `http://localhost:8000/callback`, or `$MONZO_REDIRECT_URL`), opens Monzo's authorisation
 * page, checks the returned state, exchanges the code, saves the credentials to
 * `~/.config/monzo-api/credentials.json` (mode 0600; `--credentials` or `$MONZO_CREDENTIALS`
 * to change it) and waits until you allow access in the Monzo app. The other commands read
 * that file and write refreshed tokens back to it. `status` shows where the login stands and
 * `logout` revokes and deletes it. To rehearse offline with made-up data: `monzo emulator`
 * serves a local emulator, `monzo login --emulator` logs in to it, and the other commands then
 * use it too. Tokens and the client secret are never printed.
 *
 * `sync --db monzo.sqlite` keeps a copy of your transactions in a SQLite file and brings it
 * up to date on every run (new transactions, settlements with new amounts, edits, removals),
 * printing per account what was added, modified and removed and how far back the copy
 * reaches; `--csv out.csv` then writes an atomic snapshot of it. Monzo lists the history older
 * than 90 days only in the 5 minutes after you approve a login, so `login --backfill --db
 * monzo.sqlite` starts the sync the moment you approve. Both need SQLite: Node 22.5+, Deno or
 * Bun.
 *
 * Install it as a command with `deno install -g -A -n monzo jsr:@monzo-api/client/cli`.
 * It also runs under Bun and Node (it needs only web standards and `node:` modules).
 * Exit codes: 0 done, 1 failed, 2 bad usage, 3 synced but an account's history stops short
 * (`sync`, `login --backfill`: Monzo's 5-minute window was closed or ran out; log in again with
 * `--backfill`), 4 no SQLite in this runtime (Node before 22.5).
 *
 * @example Run the CLI from a script
 * ```ts
 * import { main } from "@monzo-api/client/cli";
 *
 * const exitCode = await main(["accounts", "--format", "json"]);
 * ```
 *
 * @module
 */

import { realpathSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { logout, status } from "./_account_commands.ts";
import { closest, type Command, commandHelp, parseCommand, PROGRAM, programHelp } from "./_args.ts";
import { dataCommands } from "./_commands.ts";
import { emulatorCommand } from "./_emulator.ts";
import { explain, UsageError } from "./_errors.ts";
import { beforeExit } from "./_exit.ts";
import { printable } from "./_format.ts";
import { login } from "./_login.ts";
import { EXIT_NO_SQLITE, MissingSqliteError, syncCommand } from "./_sync.ts";
import { VERSION } from "./_version.ts";

const COMMANDS: Command[] = [
  login,
  status,
  logout,
  ...dataCommands,
  syncCommand,
  emulatorCommand,
];

/**
 * Runs one command and returns its exit code (0 done, 1 failed, 2 bad usage, 3 synced but the
 * history stops short, 4 no SQLite in this runtime). Output goes to stdout, messages and
 * errors to stderr.
 *
 * @example
 * ```ts
 * import { main } from "@monzo-api/client/cli";
 *
 * const exitCode = await main(["balance", "--format", "csv"]);
 * if (exitCode !== 0) console.error("balance failed");
 * ```
 *
 * @param args The arguments after the program name, for example `["pots", "--format", "json"]`.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  const code = await run(args);
  // Whatever happened, the logins in memory are settled before the exit.
  const problems = await beforeExit();
  for (const problem of problems) process.stderr.write(`Error: ${printable(problem)}\n`);
  return problems.length > 0 && code === 0 ? 1 : code;
}

async function run(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  try {
    const help = programHelp(COMMANDS.map((command) => command.spec));
    if (name === undefined) {
      process.stderr.write(help);
      return 2;
    }
    if (name === "help" || name === "--help" || name === "-h") {
      process.stdout.write(help);
      return 0;
    }
    if (name === "--version" || name === "-V" || name === "version") {
      process.stdout.write(`${PROGRAM} ${VERSION}\n`);
      return 0;
    }
    const command = COMMANDS.find((candidate) => candidate.spec.name === name);
    if (!command) {
      const guess = closest(name, COMMANDS.map((candidate) => candidate.spec.name));
      throw new UsageError(
        `Unknown command "${name}".${guess ? ` Did you mean \`${PROGRAM} ${guess}\`?` : ""} ` +
          `Run \`${PROGRAM} --help\` for the list.`,
      );
    }
    const values = parseCommand(command.spec, rest);
    if (values.help) {
      process.stdout.write(commandHelp(command.spec));
      return 0;
    }
    return (await command.run(values)) ?? 0;
  } catch (error) {
    const { message, exitCode } = explain(error);
    process.stderr.write(`Error: ${printable(message, { keepLines: true })}\n`);
    return error instanceof MissingSqliteError ? EXIT_NO_SQLITE : exitCode;
  }
}

/** True when this module is the program being run (Deno and Bun say so; Node 20 does not). */
function isMain(): boolean {
  const meta = import.meta as ImportMeta & { main?: boolean };
  if (typeof meta.main === "boolean") return meta.main;
  const script = process.argv[1];
  if (!script || !import.meta.url.startsWith("file:")) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  // No process.exit(): it could cut off output still being written to a pipe.
  process.exitCode = await main(process.argv.slice(2));
}
