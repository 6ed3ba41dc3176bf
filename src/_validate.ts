// Argument checks for the endpoint methods. Each returns the value to send, or throws a
// MonzoArgumentError naming the argument, before any request is made.

import { MonzoArgumentError } from "./errors.ts";
import type { CallOptions, Receipt } from "./models.ts";

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const COLOUR = /^#[0-9a-f]{6}$/i;
const MIME = /^[\w.+-]+\/[\w.+-]+$/;
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

type Dict = Record<string, unknown>;

/** An options object (or nothing), with its `signal` for the request. */
export function checkOptions<T extends CallOptions>(value: T | undefined): T {
  return value === undefined ? {} as T : checkObject(value, "options");
}

/** An object argument that must be given. */
export function checkObject<T extends object>(value: T, name: string): T {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MonzoArgumentError(name, "must be an object");
  }
  return value;
}

/** A non-empty string. */
export function checkText(value: unknown, name: string): string {
  if (typeof value !== "string" || value === "") {
    throw new MonzoArgumentError(name, "must be a non-empty string");
  }
  return value;
}

/** An id that goes into a URL path: a non-empty string without `/`, `?` or `#`. */
export function checkId(value: unknown, name: string): string {
  if (typeof value !== "string" || value === "" || /[/?#]/.test(value)) {
    throw new MonzoArgumentError(name, "must be a non-empty id without '/', '?' or '#'");
  }
  return value;
}

/** An amount of money to move: a positive safe integer of minor units. */
export function checkAmount(value: unknown, name: string): number {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw new MonzoArgumentError(name, "must be a positive integer of minor units (pence)");
  }
  return value as number;
}

/** A `#RRGGBB` colour, when given. */
export function checkColour(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !COLOUR.test(value)) {
    throw new MonzoArgumentError(name, "must be a colour in the form #RRGGBB");
  }
  return value;
}

/** A MIME type such as `image/png`. */
export function checkMimeType(value: unknown, name: string): string {
  if (typeof value !== "string" || !MIME.test(value)) {
    throw new MonzoArgumentError(name, "must be a MIME type such as image/png");
  }
  return value;
}

/** An absolute http(s) URL. */
export function checkHttpUrl(value: unknown, name: string): string {
  if (!httpUrl(value)) throw new MonzoArgumentError(name, "must be an absolute http(s) URL");
  return value as string;
}

/** A URL Monzo calls or sends a browser to: https, or http on localhost / 127.0.0.1 only. */
export function checkSecureUrl(value: unknown, name: string): string {
  const url = httpUrl(value);
  if (!url || (url.protocol === "http:" && !LOCAL_HOSTS.has(url.hostname))) {
    throw new MonzoArgumentError(
      name,
      "must be an absolute https URL (http only for localhost and 127.0.0.1)",
    );
  }
  return value as string;
}

/** An API or authorisation base URL: absolute http(s); returned without a trailing slash. */
export function checkBaseUrl(value: unknown, name: string): string {
  const url = httpUrl(value);
  if (!url) throw new MonzoArgumentError(name, "must be an absolute http(s) URL");
  return url.href.replace(/\/+$/, "");
}

/** A string that may be left out (`undefined`, `null` or `""`), or else non-empty. */
export function optionalText(value: unknown, name: string): string | undefined {
  return value === undefined || value === null || value === "" ? undefined : checkText(value, name);
}

/** A finite number of at least `min`, when given. */
export function checkNumber(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new MonzoArgumentError(name, `must be a finite number ≥ ${min}`);
  }
  return value;
}

/** A whole number ≥ 0, when given. */
export function checkCount(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new MonzoArgumentError(name, "must be a whole number ≥ 0");
  }
  return value as number;
}

function httpUrl(value: unknown): URL | null {
  if (typeof value !== "string") return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url : null;
  } catch {
    return null;
  }
}

/** A page size, when given: an integer from 1 to 100. */
export function checkLimit(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 100) {
    throw new MonzoArgumentError(name, "must be an integer from 1 to 100");
  }
  return value as number;
}

/**
 * A pagination bound, when given: a valid Date or an RFC 3339 timestamp, sent as RFC 3339;
 * with `allowId`, also a transaction id (`tx_…`).
 */
export function checkTime(value: unknown, name: string, allowId: boolean): string | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
  if (typeof value === "string") {
    if (allowId && value.startsWith("tx_")) return checkId(value, name);
    if (RFC3339.test(value) && !Number.isNaN(Date.parse(value))) return value;
  }
  throw new MonzoArgumentError(
    name,
    allowId
      ? "must be a valid Date, an RFC 3339 timestamp or a transaction id (tx_…)"
      : "must be a valid Date or an RFC 3339 timestamp (Monzo takes an id only for since)",
  );
}

/** Annotations: at least one key, string values (`""` deletes a key), no brackets in keys. */
export function checkMetadata(value: unknown, name: string): Record<string, string> {
  const metadata = checkObject(value as Dict, name);
  const keys = Object.keys(metadata);
  if (keys.length === 0) throw new MonzoArgumentError(name, "must have at least one key");
  for (const key of keys) {
    if (key === "" || /[[\]]/.test(key)) {
      throw new MonzoArgumentError(`${name}[${JSON.stringify(key)}]`, "is not a valid key");
    }
    if (typeof metadata[key] !== "string") {
      throw new MonzoArgumentError(`${name}.${key}`, "must be a string ('' deletes the key)");
    }
  }
  return metadata as Record<string, string>;
}

/** File bytes: a non-empty Uint8Array or Blob. Returns their size. */
export function checkData(value: unknown, name: string): number {
  const size = value instanceof Uint8Array
    ? value.byteLength
    : typeof Blob !== "undefined" && value instanceof Blob
    ? value.size
    : -1;
  if (size <= 0) throw new MonzoArgumentError(name, "must be a non-empty Uint8Array or Blob");
  return size;
}

/** A receipt as Monzo takes it: the required fields present, amounts integers. */
export function checkReceipt(value: unknown, name: string): Receipt {
  const receipt = checkObject(value as Dict, name);
  checkText(receipt.transaction_id, `${name}.transaction_id`);
  checkText(receipt.external_id, `${name}.external_id`);
  checkAmount(receipt.total, `${name}.total`);
  checkText(receipt.currency, `${name}.currency`);
  const items = checkLines(receipt.items, `${name}.items`, "description", true);
  items.forEach((item, i) => {
    if (item.sub_items === undefined) return;
    const subItems = checkLines(item.sub_items, `${name}.items[${i}].sub_items`, "description");
    subItems.forEach((sub, j) => {
      if (sub.sub_items !== undefined) {
        throw new MonzoArgumentError(
          `${name}.items[${i}].sub_items[${j}].sub_items`,
          "is not allowed (sub-items are one level deep)",
        );
      }
    });
  });
  checkLines(receipt.taxes, `${name}.taxes`, "description");
  checkLines(receipt.payments, `${name}.payments`, "type");
  if (receipt.merchant !== undefined) checkObject(receipt.merchant as Dict, `${name}.merchant`);
  return receipt as Receipt;
}

/** An optional (or, with `required`, non-empty) list of `{ <label>, amount, currency }`. */
function checkLines(value: unknown, name: string, label: string, required = false): Dict[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value) || (required && value.length === 0)) {
    throw new MonzoArgumentError(name, required ? "must be a non-empty array" : "must be an array");
  }
  value.forEach((line, i) => {
    checkObject(line, `${name}[${i}]`);
    checkText(line[label], `${name}[${i}].${label}`);
    if (!Number.isSafeInteger(line.amount)) {
      throw new MonzoArgumentError(`${name}[${i}].amount`, "must be an integer of minor units");
    }
    checkText(line.currency, `${name}[${i}].currency`);
  });
  return value;
}
