// Runs the CLI (src/cli/mod.ts) as a child process of the runtime running the tests: `deno
// run -A`, `bun`, or `node --import tsx`. Its environment has no MONZO_* variables and a
// temporary XDG_CONFIG_HOME of this test process's own, so no test reads or writes a real
// login (or another test file's emulator).

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const entry = join(root, "src", "cli", "mod.ts");
const configHome = mkdtempSync(join(tmpdir(), "monzo-cli-config-"));
process.once("exit", () => rmSync(configHome, { recursive: true, force: true }));

/** A running CLI: its output so far, a way to wait for a line, and its exit code. */
export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stderr, waiting for more output. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The exit code. */
  exited: Promise<number | null>;
}

/** What a finished CLI printed, and its exit code. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A temporary directory for credentials files, and its removal. */
export async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "monzo-cli-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Starts the CLI with `args`, the environment described above plus `env`. */
export function startCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const runtime = process.versions.deno
    ? ["run", "-A", entry]
    : process.versions.bun
    ? [entry]
    : ["--import", "tsx", entry];
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("MONZO_")),
  );
  const child = spawn(process.execPath, [...runtime, ...args], {
    cwd: root,
    env: { ...base, NO_COLOR: "1", XDG_CONFIG_HOME: configHome, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  child.stdout!.on("data", (chunk) => (stdout += chunk));
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
    for (const listener of listeners) listener();
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForStderr(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = stderr.match(pattern);
          if (!match) return;
          done();
          resolve(match);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} in the CLI's stderr:\n${stderr}`));
        }, timeoutMs);
        const gone = () => {
          done();
          reject(new Error(`the CLI exited without printing ${pattern}:\n${stderr}`));
        };
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off("close", gone);
        };
        listeners.add(check);
        child.once("close", gone);
        check();
      });
    },
  };
}

/** Runs the CLI to its end. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const cli = startCli(args, env);
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Splits RFC 4180 CSV into rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[i++];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), field = "";
    else if (c === "\r" && text[i + 1] === "\n") {
      rows.push([...row, field]), row = [], field = "", i++;
    } else field += c;
  }
  return rows;
}
