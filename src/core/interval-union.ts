/** A half-open time interval [startMs, endMs) in epoch milliseconds. */
export interface Interval {
  startMs: number;
  endMs: number;
}

/**
 * Merges overlapping or touching intervals into disjoint ones, sorted by start. Empty or inverted
 * intervals (end <= start) are dropped. Pure; does not modify its input.
 */
export function unionIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals
    .filter((i) => i.endMs > i.startMs)
    .map((i) => ({ startMs: i.startMs, endMs: i.endMs }))
    .sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
  const merged: Interval[] = [];
  for (const current of sorted) {
    const last = merged[merged.length - 1];
    if (last && current.startMs <= last.endMs) {
      last.endMs = Math.max(last.endMs, current.endMs);
    } else {
      merged.push(current);
    }
  }
  return merged;
}

/** Total length of the union in ms: two devices at once never count twice. */
export function measureUnion(intervals: readonly Interval[]): number {
  return unionIntervals(intervals).reduce((sum, i) => sum + (i.endMs - i.startMs), 0);
}

/** One interval clipped to a window; null when nothing of it is inside. */
export function clipInterval(interval: Interval, window: Interval): Interval | null {
  const startMs = Math.max(interval.startMs, window.startMs);
  const endMs = Math.min(interval.endMs, window.endMs);
  return endMs > startMs ? { startMs, endMs } : null;
}

/** Clips intervals to a window, dropping what falls outside it. */
export function clipIntervals(intervals: readonly Interval[], window: Interval): Interval[] {
  const clipped: Interval[] = [];
  for (const i of intervals) {
    const c = clipInterval(i, window);
    if (c !== null) clipped.push(c);
  }
  return clipped;
}
