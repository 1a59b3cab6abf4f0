import { isoUtc } from './iso-time.js';
/** API times: ISO 8601 UTC ending in `Z`, or null where unknown (never omitted). */
export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : isoUtc(ms);
}

/**
 * One CSV field (RFC 4180). Text that a spreadsheet would run as a formula (leading `=`, `+`, `-`,
 * `@`, tab or CR) gets a leading `'`: names come from end users.
 */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(values: ReadonlyArray<string | number | boolean | null>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
