import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { clipInterval, clipIntervals, measureUnion, unionIntervals } from '../../src/core/index.js';

const intervalArb = fc
  .tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 5_000 }))
  .map(([s, len]) => ({ startMs: s, endMs: s + len }));

describe('interval union', () => {
  test.prop([fc.array(intervalArb, { maxLength: 30 })])(
    'is no longer than the sum and no shorter than the longest interval',
    (intervals) => {
      const total = measureUnion(intervals);
      const sum = intervals.reduce((s, i) => s + i.endMs - i.startMs, 0);
      const longest = Math.max(0, ...intervals.map((i) => i.endMs - i.startMs));
      expect(total).toBeLessThanOrEqual(sum);
      expect(total).toBeGreaterThanOrEqual(longest);
    },
  );

  test.prop([fc.array(intervalArb, { maxLength: 30 })])(
    'yields disjoint sorted intervals',
    (intervals) => {
      const u = unionIntervals(intervals);
      for (let i = 1; i < u.length; i++) expect(u[i]!.startMs).toBeGreaterThan(u[i - 1]!.endMs);
    },
  );

  test.prop([fc.array(intervalArb, { maxLength: 30 })])(
    'does not depend on input order',
    (intervals) => {
      expect(measureUnion([...intervals].reverse())).toBe(measureUnion(intervals));
    },
  );

  it('counts two devices at once only once', () => {
    expect(
      measureUnion([
        { startMs: 0, endMs: 600_000 },
        { startMs: 300_000, endMs: 900_000 },
      ]),
    ).toBe(900_000);
  });

  it('merges touching intervals and drops empty ones', () => {
    expect(
      unionIntervals([
        { startMs: 10, endMs: 20 },
        { startMs: 0, endMs: 10 },
        { startMs: 30, endMs: 30 },
      ]),
    ).toEqual([{ startMs: 0, endMs: 20 }]);
  });

  it('clips to a window', () => {
    expect(clipIntervals([{ startMs: 0, endMs: 100 }], { startMs: 50, endMs: 70 })).toEqual([
      { startMs: 50, endMs: 70 },
    ]);
    const window = { startMs: 50, endMs: 70 };
    expect(clipInterval({ startMs: 60, endMs: 100 }, window)).toEqual({ startMs: 60, endMs: 70 });
    // Touching the window is not inside it.
    expect(clipInterval({ startMs: 0, endMs: 50 }, window)).toBeNull();
    expect(clipInterval({ startMs: 70, endMs: 90 }, window)).toBeNull();
  });
});
