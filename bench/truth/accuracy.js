// Runs the school day at each loss rate and measures it (see simulate.js and metrics.js).
import { buildScenario } from './scenario.js';
import { simulateDay } from './simulate.js';
import { measureAccuracy } from './metrics.js';

const MIN = 60_000;

/** The day: sessions from 09:00 for `minutes`; the outage in the middle of it. */
export function dayOf({ seed, rooms, people, minutes }) {
  const startsAtMs = Date.UTC(2026, 2, 2, 9, 0, 0);
  const scenario = buildScenario({ seed, rooms, people, startsAtMs, minutes });
  const endsAtMs = startsAtMs + minutes * MIN;
  const mid = startsAtMs + (minutes * MIN) / 2;
  const outage = { fromMs: mid - 5 * MIN, toMs: mid + 5 * MIN };
  return {
    scenario,
    window: { startMs: startsAtMs, endMs: endsAtMs, outage },
    endAtMs: endsAtMs + 10 * MIN,
  };
}

/**
 * @param o { dist, seed, rooms, people, minutes, lossRates, intervalMs, variants(lossRate) }
 * @returns one entry per loss rate: { lossRate, generated, lostByType, ours: [...], baselines: [...], seconds }
 */
export async function runAccuracy(o) {
  const core = await o.dist('core/index.js');
  const day = dayOf(o);
  const out = [];
  for (const lossRate of o.lossRates) {
    const t0 = performance.now();
    const sim = await simulateDay({
      dist: o.dist,
      scenario: day.scenario,
      seed: o.seed,
      lossRate,
      intervalMs: o.intervalMs,
      outage: day.window.outage,
      endAtMs: day.endAtMs,
      variants: o.variants(lossRate),
      ...(o.baselines ? { baselines: o.baselines } : {}),
    });
    const m = measureAccuracy({
      core,
      sim,
      scenario: day.scenario,
      window: day.window,
      evalAtMs: day.endAtMs,
    });
    out.push({
      lossRate,
      generated: sim.generated,
      lostByType: sim.lostByType,
      ours: m.variants,
      baselines: m.baselines,
      simulatedS: sim.simulatedMs / 1000,
      seconds: (performance.now() - t0) / 1000,
      sim,
    });
    o.log?.(
      `  loss ${lossRate * 100} %: ${sim.generated} events, ${((performance.now() - t0) / 1000).toFixed(1)} s wall`,
    );
  }
  return { day, results: out };
}
