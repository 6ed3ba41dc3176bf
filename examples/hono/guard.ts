// Who may reach the app: only the hosts it is served as (no DNS rebinding), and, when it is
// reachable from other machines, only someone who knows the dashboard password.
import type { MiddlewareHandler } from "hono";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);
/** Wrong passwords allowed per window, from anyone, before every attempt waits. */
const MAX_FAILURES = 10;
const WINDOW_MS = 60_000;

/** Whether `hostname` (a URL's hostname, or HOST) is this machine only. */
export function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

/** Compares two secrets in time that does not depend on where they differ. */
export async function sameSecret(given: string, expected: string): Promise<boolean> {
  const digest = (text: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  const [a, b] = (await Promise.all([digest(given), digest(expected)])).map((d) =>
    new Uint8Array(d)
  );
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * Why the app must not start as configured, or undefined: listening beyond loopback (HOST)
 * or published (PUBLIC_URL) without DASHBOARD_PASSWORD would show balances and move money
 * for anyone who finds it.
 */
export function exposureProblem(env: {
  HOST?: string;
  PUBLIC_URL?: string;
  DASHBOARD_PASSWORD?: string;
}): string | undefined {
  if (env.DASHBOARD_PASSWORD) return undefined;
  const where = env.PUBLIC_URL
    ? `PUBLIC_URL is set (${env.PUBLIC_URL})`
    : env.HOST && !isLoopback(env.HOST)
    ? `HOST=${env.HOST} listens beyond this machine`
    : undefined;
  return where &&
    `${where}, so anyone who reaches the app could see the balances and move money. Set ` +
      "DASHBOARD_PASSWORD to a long random password, or leave HOST and PUBLIC_URL unset to keep " +
      "the app on this machine.";
}

/** Answers 421 unless the request's host is one of `origins`' hosts (stops DNS rebinding). */
export function hostGuard(origins: string[]): MiddlewareHandler {
  const hosts = new Set(origins.map((origin) => new URL(origin).host));
  return async (c, next) => {
    if (!hosts.has(new URL(c.req.url).host)) {
      return c.text("This app is not served under that name.", 421);
    }
    await next();
  };
}

/**
 * HTTP Basic with one password (any user name), compared in constant time. After
 * {@link MAX_FAILURES} wrong passwords in a minute, every attempt is answered 429 until the
 * minute has passed, so guessing is slow. The webhook (guarded by its secret) is let through.
 */
export function passwordGuard(password: string, now: () => number): MiddlewareHandler {
  const failures: number[] = [];
  return async (c, next) => {
    if (c.req.path.startsWith("/webhooks/")) return await next();
    const time = now();
    while (failures.length > 0 && failures[0] <= time - WINDOW_MS) failures.shift();
    if (failures.length >= MAX_FAILURES) {
      const wait = Math.ceil((failures[0] + WINDOW_MS - time) / 1000);
      return c.text("Too many wrong passwords. Try again in a minute.", 429, {
        "Retry-After": String(wait),
      });
    }
    const given = basicPassword(c.req.header("authorization"));
    if (given !== undefined && await sameSecret(given, password)) return await next();
    if (given !== undefined) failures.push(time);
    return c.text("This dashboard needs its password.", 401, {
      "WWW-Authenticate": 'Basic realm="Monzo dashboard", charset="UTF-8"',
    });
  };
}

/** The password of an `Authorization: Basic` header, or undefined. */
function basicPassword(header: string | undefined): string | undefined {
  const match = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(header ?? "");
  if (!match) return undefined;
  try {
    const text = new TextDecoder().decode(
      Uint8Array.from(atob(match[1]), (ch) => ch.charCodeAt(0)),
    );
    const colon = text.indexOf(":");
    return colon < 0 ? undefined : text.slice(colon + 1);
  } catch {
    return undefined;
  }
}
