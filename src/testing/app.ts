// The Hono app: request log, faults, routes and Monzo-shaped errors.
import { Hono } from "hono";
import { ApiError } from "./_errors.ts";
import { checkOrigin, readBody } from "./_limits.ts";
import { faultResponse } from "./faults.ts";
import { bodies, Router } from "./router.ts";
import { accountRoutes } from "./routes_accounts.ts";
import { attachmentRoutes } from "./routes_attachments.ts";
import { controlRoutes } from "./routes_control.ts";
import { feedRoutes } from "./routes_feed.ts";
import { oauthRoutes } from "./routes_oauth.ts";
import { pageRoutes } from "./routes_pages.ts";
import { potRoutes } from "./routes_pots.ts";
import { receiptRoutes } from "./routes_receipts.ts";
import { transactionRoutes } from "./routes_transactions.ts";
import { webhookRoutes } from "./routes_webhooks.ts";
import type { State } from "./state.ts";
import type { EmulatorRequest } from "./types.ts";

const CONTROL_PREFIX = "/_emulator/";

/** Builds the emulator's app over its state. */
export function createApp(state: State): Hono {
  const app = new Hono();
  app.use(async (c, next) => {
    const request = c.req.raw;
    const url = new URL(request.url);
    const control = url.pathname.startsWith(CONTROL_PREFIX);
    // Another web page must not drive the emulator: no approving, no money, no new logins.
    if (control || (request.method !== "GET" && url.pathname.startsWith("/auth"))) {
      checkOrigin(request);
    }
    const bytes = await readBody(request, state.maxBodyBytes);
    bodies.set(request, bytes);
    if (control) return await next();
    const logged: EmulatorRequest = {
      method: request.method,
      path: url.pathname,
      query: url.search.slice(1),
      contentType: request.headers.get("content-type"),
      body: new TextDecoder().decode(bytes),
      authorization: request.headers.get("authorization"),
      at: state.now(),
      status: 0,
    };
    state.logRequest(logged);
    if (request.method === "POST" && url.pathname === "/oauth2/token") {
      state.counters.tokenRequests++;
    }
    const fault = state.faults.take(request.method, url.pathname);
    if (fault?.after) {
      // Handled first (Monzo applied it), then the answer is late or lost.
      await next();
      logged.status = c.res.status;
      const late = await faultResponse(fault, request);
      if (late) c.res = late;
      return;
    }
    const response = fault && await faultResponse(fault, request);
    if (response) {
      logged.status = response.status;
      return response;
    }
    await next();
    logged.status = c.res.status;
  });

  const router = new Router(app, state);
  pageRoutes(router);
  oauthRoutes(router);
  accountRoutes(router);
  potRoutes(router);
  transactionRoutes(router);
  feedRoutes(router);
  attachmentRoutes(router);
  receiptRoutes(router);
  webhookRoutes(router);
  controlRoutes(router);
  router.methodNotAllowed();

  app.notFound((c) =>
    new ApiError("not_found.route", `No endpoint at ${new URL(c.req.url).pathname}`).toResponse()
  );
  app.onError((error) =>
    (error instanceof ApiError ? error : new ApiError("internal_service", error.message))
      .toResponse()
  );
  return app;
}
