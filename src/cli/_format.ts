// Output of the data commands: an aligned table, JSON (the API's own objects), or CSV
// (RFC 4180: CRLF line ends, fields with commas, quotes or line breaks quoted). Text from the
// API (a transfer's reference is chosen by whoever sent it) never reaches the terminal with
// control or bidi characters, and never starts a CSV cell as a spreadsheet formula.

import type { OptionSpec, Values } from "./_args.ts";
import { UsageError } from "./_errors.ts";

/** The output formats. */
export type Format = "table" | "json" | "csv";

/** One value of a table or CSV row; `null` and `undefined` print as nothing. */
export type Cell = string | number | boolean | null | undefined;

/** A column: its header, and whether its values align right (amounts). */
export interface Column {
  header: string;
  right?: boolean;
}

/** What a data command prints: `json` for `--format json`, the columns and rows otherwise. */
export interface Output {
  json: unknown;
  columns: Column[];
  rows: Cell[][];
}

const FORMATS: readonly Format[] = ["table", "json", "csv"];

/** `--format`, shared by the data commands. */
export const FORMAT_OPTION: OptionSpec = {
  type: "string",
  value: "<table|json|csv>",
  description: "Output format. Default: table. json prints the API's objects unchanged.",
};

/** The `--format` value, checked. */
export function parseFormat(values: Values): Format {
  const value = values.format ?? "table";
  if (!FORMATS.includes(value as Format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(", ")} (got ${String(value)})`);
  }
  return value as Format;
}

/** Control characters (C0, DEL, C1), and the bidi marks, embeddings, overrides and isolates. */
const UNSAFE = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
const UNSAFE_BUT_LINES = /(?![\t\n\r])[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Text safe to print on a terminal: no escape sequences (ESC, OSC), no bidi overrides that
 * reorder what is shown. Line breaks and tabs are kept when `keepLines` is set, else they
 * become spaces like the rest.
 */
export function printable(text: string, options: { keepLines?: boolean } = {}): string {
  return options.keepLines ? text.replace(UNSAFE_BUT_LINES, "") : text.replace(UNSAFE, " ");
}

/** Renders an output in a format, ending with a line break. */
export function render(output: Output, format: Format): string {
  if (format === "json") {
    // JSON.stringify escapes control characters; bidi marks are escaped too (same data).
    return `${JSON.stringify(output.json, null, 2)}\n`.replace(
      /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
      (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  }
  if (format === "csv") return toCsv(output.columns, output.rows);
  return toTable(output.columns, output.rows);
}

/** RFC 4180 CSV with a header row. */
export function toCsv(columns: Column[], rows: Cell[][]): string {
  const lines = [columns.map((column) => column.header), ...rows].map((row) =>
    row.map((cell) => csvField(text(cell))).join(",")
  );
  return lines.map((line) => `${line}\r\n`).join("");
}

/**
 * Columns padded to their widest value, two spaces apart, under a dashed rule. Control
 * characters (line breaks, tabs, escapes) print as spaces, so one row stays one line.
 */
export function toTable(columns: Column[], rows: Cell[][]): string {
  const cells = rows.map((row) => row.map((cell) => printable(text(cell))));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((row) => row[i].length))
  );
  const line = (values: string[]) =>
    values.map((value, i) => columns[i].right ? value.padStart(widths[i]) : value.padEnd(widths[i]))
      .join("  ").trimEnd();
  return [
    line(columns.map((column) => column.header)),
    line(widths.map((width) => "-".repeat(width))),
    ...cells.map(line),
  ].map((row) => `${row}\n`).join("");
}

/**
 * Minor units as a decimal in major units, exactly (`-350`, `GBP` gives `-3.50`), with the
 * currency's own number of decimals.
 */
export function formatAmount(minor: number, currency: string): string {
  let digits = 2;
  try {
    digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
      .maximumFractionDigits ?? 2;
  } catch {
    // Not an ISO 4217 code: keep two decimals.
  }
  const scale = 10 ** digits;
  const whole = Math.trunc(Math.abs(minor) / scale);
  const fraction = digits ? `.${String(Math.abs(minor) % scale).padStart(digits, "0")}` : "";
  return `${minor < 0 ? "-" : ""}${whole}${fraction}`;
}

function text(cell: Cell): string {
  return cell === null || cell === undefined ? "" : String(cell);
}

/** Cells a spreadsheet would run as a formula: `=`, `+`, `-`, `@`, tab, CR, and their full-width forms. */
const FORMULA = /^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/;
const NUMBER = /^-?\d+(\.\d+)?$/;

function csvField(cell: string): string {
  let value = printable(cell, { keepLines: true });
  // As csv-stringify's escape_formulas: a leading quote makes it text. Plain numbers (the
  // amounts, -3.50) cannot be formulas and stay numbers.
  if (FORMULA.test(value) && !NUMBER.test(value)) value = `'${value}`;
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
