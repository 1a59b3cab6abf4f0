import { describe, expect, it } from 'vitest';
import {
  MAX_PRESENT_POINTS,
  presentOverTime,
  presentStepMinutes,
  type AnalyticsSessionInput,
  type SessionParticipantRow,
} from '../../src/core/index.js';
import { MIN, session, T0 } from './session-fixtures.js';

type Span = [joinedAtMs: number, leftAtMs: number | null];

function input(endsAtMs: number, people: Span[][]): AnalyticsSessionInput {
  return {
    session: session({ endsAtMs }),
    state: 'ended',
    participants: people.map(
      (spans, i) =>
        ({
          identity: `p${i}`,
          cycles: spans.map(([joinedAtMs, leftAtMs]) => ({ joinedAtMs, leftAtMs })),
        }) as unknown as SessionParticipantRow,
    ),
  };
}

/** The definition, point by point: people with a connection covering t. */
function oracle(inp: AnalyticsSessionInput, nowMs: number, stepMs: number) {
  const { startsAtMs, endsAtMs } = inp.session;
  const end = Math.min(endsAtMs, Math.max(startsAtMs, nowMs));
  const out = [];
  for (let t = startsAtMs; t <= end; t += stepMs) {
    const present = inp.participants.filter((p) =>
      p.cycles.some((c) => c.joinedAtMs <= t && t < (c.leftAtMs ?? nowMs + 1)),
    ).length;
    out.push({ atMs: t, present });
  }
  return out;
}

/** A small deterministic generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('presentOverTime', () => {
  it('counts each person once per minute, as the definition does', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = random(seed);
      const length = Math.floor(r() * 90) * MIN + Math.floor(r() * 3) * 1000;
      const at = () => T0 - 10 * MIN + Math.floor(r() * (length + 20 * MIN));
      const people: Span[][] = Array.from({ length: Math.floor(r() * 8) }, () =>
        Array.from({ length: Math.floor(r() * 4) }, (): Span => {
          const from = r() < 0.3 ? T0 + Math.floor(r() * 10) * MIN : at();
          if (r() < 0.15) return [from, null];
          return [from, r() < 0.3 ? from + Math.floor(r() * 10) * MIN : at()];
        }),
      );
      const inp = input(T0 + length, people);
      const nowMs = r() < 0.3 ? T0 + Math.floor(r() * length) : T0 + length + 5 * MIN;
      const got = presentOverTime(inp, nowMs);
      expect(got.stepMinutes).toBe(1);
      expect(got.points, `seed ${seed}`).toEqual(oracle(inp, nowMs, MIN));
    }
  });

  it('has no points before the start', () => {
    expect(presentOverTime(input(T0 + 10 * MIN, [[[T0, null]]]), T0 - 1).points).toEqual([]);
  });

  it('gives a week-long session, the longest there is, one point a minute', () => {
    const WEEK = 7 * 24 * 60 * MIN;
    const people: Span[][] = Array.from({ length: 300 }, (_, i) =>
      Array.from({ length: 20 }, (_, k): Span => {
        const from = T0 + (k * WEEK) / 20 + i * MIN;
        return [from, from + 3 * 60 * MIN];
      }),
    );
    const inp = input(T0 + WEEK, people);
    const { points, stepMinutes } = presentOverTime(inp, T0 + 2 * WEEK);
    expect(stepMinutes).toBe(1);
    expect(points.length).toBe(7 * 24 * 60 + 1);
    expect(points.at(0)!.atMs).toBe(T0);
    expect(points.at(-1)!.atMs).toBe(T0 + WEEK);
    expect(points).toEqual(oracle(inp, T0 + 2 * WEEK, MIN));
  });

  it('steps by one minute up to a week, then by the fewest minutes that keep the cap', () => {
    expect(presentStepMinutes(0)).toBe(1);
    expect(presentStepMinutes(10_080 * MIN)).toBe(1);
    expect(presentStepMinutes(10_080 * MIN + 59_999)).toBe(1);
    expect(presentStepMinutes(10_081 * MIN)).toBe(2);
    for (const minutes of [10_081, 20_000, 100_000]) {
      const step = presentStepMinutes(minutes * MIN);
      expect(Math.floor(minutes / step) + 1).toBeLessThanOrEqual(MAX_PRESENT_POINTS);
      expect(Math.floor(minutes / (step - 1)) + 1).toBeGreaterThan(MAX_PRESENT_POINTS);
    }
  });
});
