import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript of the benchmark, without declarations
import { dayOf } from '../../bench/truth/accuracy.js';
// @ts-expect-error plain JavaScript of the benchmark, without declarations
import { measureAccuracy } from '../../bench/truth/metrics.js';
// @ts-expect-error plain JavaScript of the benchmark, without declarations
import { simulateDay } from '../../bench/truth/simulate.js';
import * as core from '../../src/core/index.js';
import { leftAtOf, type Cycle } from '../../src/core/index.js';

interface Accuracy {
  variants: Array<{ overCountS: number; closedEarlyDuringOutage: number; lostLeaves: number }>;
}
interface Truth {
  sid: string;
  joinedAtMs: number;
  activeAtMs: number | null;
}
interface Sim {
  truth: Truth[];
  deliveredJoins: Set<string>;
  deliveredLefts: Map<string, number>;
  variants: Array<{ cycles: Cycle[] }>;
}

// The benchmark loads the service through `dist(path)`; here, from source.
const SOURCES: Record<string, () => Promise<unknown>> = {
  'emulator/index.js': () => import('../../src/emulator/index.js'),
  'config/index.js': () => import('../../src/config/index.js'),
  'telemetry/index.js': () => import('../../src/telemetry/index.js'),
  'main.js': () => import('../../src/main.js'),
};
const src = (path: string): Promise<unknown> => SOURCES[path]!();

describe('truth benchmark, small (3 rooms × 12 people × 20 min, 20 % loss)', () => {
  it('never over-counts and loses no delivered event', { timeout: 120_000 }, async () => {
    const seed = 5;
    const day = dayOf({ seed, rooms: 3, people: 12, minutes: 20 });
    const sim = (await simulateDay({
      dist: src,
      scenario: day.scenario,
      seed,
      lossRate: 0.2,
      intervalMs: 120_000,
      outage: day.window.outage,
      endAtMs: day.endAtMs,
      variants: [{ name: 'this service', deliverTracks: true }],
    })) as Sim;
    const m = measureAccuracy({
      core,
      sim,
      scenario: day.scenario,
      window: day.window,
      evalAtMs: day.endAtMs,
    }) as Accuracy;
    const ours = m.variants[0]!;
    expect(ours.overCountS).toBe(0);
    expect(ours.closedEarlyDuringOutage).toBe(0);
    // The loss is real: some leaves were lost, and the day has enough people to show it.
    expect(ours.lostLeaves).toBeGreaterThan(0);

    const cycles = new Map(sim.variants[0]!.cycles.map((c) => [c.sid, c]));
    const truth = new Map(sim.truth.map((t) => [t.sid, t]));
    expect(sim.deliveredJoins.size).toBeGreaterThan(20);
    for (const sid of sim.deliveredJoins) {
      // A delivered join is a connected cycle from LiveKit's joinedAtMs.
      const c = cycles.get(sid);
      expect(c?.connected, sid).toBe(true);
      expect(c?.joinedAtMs, sid).toBe(truth.get(sid)?.joinedAtMs);
    }
    for (const [sid, atMs] of sim.deliveredLefts) {
      // A delivered participant_left dates the end (a room_finished before it may date it earlier).
      const c = cycles.get(sid);
      expect(c?.webhookEndedAtMs, sid).toBe(atMs);
      const end = leftAtOf(c!);
      expect(end, sid).not.toBeNull();
      expect(end!, sid).toBeLessThanOrEqual(Math.max(atMs, c!.joinedAtMs ?? atMs));
    }
  });
});
