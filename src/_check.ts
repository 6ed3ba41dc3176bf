// Check, don't copy: a check-only twin of a valibot schema, derived by walking the schema's
// objects into composed closures (no eval or new Function: Workers forbid them). It answers
// true exactly when valibot's `safeParse` would succeed, and copies nothing, so a conforming
// body is returned as it was parsed. valibot runs only when the check fails, for the error.

import type { GenericSchema } from "valibot";

/** True when the value conforms. */
export type Check = (value: unknown) => boolean;

/** The parts of valibot's schema objects that the walk reads. */
interface Node {
  type: string;
  wrapped?: Node;
  default?: unknown;
  entries?: Record<string, Node>;
  item?: Node;
  key?: Node;
  value?: Node;
  literal?: unknown;
  getter?: (input: unknown) => Node;
  pipe?: unknown;
}

const OPTIONAL = new Set(["optional", "nullish", "exact_optional"]);

/**
 * Derives the check of a schema built from `string`, `number`, `boolean`, `literal`,
 * `unknown`, `optional`, `nullish`, `object`, `looseObject`, `array`, `record` and `lazy`.
 *
 * @throws {TypeError} For any other kind of schema (so that a new one cannot slip past).
 */
export function deriveCheck(schema: GenericSchema): Check {
  return derive(schema as unknown as Node, new Map());
}

function derive(node: Node, seen: Map<Node, Check>): Check {
  const known = seen.get(node);
  if (known) return known;
  const check = build(node, seen);
  seen.set(node, check);
  return check;
}

function build(node: Node, seen: Map<Node, Check>): Check {
  // A pipe keeps its first schema's type: its actions would go unchecked.
  switch (node.pipe ? "pipe" : node.type) {
    case "string":
      return (value) => typeof value === "string";
    case "number":
      // valibot's number() refuses NaN.
      return (value) => typeof value === "number" && value === value;
    case "boolean":
      return (value) => typeof value === "boolean";
    case "unknown":
      return () => true;
    case "literal": {
      const literal = node.literal;
      return (value) => value === literal || (value !== value && literal !== literal);
    }
    case "optional":
    case "nullish": {
      if (node.default !== undefined) break;
      const inner = derive(node.wrapped!, seen);
      return node.type === "optional"
        ? (value) => value === undefined || inner(value)
        : (value) => value === undefined || value === null || inner(value);
    }
    case "object":
    case "loose_object":
      return objectCheck(node.entries!, seen);
    case "array": {
      const item = derive(node.item!, seen);
      return (value) => {
        if (!Array.isArray(value)) return false;
        for (let i = 0; i < value.length; i++) if (!item(value[i])) return false;
        return true;
      };
    }
    case "record": {
      const key = derive(node.key!, seen);
      const item = derive(node.value!, seen);
      return (value) => {
        if (!value || typeof value !== "object") return false;
        const record = value as Record<string, unknown>;
        for (const k in record) {
          if (!Object.hasOwn(record, k) || k === "__proto__" || k === "prototype") continue;
          if (k === "constructor") continue;
          if (!key(k) || !item(record[k])) return false;
        }
        return true;
      };
    }
    case "lazy": {
      // The getter picks a schema by the input; each schema it returns is derived once.
      const getter = node.getter!;
      const cache = new Map<Node, Check>();
      return (value) => {
        const picked = getter(value);
        let check = cache.get(picked);
        if (!check) cache.set(picked, check = derive(picked, seen));
        return check(value);
      };
    }
  }
  throw new TypeError(`no fast check for a valibot ${node.type} schema`);
}

/** `object` and `looseObject` (which differ only in their output, not in what they accept). */
function objectCheck(entries: Record<string, Node>, seen: Map<Node, Check>): Check {
  const keys = Object.keys(entries);
  const checks = keys.map((key) => derive(entries[key], seen));
  // A key that is absent fails a required entry even when its schema accepts undefined.
  const required = keys.map((key) => !OPTIONAL.has(entries[key].type));
  const n = keys.length;
  return (value) => {
    if (!value || typeof value !== "object") return false;
    const object = value as Record<string, unknown>;
    for (let i = 0; i < n; i++) {
      const field = object[keys[i]];
      if (field === undefined && required[i] && !(keys[i] in object)) return false;
      if (!checks[i](field)) return false;
    }
    return true;
  };
}
