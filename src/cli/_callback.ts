// The loopback server that receives the browser back from Monzo's authorisation page
// (node:http, which Deno, Bun and Node all provide). Any web page can make the browser request
// a loopback URL (an <img>), so only the request carrying this login's state counts: others are
// answered and ignored, and the server keeps listening until the right one or the timeout.

import { createServer } from "node:http";
import { CliError } from "./_errors.ts";

/** A listening redirect URL. */
export interface CallbackServer {
  /**
   * The query of the first request to the redirect URL's path whose `state` is `state`, or
   * a timeout error.
   */
  wait(state: string, timeoutMs: number): Promise<URLSearchParams>;
  /** Stops listening. */
  close(): Promise<void>;
}

const PAGE_STYLE = "font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;";

/** Listens on the redirect URL's host and port; a port in use is a clear error. */
export async function listenForCallback(redirect: URL): Promise<CallbackServer> {
  let deliver: (params: URLSearchParams) => void = () => {};
  const received = new Promise<URLSearchParams>((resolve) => (deliver = resolve));
  let expected: string | undefined;
  let answered = false;
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", redirect);
    response.setHeader("Connection", "close");
    if (request.method !== "GET" || url.pathname !== redirect.pathname) {
      response.writeHead(404, { "Content-Type": "text/plain" }).end("Not found");
      return;
    }
    const ours = expected !== undefined && url.searchParams.get("state") === expected;
    const first = ours && !answered;
    if (first) answered = true;
    response.writeHead(ours ? 200 : 400, { "Content-Type": "text/html; charset=utf-8" }).end(
      page(
        !ours
          ? "This link does not belong to the login running in your terminal, so it was " +
            "ignored. Use the tab that Monzo sent back."
          : !first
          ? "This login was already handled. Go back to the terminal."
          : url.searchParams.has("error")
          ? "Access was not granted. Go back to the terminal."
          : "Monzo sent you back. Now allow access in the Monzo app; the terminal shows when " +
            "it is done. You can close this tab.",
      ),
    );
    if (first) deliver(url.searchParams);
  });
  const port = Number(redirect.port || 80);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, redirect.hostname.replace(/^\[|\]$/g, ""), () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((error) => {
    throw listenError(error, redirect, port);
  });
  return {
    async wait(state, timeoutMs) {
      expected = state;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new CliError(
                `Timed out after ${timeoutMs / 1000} s waiting for the browser to come back to ` +
                  `${redirect.href}. Run login again (--timeout sets the wait).`,
              ),
            ),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([received, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

function listenError(error: unknown, redirect: URL, port: number): CliError {
  const code = (error as { code?: unknown })?.code;
  const advice = "Pass --redirect-url with another port, registered for your client in the " +
    "Monzo developer portal.";
  if (code === "EADDRINUSE") {
    return new CliError(
      `Port ${port} is already in use, so the redirect URL ${redirect.href} cannot be ` +
        `served. Stop what is using it, or: ${advice}`,
    );
  }
  if (code === "EACCES") {
    return new CliError(`Not allowed to listen on port ${port}. ${advice}`);
  }
  return new CliError(
    `Cannot listen on ${redirect.host}: ${error instanceof Error ? error.message : error}`,
  );
}

function page(message: string): string {
  return `<!doctype html><meta charset="utf-8"><title>Monzo login</title>` +
    `<body style="${PAGE_STYLE}"><h1>Monzo login</h1><p>${message}</p></body>`;
}
