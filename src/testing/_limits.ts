// Bounds on what a request may send and on what the emulator keeps, so that a process serving
// it cannot be made to grow without limit, and the rules for who may drive it.
import { ApiError } from "./_errors.ts";

/** Request bodies larger than this are refused with 413 unless the options say otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** How many entries each growing map of the emulator keeps (the oldest go first). */
export const MAP_LIMIT = 1000;

/** Uploaded files kept (each at most the body limit). */
export const UPLOAD_LIMIT = 32;

/** Stores `key` in `map`, then drops the oldest entries until at most `max` are left. */
export function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number = MAP_LIMIT): void {
  map.delete(key);
  map.set(key, value);
  for (const oldest of map.keys()) {
    if (map.size <= max) break;
    map.delete(oldest);
  }
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(
    "bad_request.body_too_large",
    `The request body is larger than ${maxBytes} bytes`,
    { status: 413 },
  );
}

/** Reads a request body, stopping with a 413 as soon as it passes `maxBytes`. */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (Number(request.headers.get("content-length") ?? 0) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Whether a URL points at this machine (localhost, 127.0.0.0/8 or [::1]). */
export function isLoopbackUrl(url: string): boolean {
  try {
    return LOOPBACK.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/**
 * Refuses a browser's cross-site request: a request whose `Origin` is not the emulator's
 * own origin (scripts and forms of other pages, a DNS-rebound name included, since the
 * emulator's own origin must also be a loopback one). Requests without `Origin` (tests,
 * curl, servers) pass.
 */
export function checkOrigin(request: Request): void {
  const origin = request.headers.get("origin");
  if (origin === null) return;
  const own = new URL(request.url).origin;
  if (origin !== own || !isLoopbackUrl(own)) {
    throw new ApiError(
      "forbidden.origin",
      "The emulator's controls and pages only answer requests from its own loopback origin",
    );
  }
}
