import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ManualClock } from '../../src/core/index.js';
import { buildRuntimeApp, createRuntime } from '../../src/main.js';
import { ReadinessProbe, type Runtime } from '../../src/service/index.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { describeEachDialect, useTestDatabase } from '../helpers/dialects.js';
import {
  DEV_KEY,
  DEV_SECRET,
  TEST_API_TOKEN,
  createHarness,
  type Harness,
} from '../helpers/harness.js';

const T0 = Date.UTC(2027, 0, 11, 9, 0, 0);
const READY_CHECKS = {
  database: { status: 'ok' },
  migrations: { status: 'ok', pending: 0 },
  reconcile: { enabled: false, lastCompletedAt: null, ageSeconds: null },
  outbox: { backlog: null },
};

describeEachDialect('GET /readyz', (dialect) => {
  const db = useTestDatabase(dialect);
  let h: Harness | undefined;
  let rt: Runtime | undefined;
  afterEach(async () => {
    await h?.close();
    await rt?.close().catch(() => undefined);
    h = rt = undefined;
  });

  /** A runtime that has not migrated its database, and its app. */
  async function unmigrated() {
    const config = loadConfig({
      DATABASE_URL: db.url,
      LOG_LEVEL: 'silent',
      API_TOKEN: TEST_API_TOKEN,
    });
    rt = await createRuntime({
      config,
      logger: createLogger({ level: 'silent' }),
      livekit: { url: null, apiKey: DEV_KEY, apiSecret: DEV_SECRET, timeoutMs: 1_000 },
      migrate: false,
    });
    return buildRuntimeApp(rt, TEST_API_TOKEN);
  }

  it('answers 200 ready with the checks and nothing else, without a token', async () => {
    h = await createHarness({ databaseUrl: db.url });
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }]) {
      const res = await h.app.inject({ method: 'GET', url: '/readyz', headers });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.json()).toEqual({ status: 'ready', checks: READY_CHECKS });
    }
  });

  it('answers 503 not_ready while migrations are pending, and 200 once they are applied', async () => {
    const app = await unmigrated();
    const before = await app.inject({ method: 'GET', url: '/readyz' });
    expect(before.statusCode).toBe(503);
    expect(before.json()).toEqual({
      status: 'not_ready',
      checks: {
        ...READY_CHECKS,
        migrations: { status: 'pending', pending: Object.keys(MIGRATIONS).length },
      },
    });
    // Liveness is unaffected.
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    await rt!.store.migrate();
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    await app.close();
  });

  it('answers 503 not_ready when the database does not answer, naming no driver error', async () => {
    const app = await unmigrated();
    await rt!.store.migrate();
    await rt!.store.close();
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      status: 'not_ready',
      checks: {
        ...READY_CHECKS,
        database: { status: 'failed', error: 'unreachable' },
        migrations: { status: 'unknown', pending: null },
      },
    });
    await app.close();
    rt = undefined;
  });

  it('reports the age of the last complete reconcile pass, from any instance', async () => {
    const clock = new ManualClock(T0);
    h = await createHarness({ databaseUrl: db.url, clock, livekitUrl: 'http://127.0.0.1:9' });
    await h.rt.store.recordCompletedPass({ startedAtMs: T0 - 95_000, completedAtMs: T0 - 90_500 });
    const res = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.json()).toEqual({
      status: 'ready',
      checks: {
        ...READY_CHECKS,
        reconcile: {
          enabled: true,
          lastCompletedAt: new Date(T0 - 90_500).toISOString(),
          ageSeconds: 90,
        },
      },
    });
  });
});

describeEachDialect('ReadinessProbe', (dialect) => {
  const db = useTestDatabase(dialect);
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('reports the outbox backlog it is given, and null when counting it fails, staying ready', async () => {
    h = await createHarness({ databaseUrl: db.url });
    const clock = new ManualClock(T0);
    const probe = (outboxBacklog?: () => Promise<number>) =>
      new ReadinessProbe({
        store: h!.rt.store,
        clock,
        reconcileEnabled: false,
        ...(outboxBacklog ? { outboxBacklog } : {}),
      });
    expect(await probe(() => Promise.resolve(7)).check()).toMatchObject({
      ready: true,
      outboxBacklog: 7,
    });
    expect(
      await probe(() => Promise.reject(new Error('outbox table missing'))).check(),
    ).toMatchObject({ ready: true, outboxBacklog: null });
    expect(await probe().check()).toMatchObject({ ready: true, outboxBacklog: null });
  });

  it('counts a check that does not answer in time as failed', async () => {
    h = await createHarness({ databaseUrl: db.url });
    const hang = new Promise<never>(() => undefined);
    const report = await new ReadinessProbe({
      store: { listPendingMigrations: () => hang, getLastCompletedPass: () => hang },
      clock: new ManualClock(T0),
      reconcileEnabled: true,
      timeoutMs: 20,
    }).check();
    expect(report).toEqual({
      ready: false,
      database: { ok: false, error: 'timeout' },
      pendingMigrations: null,
      reconcile: { enabled: true, lastCompletedAtMs: null, ageMs: null },
      outboxBacklog: null,
    });
  });
});
