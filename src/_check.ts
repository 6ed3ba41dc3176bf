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
      let last: Node | undefined, lastCheck: Check = () => false;
      return (value) => {
        const picked = getter(value);
        if (picked !== last) lastCheck = derive(picked, seen), last = picked;
        return lastCheck(value);
      };
    }
  }
  throw new TypeError(`no fast check for a valibot ${node.type} schema`);
}

// Objects are walked with for-in, whose value loads the engines compile to direct field
// loads (`object[name]` with a computed name elsewhere is a megamorphic lookup, ten times
// slower). Each key is matched to its entry by its position in the last object walked (JSON
// objects of one kind share their key order), with a map lookup only when the order changes.
// Primitive entries (the most of them) are checked inline by a tag, without a call.
const STRING = 0, NUMBER = 1, BOOLEAN = 2, ANY = 3, OTHER = 4;
const TAGS: Record<string, number> = { string: STRING, number: NUMBER, boolean: BOOLEAN };

/**
 * `object` and `looseObject` (which differ in their output only). For-in sees enumerable keys
 * only: a required entry that is not enumerable makes the check fail (valibot then decides),
 * and optional ones are not read. JSON.parse makes every property enumerable and own, which
 * is all that is checked here (`parseWebhookEvent` runs valibot on values it did not parse).
 */
function objectCheck(entries: Record<string, Node>, seen: Map<Node, Check>): Check {
  const slots = new Map<string, number>();
  const tags: number[] = [], checks: Check[] = [], required: boolean[] = [];
  const canBeNull: boolean[] = [];
  let requiredCount = 0;
  for (const key of Object.keys(entries)) {
    let node = entries[key];
    let omit = false, nil = false;
    while ((node.type === "optional" || node.type === "nullish") && node.default === undefined) {
      omit = true;
      nil ||= node.type === "nullish";
      node = node.wrapped!;
    }
    const tag = node.pipe ? OTHER : node.type === "unknown" ? ANY : TAGS[node.type] ?? OTHER;
    slots.set(key, tags.length);
    tags.push(tag);
    checks.push(tag === OTHER ? derive(node, seen) : () => true);
    required.push(!omit);
    canBeNull.push(nil);
    if (!omit) requiredCount++;
  }
  // The key order of the last object walked: the key at each position, and its entry (-1
  // for a key the schema does not name).
  const orderKeys: string[] = [], orderSlots: number[] = [];
  return (value) => {
    if (!value || typeof value !== "object") return false;
    const object = value as Record<string, unknown>;
    let position = 0, found = 0;
    for (const key in object) {
      let slot: number;
      if (position < orderKeys.length && orderKeys[position] === key) slot = orderSlots[position];
      else {
        slot = slots.get(key) ?? -1;
        orderKeys[position] = key;
        orderSlots[position] = slot;
      }
      position++;
      if (slot < 0) continue;
      const field = object[key];
      if (field === undefined) {
        if (!required[slot]) continue;
      } else if (field === null && canBeNull[slot]) continue;
      const tag = tags[slot];
      if (tag === STRING) {
        if (typeof field !== "string") return false;
      } else if (tag === NUMBER) {
        if (typeof field !== "number" || field !== field) return false;
      } else if (tag === BOOLEAN) {
        if (typeof field !== "boolean") return false;
      } else if (tag === OTHER && !checks[slot](field)) return false;
      if (required[slot]) found++;
    }
    return found === requiredCount;
  };
}
