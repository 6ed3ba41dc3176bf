// Validation of receipts (`PUT /transaction-receipts`, the one JSON-bodied endpoint).
import { badParam, missingParam } from "./_errors.ts";

type Json = Record<string, unknown>;
type Kind = "string" | "integer" | "number" | "array" | "object";

/** A validated receipt body (fields beyond the documented ones are kept). */
export interface ReceiptBody {
  [field: string]: unknown;
  external_id: string;
  transaction_id: string;
  total: number;
  currency: string;
  items: Json[];
  taxes: Json[];
  payments: Json[];
  merchant: Json;
}

/** A receipt as stored and returned by `GET /transaction-receipts`. */
export type Receipt = ReceiptBody & { id: string };

const PAYMENT_TYPES = ["card", "cash", "gift_card"];

/** Checks a receipt body; throws 400 `missing_param`/`bad_param` errors naming the field path. */
export function validateReceipt(body: unknown, strict: boolean): ReceiptBody {
  if (!isObject(body)) throw badParam("body", "must be a JSON object");
  const receipt = {
    ...body,
    external_id: check(body, "external_id", "string", true, ""),
    transaction_id: check(body, "transaction_id", "string", true, ""),
    total: check(body, "total", "integer", true, ""),
    currency: check(body, "currency", "string", true, ""),
    items: list(body, "items", true, ""),
    taxes: list(body, "taxes", false, ""),
    payments: list(body, "payments", false, ""),
    merchant: (check(body, "merchant", "object", false, "") ?? {}) as Json,
  } as ReceiptBody;
  if (receipt.total <= 0) throw badParam("total", "must be positive");
  receipt.items.forEach((item, i) => checkItem(item, `items[${i}]`, true));
  receipt.taxes.forEach((tax, i) => {
    const path = `taxes[${i}]`;
    check(tax, "description", "string", true, path);
    check(tax, "amount", "integer", true, path);
    check(tax, "currency", "string", true, path);
    check(tax, "tax_number", "string", false, path);
  });
  receipt.payments.forEach((payment, i) => {
    const path = `payments[${i}]`;
    const type = check(payment, "type", "string", true, path) as string;
    if (!PAYMENT_TYPES.includes(type)) {
      throw badParam(`${path}.type`, `must be one of ${PAYMENT_TYPES.join(", ")}`);
    }
    check(payment, "amount", "integer", true, path);
    check(payment, "currency", "string", true, path);
  });
  if (strict) checkSums(receipt);
  return receipt;
}

function checkItem(item: Json, path: string, allowSubItems: boolean): void {
  check(item, "description", "string", true, path);
  check(item, "amount", "integer", true, path);
  check(item, "currency", "string", true, path);
  check(item, "quantity", "number", false, path);
  check(item, "unit", "string", false, path);
  check(item, "tax", "integer", false, path);
  if (!allowSubItems && item.sub_items !== undefined) {
    throw badParam(`${path}.sub_items`, "sub-items cannot have sub-items");
  }
  list(item, "sub_items", false, path).forEach((sub, i) =>
    checkItem(sub, `${path}.sub_items[${i}]`, false)
  );
}

function checkSums(receipt: ReceiptBody): void {
  const sum = (rows: Json[]) => rows.reduce((total, row) => total + (row.amount as number), 0);
  if (sum(receipt.items) + sum(receipt.taxes) !== receipt.total) {
    throw badParam("total", "items and taxes must add up to the total");
  }
  if (receipt.payments.length > 0 && sum(receipt.payments) !== receipt.total) {
    throw badParam("payments", "payments must add up to the total");
  }
  receipt.items.forEach((item, i) => {
    const subs = (item.sub_items ?? []) as Json[];
    if (subs.length > 0 && sum(subs) !== item.amount) {
      throw badParam(`items[${i}].amount`, "sub-items must add up to the item amount");
    }
  });
}

function check(obj: Json, key: string, kind: Kind, required: boolean, parent: string): unknown {
  const path = parent ? `${parent}.${key}` : key;
  const value = obj[key];
  if (value === undefined || value === null || value === "") {
    if (required) throw missingParam(path);
    return undefined;
  }
  if (!isKind(value, kind)) {
    throw badParam(path, `must be ${kind === "integer" ? "an" : "a"} ${kind}`);
  }
  return value;
}

function isKind(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case "integer":
      return Number.isSafeInteger(value);
    case "array":
      return Array.isArray(value);
    case "object":
      return isObject(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "string":
      return typeof value === "string";
  }
}

function list(obj: Json, key: string, required: boolean, parent: string): Json[] {
  const rows = (check(obj, key, "array", required, parent) ?? []) as unknown[];
  const path = parent ? `${parent}.${key}` : key;
  if (required && rows.length === 0) throw missingParam(path);
  return rows.map((row, i) => {
    if (!isObject(row)) throw badParam(`${path}[${i}]`, "must be an object");
    return row;
  });
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
