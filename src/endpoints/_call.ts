// The request every endpoint method makes: check the arguments, send it, check the body
// against a schema (not copied), and unwrap it. One async layer between the method and
// `auth.request`: the methods return this promise, and the arguments are checked inside it,
// so that a bad one rejects the promise rather than throwing.

import type { Authentication } from "../authentication.ts";
import type { RequestOptions } from "../http.ts";
import { type Checked, parse } from "../_schemas.ts";

/** The path and the options of a request, built (and checked) when it is sent. */
export type Build = () => [path: string, options: RequestOptions];

/**
 * Sends `method` to the path `build` returns and returns the body checked against `schema`,
 * or its field `key`.
 */
export function call<T>(
  auth: Authentication,
  method: string,
  schema: Checked<T>,
  build: Build,
): Promise<T>;
export function call<T, K extends keyof T>(
  auth: Authentication,
  method: string,
  schema: Checked<T>,
  build: Build,
  key: K,
): Promise<T[K]>;
export async function call<T>(
  auth: Authentication,
  method: string,
  schema: Checked<T>,
  build: Build,
  key?: keyof T,
): Promise<unknown> {
  const [path, options] = build();
  const body = await auth.request(method, path, options);
  const checked = schema.check(body) ? body as T : parse(schema, body, `${method} ${path}`);
  return key === undefined ? checked : checked[key];
}
