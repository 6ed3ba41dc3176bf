// Route registration: bearer checks, the approval gate, request bodies and 405s.
import type { Context, Hono } from "hono";
import { ApiError, badParam } from "./_errors.ts";
import { Params } from "./_params.ts";
import type { Session, State } from "./state.ts";

/** What a handler gets about its request. */
export class Call {
  readonly c: Context;
  readonly state: State;
  readonly url: URL;
  readonly bytes: Uint8Array;

  constructor(c: Context, state: State, bytes: Uint8Array) {
    this.c = c;
    this.state = state;
    this.url = new URL(c.req.url);
    this.bytes = bytes;
  }

  get contentType(): string | null {
    return this.c.req.header("content-type") ?? null;
  }

  /** Query parameters (GET, DELETE). */
  get query(): Params {
    return new Params(this.url.searchParams);
  }

  /** Form parameters (POST, PUT, PATCH). */
  get form(): Params {
    return Params.form(this.contentType, this.bytes);
  }

  /** A JSON body; 400 `bad_request.bad_param.body` when it is not JSON. */
  json(): unknown {
    if (!this.contentType?.toLowerCase().startsWith("application/json")) {
      throw badParam("body", "Content-Type must be application/json");
    }
    try {
      return JSON.parse(new TextDecoder().decode(this.bytes));
    } catch {
      throw badParam("body", "is not valid JSON");
    }
  }

  param(name: string): string {
    return this.c.req.param(name) ?? "";
  }
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type Reply = Response | Promise<Response>;

/** Request bodies, read once by the app's middleware. */
export const bodies: WeakMap<Request, Uint8Array> = new WeakMap();

/** Registers routes on the app, remembering the methods of each path for 405 answers. */
export class Router {
  readonly #app: Hono;
  readonly #state: State;
  readonly #methods = new Map<string, Set<Method>>();

  constructor(app: Hono, state: State) {
    this.#app = app;
    this.#state = state;
  }

  /** A route without authentication (pages, the token endpoint, uploads). */
  open(method: Method, path: string, handler: (call: Call) => Reply): void {
    this.#methods.set(path, (this.#methods.get(path) ?? new Set()).add(method));
    this.#app.on(
      method,
      path,
      (c) => handler(new Call(c, this.#state, bodies.get(c.req.raw) ?? new Uint8Array())),
    );
  }

  /** An API route behind a bearer token; `approval: false` lets unapproved tokens through. */
  api(
    method: Method,
    path: string,
    handler: (call: Call, session: Session) => Reply,
    options: { approval?: boolean } = {},
  ): void {
    this.open(method, path, (call) => {
      const token = this.#state.oauth.authenticate(call.c.req.header("authorization") ?? null);
      if (!token.approved && options.approval !== false) {
        throw new ApiError(
          "forbidden.insufficient_permissions",
          "The user has not yet approved access for this application in the Monzo app",
        );
      }
      return handler(call, this.#state.session(token));
    });
  }

  /** Answers 405 for the other methods of every registered path. Call after the routes. */
  methodNotAllowed(): void {
    for (const [path, methods] of this.#methods) {
      const allow = [...methods].join(", ");
      this.#app.all(
        path,
        (c) =>
          new ApiError("method_not_allowed", `${c.req.method} is not allowed here; use ${allow}`, {
            params: { method: c.req.method },
          }).toResponse({ allow }),
      );
    }
  }
}
