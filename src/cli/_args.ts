// Command-line parsing (node:util parseArgs, strict) and the help texts built from the same
// option specs.

import { parseArgs } from "node:util";
import { UsageError } from "./_errors.ts";

/** The command name used in help texts (`deno install -g -A -n monzo jsr:@monzo-api/client/cli`). */
export const PROGRAM = "monzo";

/** One `--option`. */
export interface OptionSpec {
  type: "string" | "boolean";
  /** One line of help. */
  description: string;
  /** What the value looks like, for string options (`<path>`). */
  value?: string;
}

/** A command's name, one-line summary and options (`--help` is added to every command). */
export interface CommandSpec {
  name: string;
  summary: string;
  options: Record<string, OptionSpec>;
  /** Paragraphs printed after the options (exit codes, examples). */
  details?: string[];
}

/** Parsed option values, by option name. */
export type Values = Record<string, string | boolean | undefined>;

/** A command: its spec, and what it does with the parsed options. */
export interface Command {
  spec: CommandSpec;
  /** Runs the command; resolves with an exit code other than 0 when it ends with one. */
  run(values: Values): Promise<number | void>;
}

const HELP: OptionSpec = { type: "boolean", description: "Show this help." };

/**
 * Parses `args` against a command's options. Unknown options, missing values and positional
 * arguments are usage errors.
 */
export function parseCommand(spec: CommandSpec, args: string[]): Values {
  const options = Object.fromEntries(
    Object.entries({ ...spec.options, help: HELP }).map(([name, option]) => [
      name,
      { type: option.type },
    ]),
  );
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Values;
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${problem.replace(/\.$/, "")}. Run \`${PROGRAM} ${spec.name} --help\`.`);
  }
}

/** The help text of one command. */
export function commandHelp(spec: CommandSpec): string {
  const entries = Object.entries({ ...spec.options, help: HELP }).map(([name, option]) => [
    `--${name}${option.value ? ` ${option.value}` : ""}`,
    option.description,
  ]);
  return [
    `${PROGRAM} ${spec.name}: ${spec.summary}`,
    "",
    `Usage: ${PROGRAM} ${spec.name} [options]`,
    "",
    "Options:",
    ...columns(entries),
    "",
    ...(spec.details ?? []).flatMap((paragraph) => [...wrap(paragraph, LINE_WIDTH), ""]),
  ].join("\n");
}

/** The help text listing every command. */
export function programHelp(specs: CommandSpec[]): string {
  return [
    `${PROGRAM}: log in to Monzo and read your accounts from the terminal.`,
    "",
    `Usage: ${PROGRAM} <command> [options]`,
    "       deno run -A jsr:@monzo-api/client/cli <command> [options]",
    "",
    "Commands:",
    ...columns(specs.map((spec) => [spec.name, spec.summary])),
    "",
    `Run \`${PROGRAM} <command> --help\` for a command's options; \`${PROGRAM} --version\` prints`,
    "the version. Exit codes: 0 done, 1 failed, 2 bad usage, 3 synced but the history is",
    "partial (sync, login --backfill: log in again within 5 minutes), 4 no SQLite in this",
    "runtime (sync, login --backfill: use Node 22.5+, Deno or Bun).",
    "",
  ].join("\n");
}

const LINE_WIDTH = 88;

/** Two columns; the right one wraps at word boundaries within the line width. */
function columns(entries: string[][]): string[] {
  const width = Math.max(...entries.map(([left]) => left.length));
  const room = Math.max(LINE_WIDTH - width - 4, 20);
  return entries.flatMap(([left, right]) =>
    wrap(right, room).map((line, i) => `  ${(i ? "" : left).padEnd(width)}  ${line}`.trimEnd())
  );
}

function wrap(text: string, room: number): string[] {
  const lines = [""];
  for (const word of text.split(" ")) {
    const last = lines[lines.length - 1];
    if (last && last.length + 1 + word.length > room) lines.push(word);
    else lines[lines.length - 1] = last ? `${last} ${word}` : word;
  }
  return lines;
}

/** The name in `names` closest to a mistyped `name` (at most 2 edits away), if any. */
export function closest(name: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of names) {
    const distance = editDistance(name.toLowerCase(), candidate);
    if (distance < bestDistance || (candidate.startsWith(name) && name.length >= 3)) {
      best = candidate;
      bestDistance = Math.min(distance, bestDistance);
    }
  }
  return best;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j] + 1,
        row[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length];
}
