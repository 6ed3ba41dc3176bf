// Seeded randomness and Monzo-looking identifiers.

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A small deterministic PRNG (mulberry32) with helpers for fake data. */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  digits(length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += String(this.int(0, 9));
    return out;
  }

  base62(length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += BASE62[Math.floor(this.next() * 62)];
    return out;
  }

  /**
   * A Monzo-style id such as `tx_00009237aqC8c5umZmrRdh`: the prefix, then 11
   * base-62 characters of the creation time (so ids sort by time) and 11 random ones.
   */
  id(prefix: string, timeMs: number): string {
    let time = "";
    let rest = Math.max(0, Math.floor(timeMs));
    for (let i = 0; i < 11; i++) {
      time = BASE62[rest % 62] + time;
      rest = Math.floor(rest / 62);
    }
    return `${prefix}_${time}${this.base62(11)}`;
  }
}

/** Unguessable base-62 text (secrets are not seeded). */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length))) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62]; // 248 = 4 × 62: no bias
    }
  }
  return out;
}

/** An unguessable, opaque, JWT-looking token (tokens and codes are not seeded). */
export function opaqueToken(kind: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const header = base64url(new TextEncoder().encode('{"alg":"ES256","typ":"JWT"}'));
  const payload = base64url(
    new TextEncoder().encode(JSON.stringify({ typ: kind, jti: base64url(bytes.subarray(0, 12)) })),
  );
  return `${header}.${payload}.${base64url(bytes)}`;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}
