// Reading query strings and form bodies, with Monzo's validation errors.
import { badParam, missingParam } from "./_errors.ts";

/** Parameters of one request (query string or form body). Bracket keys arrive decoded. */
export class Params {
  readonly #source: URLSearchParams;

  constructor(source: URLSearchParams) {
    this.#source = source;
  }

  /** Form parameters; a body that is not form-encoded yields no parameters. */
  static form(contentType: string | null, bytes: Uint8Array): Params {
    const isForm = contentType?.toLowerCase().startsWith("application/x-www-form-urlencoded");
    return new Params(new URLSearchParams(isForm ? new TextDecoder().decode(bytes) : ""));
  }

  optional(name: string): string | undefined {
    const value = this.#source.get(name);
    return value === null || value === "" ? undefined : value;
  }

  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined) throw missingParam(name);
    return value;
  }

  all(name: string): string[] {
    return this.#source.getAll(name);
  }

  /** `prefix[key]=value` pairs as a record (the last value of a key wins). */
  map(prefix: string): Record<string, string> {
    const out: Record<string, string> = {};
    const start = `${prefix}[`;
    for (const [key, value] of this.#source) {
      if (key.startsWith(start) && key.endsWith("]") && key.length > start.length + 1) {
        out[key.slice(start.length, -1)] = value;
      }
    }
    return out;
  }

  /** A required positive integer (amounts in minor units, byte counts). */
  positiveInt(name: string): number {
    const raw = this.required(name);
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value <= 0) {
      throw badParam(name, "must be a positive integer");
    }
    return value;
  }

  /** Whether `expand[]` asks for `field`. */
  expands(field: string): boolean {
    return this.all("expand[]").includes(field);
  }
}

/** An absolute http(s) URL, or undefined. */
export function httpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}
