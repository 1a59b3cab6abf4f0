/**
 * Every error code the HTTP API answers with: status and what it means. The README's error table
 * is checked against this list by a test, so codes cannot drift from their documentation.
 */
export const HTTP_ERRORS = {
  invalid_request: { status: 400, message: 'The request does not match the API schema.' },
  malformed_event: { status: 400, message: 'Correctly signed, but not a LiveKit webhook event.' },
  invalid_session: {
    status: 400,
    message: 'The session body is invalid; the message names every problem.',
  },
  unauthorized: { status: 401, message: 'Missing or invalid credentials.' },
  forbidden: {
    status: 403,
    message: 'This token may not call this route (read-only tokens: GET only).',
  },
  not_found: { status: 404, message: 'No such route.' },
  session_not_found: { status: 404, message: 'No session with this id.' },
  not_acceptable: {
    status: 406,
    message: 'This route answers only in a format the request does not accept.',
  },
  payload_too_large: {
    status: 413,
    message: 'The request body is larger than the configured limit.',
  },
  unsupported_media_type: { status: 415, message: 'Unsupported Content-Type.' },
  rate_limited: {
    status: 429,
    message:
      'Too many requests with this token (or from this address); retry after Retry-After seconds.',
  },
  uri_too_long: { status: 414, message: 'A path segment is longer than the service accepts.' },
  reconcile_busy: {
    status: 503,
    message: 'Another instance is running a reconcile pass; try again.',
  },
  unavailable: { status: 503, message: 'The service cannot store data right now; retry later.' },
  internal_error: {
    status: 500,
    message: 'Unexpected error; see the service log with the request id.',
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

/** An error that answers with a registered code. */
export class HttpError extends Error {
  constructor(
    readonly code: HttpErrorCode,
    message?: string,
  ) {
    super(message ?? HTTP_ERRORS[code].message);
    this.name = 'HttpError';
  }
  get status(): number {
    return HTTP_ERRORS[this.code].status;
  }
}

export const errorBodySchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', enum: Object.keys(HTTP_ERRORS) },
    message: { type: 'string' },
  },
} as const;
