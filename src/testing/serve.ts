// Serving a fetch handler on a loopback port with Deno, Bun or Node.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { MonzoEmulator } from "./emulator.ts";
import { DROP_MESSAGE, failingBody, isDropped } from "./faults.ts";
import type { ServedEmulator, ServeOptions } from "./types.ts";

/** A web-standard request handler. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

interface DenoLike {
  serve(
    options: {
      port: number;
      hostname: string;
      onListen: (address: { port: number }) => void;
    },
    handler: FetchHandler,
  ): { shutdown(): Promise<void> };
}

interface BunLike {
  serve(options: { port: number; hostname: string; fetch: FetchHandler }): {
    port: number;
    stop(closeActiveConnections?: boolean): Promise<void> | void;
  };
}

/**
 * Serves the emulator over HTTP on Deno (`Deno.serve`), Bun (`Bun.serve`) or Node
 * (`node:http`). On Cloudflare Workers, export `{ fetch: emulator.fetch }` instead.
 *
 * @example
 * ```ts
 * import { MonzoEmulator, serveEmulator } from "@monzo-api/client/testing";
 *
 * const emulator = new MonzoEmulator();
 * const server = await serveEmulator(emulator, { port: 0 });
 * const pong = await fetch(`${server.url}/ping`).then((r) => r.json());
 * await server.close();
 * ```
 *
 * @param emulator The emulator to serve.
 * @param options Port (default 0, any free port) and hostname (default `127.0.0.1`).
 * @returns The base URL, the port and `close()`.
 */
export function serveEmulator(
  emulator: MonzoEmulator,
  options: ServeOptions = {},
): Promise<ServedEmulator> {
  return serveHandler(emulator.fetch, options);
}

/** Serves any fetch handler the way {@link serveEmulator} does. */
export function serveHandler(
  handler: FetchHandler,
  options: ServeOptions = {},
): Promise<ServedEmulator> {
  const port = options.port ?? 0;
  const hostname = options.hostname ?? "127.0.0.1";
  const runtime = globalThis as unknown as { Deno?: DenoLike; Bun?: BunLike };
  if (runtime.Deno) {
    return serveDeno(runtime.Deno, quietDrops(handler, DROP_MESSAGE), port, hostname);
  }
  if (runtime.Bun) {
    return Promise.resolve(serveBun(runtime.Bun, quietDrops(handler, undefined), port, hostname));
  }
  return serveNode(handler, port, hostname);
}

/**
 * Deno and Bun reset the connection when a body stream errors, but log the error; this
 * picks the reason each logs least noisily (Deno: one line, Bun: nothing).
 */
function quietDrops(handler: FetchHandler, reason: unknown): FetchHandler {
  return async (request) => {
    const response = await handler(request);
    if (!isDropped(response)) return response;
    return new Response(failingBody(reason), {
      status: response.status,
      headers: response.headers,
    });
  };
}

function baseUrl(hostname: string, port: number): string {
  return `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

function serveDeno(
  deno: DenoLike,
  handler: FetchHandler,
  port: number,
  hostname: string,
): Promise<ServedEmulator> {
  return new Promise((resolve) => {
    const server = deno.serve({
      port,
      hostname,
      onListen: (address) =>
        resolve({
          url: baseUrl(hostname, address.port),
          port: address.port,
          close: () => server.shutdown(),
        }),
    }, handler);
  });
}

function serveBun(
  bun: BunLike,
  handler: FetchHandler,
  port: number,
  hostname: string,
): ServedEmulator {
  const server = bun.serve({ port, hostname, fetch: handler });
  return {
    url: baseUrl(hostname, server.port),
    port: server.port,
    close: async () => {
      await server.stop(true);
    },
  };
}

async function serveNode(
  handler: FetchHandler,
  port: number,
  hostname: string,
): Promise<ServedEmulator> {
  const http = await import("node:http");
  const { Readable } = await import("node:stream");
  const toWeb = (req: IncomingMessage) => Readable.toWeb(req) as ReadableStream<Uint8Array>;
  const server = http.createServer((req, res) => {
    void respond(handler, req, res, hostname, toWeb);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  return {
    url: baseUrl(hostname, bound),
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Node: IncomingMessage → Request, then Response → ServerResponse, streaming both bodies. */
async function respond(
  handler: FetchHandler,
  req: IncomingMessage,
  res: ServerResponse,
  hostname: string,
  toWeb: (req: IncomingMessage) => ReadableStream<Uint8Array>,
) {
  const aborted = new AbortController();
  res.on("close", () => aborted.abort());
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) value.forEach((v) => headers.append(name, v));
    else if (value !== undefined) headers.set(name, value);
  }
  const method = req.method ?? "GET";
  // Read as the handler pulls (a refused body is not buffered), and stopped when it cancels.
  const body = method === "GET" || method === "HEAD" ? undefined : toWeb(req);
  const init = { method, headers, body, signal: aborted.signal, duplex: "half" };
  let response: Response;
  try {
    const url = `http://${req.headers.host ?? hostname}${req.url ?? "/"}`;
    response = await handler(new Request(url, init as RequestInit));
  } catch {
    response = new Response("Internal Server Error", { status: 500 });
  }
  const outgoing: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    outgoing[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) outgoing["set-cookie"] = cookies;
  res.writeHead(response.status, outgoing);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) break;
      if (!res.write(value)) {
        await new Promise((resolve) => {
          res.once("drain", resolve);
          res.once("close", resolve);
        });
      }
    }
    res.end();
  } catch (error) {
    res.destroy(error instanceof Error ? error : undefined);
  }
}
