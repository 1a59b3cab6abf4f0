import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript of the benchmark, without declarations
import { PerUserBaseline } from '../../bench/truth/baseline.js';
// @ts-expect-error plain JavaScript of the benchmark, without declarations
import { BASELINES } from '../../bench/truth/variants.js';

type Answer = { ok: true; state: number } | { ok: false; error: string };
interface Baseline {
  onWebhook(e: { type: string; room: string; identity: string; createdAtMs: number }): void;
  onStatusCheck(room: string, identity: string, nowMs: number): boolean;
  cyclesOf(room: string, identity: string): Array<{ joinedAtMs: number; leftAtMs: number | null }>;
  apiCalls: number;
  unknownAnswers: number;
}

const make = (apiErrors: string, answer: { current: Answer }): Baseline => {
  const b = new PerUserBaseline({
    users: [{ room: 'r', identity: 'u' }],
    getParticipant: () => answer.current,
    apiErrors,
  }) as Baseline;
  b.onWebhook({ type: 'participant_joined', room: 'r', identity: 'u', createdAtMs: 1_000 });
  return b;
};

describe('per-user baseline: the two readings of an API error', () => {
  it('runs both readings, each named', () => {
    expect((BASELINES as Array<{ apiErrors: string }>).map((b) => b.apiErrors)).toEqual([
      'absent',
      'ignored',
    ]);
  });

  it('an outage closes the cycle when errors read as absent, and leaves it when ignored', () => {
    const answer: { current: Answer } = { current: { ok: false, error: 'unavailable' } };
    const absent = make('absent', answer);
    const ignored = make('ignored', answer);
    expect(absent.onStatusCheck('r', 'u', 60_000)).toBe(false);
    expect(absent.cyclesOf('r', 'u')).toEqual([{ joinedAtMs: 1_000, leftAtMs: 60_000 }]);
    // Unknown: the open cycle answers, nothing closed, and the next check asks again (no cache).
    expect(ignored.onStatusCheck('r', 'u', 60_000)).toBe(true);
    expect(ignored.onStatusCheck('r', 'u', 61_000)).toBe(true);
    expect(ignored.apiCalls).toBe(2);
    expect(ignored.unknownAnswers).toBe(2);
    expect(ignored.cyclesOf('r', 'u')).toEqual([{ joinedAtMs: 1_000, leftAtMs: null }]);
    // LiveKit back, the user still there: confirmed; then gone: not_found closes under both.
    answer.current = { ok: true, state: 2 };
    expect(ignored.onStatusCheck('r', 'u', 62_000)).toBe(true);
    answer.current = { ok: false, error: 'not_found' };
    expect(ignored.onStatusCheck('r', 'u', 80_000)).toBe(false);
    expect(ignored.cyclesOf('r', 'u')).toEqual([{ joinedAtMs: 1_000, leftAtMs: 80_000 }]);
  });

  it('not_found closes under both readings', () => {
    const answer: { current: Answer } = { current: { ok: false, error: 'not_found' } };
    for (const reading of ['absent', 'ignored']) {
      const b = make(reading, answer);
      expect(b.onStatusCheck('r', 'u', 30_000), reading).toBe(false);
      expect(b.cyclesOf('r', 'u'), reading).toEqual([{ joinedAtMs: 1_000, leftAtMs: 30_000 }]);
    }
  });
});
