/**
 * Forced RoomService failures, set programmatically (`Emulator.setApiFault`) or per request with the
 * `X-Lk-Mock` header (after livekit `cmd/test-server`).
 * - `unavailable` 503, `unknown` 500, `deadline_exceeded` 408, `unauthenticated` 401 (Twirp JSON)
 * - `hang`: no answer for `hangMs` (emulator clock; default never), beyond the SDK's 10 s timeout
 * - `drop`: the socket is destroyed without a response
 */
export type ApiFaultMode =
  'unavailable' | 'unknown' | 'deadline_exceeded' | 'hang' | 'drop' | 'unauthenticated';

export const API_FAULT_MODES: readonly ApiFaultMode[] = [
  'unavailable',
  'unknown',
  'deadline_exceeded',
  'hang',
  'drop',
  'unauthenticated',
];

export interface ApiFault {
  mode: ApiFaultMode;
  /** Only requests naming one of these rooms fail (ListRooms names none, so it is spared). */
  rooms?: string[];
  /** Only these methods fail, e.g. `['ListParticipants']`. */
  methods?: string[];
  /** For `hang`: answer normally after this many ms on the emulator clock; default never. */
  hangMs?: number;
}

export type ApiCallCounts = Record<string, number>;

export function isApiFaultMode(value: unknown): value is ApiFaultMode {
  return typeof value === 'string' && (API_FAULT_MODES as readonly string[]).includes(value);
}
