// Monzo-shaped error responses: `{code, message, params}`, plus `error`/`error_description` on auth errors.

const STATUS_BY_PREFIX: Record<string, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  bad_response: 406,
  precondition_failed: 412,
  rate_limited: 429,
  internal_service: 500,
  unknown: 503,
  timeout: 504,
};

const CODE_BY_STATUS: Map<number, string> = new Map(
  Object.entries(STATUS_BY_PREFIX).map(([code, status]) => [status, code]),
);

/** The code Monzo's platform uses for a bare HTTP status (`rate_limited` for 429, ...). */
export function codeForStatus(status: number): string {
  return CODE_BY_STATUS.get(status) ?? (status >= 500 ? "internal_service" : "bad_request");
}

/** An error a handler throws; the app turns it into a JSON error response. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly params: Record<string, string>;
  readonly oauthError: string | undefined;

  constructor(
    code: string,
    message: string,
    options: { params?: Record<string, string>; oauthError?: string; status?: number } = {},
  ) {
    super(message);
    this.code = code;
    this.params = options.params ?? {};
    this.oauthError = options.oauthError;
    this.status = options.status ?? STATUS_BY_PREFIX[code.split(".")[0]] ?? 500;
  }

  toResponse(headers: Record<string, string> = {}): Response {
    const body: Record<string, unknown> = {
      code: this.code,
      message: this.message,
      params: this.params,
    };
    if (this.oauthError) {
      body.error = this.oauthError;
      body.error_description = this.message;
    }
    return Response.json(body, { status: this.status, headers });
  }
}

/** 400 `bad_request.missing_param.<name>`. */
export function missingParam(name: string): ApiError {
  return new ApiError(`bad_request.missing_param.${name}`, `Missing required parameter: ${name}`, {
    params: { param: name },
  });
}

/** 400 `bad_request.bad_param.<name>`. */
export function badParam(name: string, reason: string): ApiError {
  return new ApiError(`bad_request.bad_param.${name}`, `Invalid parameter ${name}: ${reason}`, {
    params: { param: name },
  });
}

/** 404 `not_found.<what>`. */
export function notFound(what: string, id: string): ApiError {
  return new ApiError(`not_found.${what}`, `No ${what.replace(/_/g, " ")} with id ${id}`, {
    params: { id },
  });
}

/** 403 for a resource that belongs to another user. */
export function notYours(what: string, id: string): ApiError {
  return new ApiError(
    "forbidden.insufficient_permissions",
    `This access token may not access ${what} ${id}`,
    { params: { id } },
  );
}
