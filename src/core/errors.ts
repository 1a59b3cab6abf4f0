/** Base of every error this project raises on purpose: a stable `code`, a short message, no secrets. */
export class AttendanceError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AttendanceError';
    this.code = code;
  }
}

/** Turns anything thrown into an Error, keeping the original as `cause` when it was not one. */
export function coerceError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(typeof e === 'string' ? e : (JSON.stringify(e) ?? String(e)), { cause: e });
}
