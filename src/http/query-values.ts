import { parseInstant } from '../core/index.js';
import { HttpError } from './error-registry.js';

/** Values in query strings that several routes read the same way. */

/** An ISO 8601 instant with an offset, in ms; undefined when absent, `invalid_request` when bad. */
export function instantQuery(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseInstant(value);
  if (ms === null) {
    throw new HttpError(
      'invalid_request',
      `querystring/${name} must be an ISO 8601 date-time with an offset, e.g. 2026-12-01T00:00:00Z`,
    );
  }
  return ms;
}

/** CSV when `?format=csv`, or without `format` when `Accept` names `text/csv`. */
export function wantsCsv(format: string | undefined, accept: string | undefined): boolean {
  return format === 'csv' || (format === undefined && /\btext\/csv\b/.test(accept ?? ''));
}
