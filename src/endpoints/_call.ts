// The request every endpoint method makes: send it, then check the body against a schema.

import type { Authentication } from "../authentication.ts";
import type { RequestOptions } from "../http.ts";
import { type Checked, parse } from "../_schemas.ts";

/** Sends `method path` and returns its body, checked against `schema` (not copied). */
export async function call<T>(
  auth: Authentication,
  method: string,
  path: string,
  schema: Checked<T>,
  options: RequestOptions,
): Promise<T> {
  const body = await auth.request(method, path, options);
  return schema.check(body) ? body as T : parse(schema, body, `${method} ${path}`);
}
