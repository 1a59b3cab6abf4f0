import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { LiveKitClock } from '../../src/service/index.js';

const T = Date.UTC(2027, 0, 11, 9);
const MIN = 60_000;

describe("LiveKit's clock as the service knows it", () => {
  it('is ours while the signing times it sees are within a second', () => {
    const lk = new LiveKitClock(new ManualClock(T));
    expect(lk.offsetMs()).toBe(0);
    lk.observe(T - 900, T); // an iat truncated to the second, delivered at once
    expect(lk.offsetMs()).toBe(0);
    expect(lk.counting.now()).toBe(T);
  });

  it('keeps the tightest lower bound: the stamp closest to, or past, our now', () => {
    const lk = new LiveKitClock(new ManualClock(T));
    lk.observe(T - 2 * MIN - 400, T);
    lk.observe(T - 2 * MIN - 30_000, T); // a slow delivery proves less
    expect(lk.offsetMs()).toBe(-2 * MIN - 400);
    expect(lk.counting.now()).toBe(T - 2 * MIN - 400);
    lk.observe(T + 8_000, T); // signed in our future: LiveKit runs ahead
    expect(lk.offsetMs()).toBe(8_000);
    // Open cycles never count past our own now.
    expect(lk.counting.now()).toBe(T);
  });

  it('follows a LiveKit clock stepped back within two windows, and keeps the last bound when quiet', () => {
    const local = new ManualClock(T);
    const lk = new LiveKitClock(local);
    lk.observe(T - 1 * MIN, T);
    local.advance(11 * MIN);
    // LiveKit's clock was stepped back 2 more minutes: the old bound still holds for a while.
    lk.observe(local.now() - 3 * MIN, local.now());
    expect(lk.offsetMs()).toBe(-1 * MIN);
    local.advance(11 * MIN);
    expect(lk.offsetMs()).toBe(-3 * MIN);
    // No webhook for an hour: the last bound known stays.
    local.advance(60 * MIN);
    expect(lk.offsetMs()).toBe(-3 * MIN);
  });

  it('ignores missing stamps, and those no verified webhook could carry', () => {
    const lk = new LiveKitClock(new ManualClock(T));
    lk.observe(0, T);
    lk.observe(Number.NaN, T);
    // Tokens checked against another clock than ours (virtual time): months off, or a token
    // that would have expired, or not yet be valid, by ours.
    lk.observe(T + 200 * 24 * 60 * MIN, T);
    lk.observe(T - 6 * MIN, T);
    lk.observe(T + 181_000, T);
    expect(lk.offsetMs()).toBe(0);
    // Two minutes ahead is within what a verified webhook may show.
    lk.observe(T + 2 * MIN, T);
    expect(lk.offsetMs()).toBe(2 * MIN);
  });
});
