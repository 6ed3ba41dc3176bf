// Injected faults: error statuses, delays, dropped connections and raw bodies.
import { ApiError, codeForStatus } from "./_errors.ts";
import type { Random } from "./_random.ts";
import { sleep } from "./_time.ts";
import type { EmulatorFault } from "./types.ts";

const MESSAGES: Record<number, string> = {
  429: "Too many requests, please slow down",
  500: "An internal error occurred",
  502: "Bad gateway",
  503: "Service unavailable",
  504: "Gateway timeout",
};

/** The faults waiting to hit requests, in the order they were injected. */
export class Faults {
  readonly #rng: Random;
  #list: Array<{ fault: EmulatorFault; remaining: number }> = [];

  constructor(rng: Random) {
    this.#rng = rng;
  }

  add(fault: EmulatorFault): void {
    const remaining = fault.count ?? 1;
    if (!(remaining > 0)) throw new RangeError("fault count must be positive");
    const probability = fault.probability ?? 1;
    if (!(probability >= 0 && probability <= 1)) {
      throw new RangeError("fault probability must be within 0..1");
    }
    this.#list.push({ fault, remaining });
  }

  clear(): void {
    this.#list = [];
  }

  /** The first fault that matches and fires for this request, using up one of its count. */
  take(method: string, path: string): EmulatorFault | undefined {
    for (const item of this.#list) {
      const { fault } = item;
      if (fault.method && fault.method.toUpperCase() !== method) continue;
      if (typeof fault.path === "string" && fault.path !== path) continue;
      if (
        fault.path instanceof RegExp && !new RegExp(fault.path.source, fault.path.flags).test(path)
      ) continue;
      if (fault.probability !== undefined && !(this.#rng.next() < fault.probability)) continue;
      if (--item.remaining <= 0) this.#list = this.#list.filter((other) => other !== item);
      return fault;
    }
    return undefined;
  }
}

/** The response a fault gives, or undefined when the request should proceed (a pure delay). */
export async function faultResponse(
  fault: EmulatorFault,
  request: Request,
): Promise<Response | undefined> {
  if (fault.delayMs) await sleep(fault.delayMs, request.signal);
  if (fault.drop) return droppedResponse();
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
  if (fault.body !== undefined) {
    headers["content-type"] = fault.contentType ?? "text/html; charset=utf-8";
    return new Response(fault.body, { status: fault.status ?? 200, headers });
  }
  if (fault.status === undefined) return undefined;
  const code = fault.code ?? codeForStatus(fault.status);
  const message = fault.message ?? MESSAGES[fault.status] ??
    `Injected fault (HTTP ${fault.status})`;
  const oauthError = code.startsWith("unauthorized") ? "invalid_token" : undefined;
  return new ApiError(code, message, { status: fault.status, oauthError }).toResponse(headers);
}

const dropped = new WeakSet<Response>();

/** Whether a response is a dropped connection (servers then reset the connection). */
export function isDropped(response: Response): boolean {
  return dropped.has(response);
}

/** A response whose body fails as soon as it is read, like a connection reset mid-response. */
function droppedResponse(): Response {
  const response = new Response(failingBody(new TypeError(DROP_MESSAGE)), {
    headers: { "content-type": "application/json" },
  });
  dropped.add(response);
  return response;
}

/**
 * A body stream that sends one byte, then errors with `reason`: a connection dropped
 * mid-response. (An error before the first byte would let some clients, Bun's fetch among
 * them, silently send a GET again on a fresh connection, so the drop would never be seen.)
 */
export function failingBody(reason: unknown): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sent) {
        sent = true;
        return controller.enqueue(new TextEncoder().encode("{"));
      }
      await new Promise((resolve) => setTimeout(resolve, 1)); // let the first byte go out
      controller.error(reason);
    },
  });
}

/** What the emulator says when a fault drops a connection. */
export const DROP_MESSAGE = "Monzo emulator: an injected fault dropped the connection";
