import { describe, expect, it } from 'vitest';
import { createWallClock, ManualClock } from '../../src/emulator/index.js';

describe('ManualClock', () => {
  it('runs due timers in due order, ties in creation order, at their due time', async () => {
    const clock = new ManualClock({ startAtMs: 1_000 });
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => seen.push(`c@${clock.now()}`), 20);
    const cancelled = clock.setTimeout(() => seen.push('never'), 5);
    clock.clearTimeout(cancelled);
    expect(clock.nextDueAtMs()).toBe(1_010);
    await clock.advance(15);
    expect(clock.nextDueAtMs()).toBe(1_020);
    expect(seen).toEqual(['a@1010']);
    expect(clock.now()).toBe(1_015);
    await clock.advance(5);
    expect(seen).toEqual(['a@1010', 'b@1020', 'c@1020']);
    expect(clock.pendingTimers()).toBe(0);
    expect(clock.nextDueAtMs()).toBeNull();
  });

  it('runs timers scheduled by timers inside the same advance', async () => {
    const clock = new ManualClock({ startAtMs: 0 });
    const seen: number[] = [];
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 5);
    }, 5);
    await clock.advance(10);
    expect(seen).toEqual([5, 10]);
  });

  it('waits for tracked work before moving on', async () => {
    const clock = new ManualClock({ startAtMs: 0 });
    let done = false;
    clock.setTimeout(() => {
      clock.track(
        new Promise<void>((resolve) =>
          setTimeout(() => {
            done = true;
            resolve();
          }, 20),
        ),
      );
    }, 1);
    await clock.advance(1);
    expect(done).toBe(true);
  });
});

describe('wall clock', () => {
  it('reports Date.now() and fires and cancels timers', async () => {
    const clock = createWallClock();
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(50);
    const fired = await new Promise<boolean>((resolve) => {
      const never = clock.setTimeout(() => resolve(false), 5);
      clock.clearTimeout(never);
      clock.setTimeout(() => resolve(true), 10);
    });
    expect(fired).toBe(true);
  });
});
