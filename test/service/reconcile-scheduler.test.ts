import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReconcileScheduler, type ReconcileReport } from '../../src/service/index.js';
import { useTestDatabase, DIALECTS } from '../helpers/dialects.js';
import { startLiveEnv, type LiveEnv } from '../helpers/live-env.js';

// Scheduling does not depend on the database: SQLite only.
const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;

/** A full garbage collection, without starting node with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Resolves with the next `count` completed passes. */
function nextPasses(env: LiveEnv, count: number): Promise<ReconcileReport[]> {
  return new Promise((resolve) => {
    const seen: ReconcileReport[] = [];
    const on = (r: ReconcileReport) => {
      seen.push(r);
      if (seen.length === count) {
        env.h.rt.events.off('reconcile:pass:complete', on);
        resolve(seen);
      }
    };
    env.h.rt.events.on('reconcile:pass:complete', on);
  });
}

describe('reconcile schedule', () => {
  const db = useTestDatabase(sqlite);
  let env: LiveEnv;
  let scheduler: ReconcileScheduler;
  beforeEach(async () => {
    env = await startLiveEnv(db.url);
  });
  afterEach(async () => {
    await scheduler?.stop();
    await env.close();
  });
  const make = (intervalMs: number) =>
    (scheduler = new ReconcileScheduler({
      reconciler: env.h.rt.reconciler,
      intervalMs,
      logger: env.h.rt.logger,
      lossDebounceMs: 10,
      retryMinMs: 10,
    }));

  it('runs a pass at start, then on the interval', async () => {
    const passes = nextPasses(env, 3);
    make(20).start();
    expect((await passes).map((p) => p.trigger)).toEqual(['startup', 'schedule', 'schedule']);
  });

  it('retries sooner after a failed pass and goes back to the schedule once LiveKit answers', async () => {
    env.emu.emulator.setApiFault({ mode: 'unavailable' });
    const failing = nextPasses(env, 2);
    make(60_000).start();
    const [first, second] = await failing;
    expect([first!.trigger, first!.outcome, second!.trigger]).toEqual([
      'startup',
      'failed',
      'retry',
    ]);
    env.emu.emulator.setApiFault(null);
    const [ok] = await nextPasses(env, 1);
    expect([ok!.trigger, ok!.outcome]).toEqual(['retry', 'ok']);
  });

  it('checks a room early when its webhooks name a sid never seen joining', async () => {
    make(60_000);
    env.h.rt.events.on('reconcile:loss:detected', ({ room }) => scheduler.roomNeedsCheck(room));
    env.emu.emulator.setWebhookFaults({ dropRate: 1 });
    const { sid } = env.emu.emulator.connect('r1', { identity: 'ghost' });
    await env.settle();
    env.emu.emulator.setWebhookFaults(null);
    const pass = nextPasses(env, 1);
    env.emu.emulator.publishTrack('r1', sid, { source: 'CAMERA' });
    await env.settle();
    const [report] = await pass;
    expect(report).toMatchObject({ trigger: 'loss', room: 'r1', summary: { opened: 1 } });
  });

  it('waits for the running pass when stopped', async () => {
    env.emu.emulator.setApiFault({ mode: 'hang', hangMs: 0 });
    make(60_000).start();
    await new Promise<void>((r) => env.h.rt.events.once('reconcile:pass:start', () => r()));
    let ended = false;
    env.h.rt.events.once('reconcile:pass:complete', () => (ended = true));
    await scheduler.stop();
    expect(ended).toBe(true);
  });

  it('lets go of the reports of finished passes', async () => {
    env.emu.emulator.populate({ rooms: 2, participantsPerRoom: 3 });
    // The test holds the reports only weakly.
    const reports: WeakRef<ReconcileReport>[] = [];
    const done = new Promise<void>((resolve) => {
      const on = (r: ReconcileReport) => {
        reports.push(new WeakRef(r));
        if (reports.length === 5) {
          env.h.rt.events.off('reconcile:pass:complete', on);
          resolve();
        }
      };
      env.h.rt.events.on('reconcile:pass:complete', on);
    });
    make(1).start();
    await done;
    await scheduler.stop();
    // Each weakly held object stays alive until the current job ends: collect in a later one.
    await new Promise((r) => setImmediate(r));
    collectGarbage();
    // The Reconciler's queue still resolves to its latest report (one, not a growing list).
    expect(reports.slice(0, 4).map((r) => r.deref()?.actions.length ?? 'collected')).toEqual(
      Array(4).fill('collected'),
    );
  });
});
