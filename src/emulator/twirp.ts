/** Twirp error codes and their HTTP statuses (twirp `ServerHTTPStatusFromErrorCode`). */
export const TWIRP_STATUS = {
  canceled: 408,
  unknown: 500,
  invalid_argument: 400,
  malformed: 400,
  deadline_exceeded: 408,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  permission_denied: 403,
  unauthenticated: 401,
  resource_exhausted: 429,
  failed_precondition: 412,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  data_loss: 500,
} as const;

export type TwirpCode = keyof typeof TWIRP_STATUS;

/** What the HTTP layer should do with a request. */
export type HttpReply = {
  kind: 'reply';
  status: number;
  contentType: string;
  body: string | Uint8Array;
};

export type ServiceReply =
  HttpReply | { kind: 'hang'; afterMs: number | undefined; then: ServiceReply } | { kind: 'drop' };

/** A Twirp error reply. Content-Type is exactly `application/json`: the SDK only reads `code` then. */
export function twirpError(code: TwirpCode, msg: string, meta?: Record<string, string>): HttpReply {
  return {
    kind: 'reply',
    status: TWIRP_STATUS[code],
    contentType: 'application/json',
    body: JSON.stringify(meta === undefined ? { code, msg } : { code, msg, meta }),
  };
}

export function plainText(status: number, text: string): HttpReply {
  // Go's http.Error: text/plain and a trailing newline.
  return { kind: 'reply', status, contentType: 'text/plain; charset=utf-8', body: `${text}\n` };
}
