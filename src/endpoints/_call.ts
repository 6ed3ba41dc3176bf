// The request every endpoint method makes: send it, then check the body against a schema.

import type { Authentication } from "../authentication.ts";
import type { RequestOptions } from "../http.ts";
import { parse, type Schema } from "../_schemas.ts";

/** Sends `method path` and returns its body, checked against `schema`. */
export async function call<T>(
  auth: Authentication,
  method: string,
  path: string,
  schema: Schema<T>,
  options: RequestOptions,
): Promise<T> {
  return parse(schema, await auth.request(method, path, options), `${method} ${path}`);
}
