import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ManualClock } from '../../src/core/index.js';
import { REJECTED_WEBHOOK_LOG_INTERVAL_MS } from '../../src/http/routes/webhook-route.js';
import { buildRuntimeApp, createRuntime } from '../../src/main.js';
import type { Runtime } from '../../src/service/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { DIALECTS, useTestDatabase } from '../helpers/dialects.js';
import { DEV_KEY, DEV_SECRET, TEST_API_TOKEN } from '../helpers/harness.js';

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;

/** A real runtime and app whose log lines are kept in memory, on a manual clock. */
describe('log hygiene', () => {
  const db = useTestDatabase(sqlite);
  let lines: Record<string, unknown>[];
  let rt: Runtime;
  let app: FastifyInstance;
  let clock: ManualClock;

  async function start(livekitUrl: string | null): Promise<void> {
    lines = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
        done();
      },
    });
    clock = new ManualClock(Date.now());
    rt = await createRuntime({
      config: loadConfig({ DATABASE_URL: db.url, API_TOKEN: TEST_API_TOKEN }),
      logger: createLogger({ level: 'info', destination }),
      livekit: { url: livekitUrl, apiKey: DEV_KEY, apiSecret: DEV_SECRET, timeoutMs: 1_000 },
      clock,
    });
    app = await buildRuntimeApp(rt, TEST_API_TOKEN);
    await app.ready();
  }
  beforeEach(() => start(null));
  afterEach(async () => {
    await app.close();
    await rt.close();
  });

  const forged = () =>
    app.inject({
      method: 'POST',
      url: '/webhooks/livekit',
      headers: { 'content-type': 'application/webhook+json', authorization: 'not.a.jwt' },
      payload: '{"event":"room_started"}',
    });
  const rejectedLines = () => lines.filter((l) => l.msg === 'webhook rejected');

  it('logs one warning per interval for rejected webhooks, with the count it suppressed, and counts each in the metric', async () => {
    for (let i = 0; i < 50; i++) expect((await forged()).statusCode).toBe(401);
    expect(rejectedLines()).toHaveLength(1);
    expect(rejectedLines()[0]).toMatchObject({ level: 40, suppressed: 0 });
    clock.advance(REJECTED_WEBHOOK_LOG_INTERVAL_MS);
    await forged();
    expect(rejectedLines()).toHaveLength(2);
    expect(rejectedLines()[1]).toMatchObject({ suppressed: 49 });
    const metrics = await rt.metrics.render();
    expect(metrics).toMatch(
      /livekit_attendance_webhooks_received_total\{outcome="rejected"\} 51$/m,
    );
  });

  it('keeps payload text out of the log and inbox.last_error when a stored body cannot be parsed', async () => {
    const payload = 'SECRET-PAYLOAD-TEXT';
    await rt.store.insertInbox([
      {
        eventId: 'EV_json',
        source: 'webhook',
        type: 'participant_joined',
        room: 'r',
        createdAtMs: 0,
        receivedAtMs: 0,
        body: `{"event":"participant_joined","x":${payload}}`,
      },
      {
        eventId: 'EV_proto',
        source: 'webhook',
        type: 'participant_joined',
        room: 'r',
        createdAtMs: 0,
        receivedAtMs: 0,
        body: JSON.stringify({ event: 'participant_joined', createdAt: payload }),
      },
      {
        eventId: 'RC_json',
        source: 'reconciler',
        type: 'reconcile:open',
        room: 'r',
        createdAtMs: 0,
        receivedAtMs: 0,
        body: `{"action":${payload}`,
      },
    ]);
    expect(await rt.inbox.drain()).toBe(0);
    const failed = await rt.store.listUnprocessed(10);
    expect(failed.map((e) => [e.eventId, e.lastError])).toEqual([
      ['EV_json', 'stored webhook body is not JSON'],
      ['EV_proto', 'stored webhook body is not a LiveKit webhook event'],
      ['RC_json', 'journaled reconciler entry is not JSON'],
    ]);
    expect(lines.filter((l) => l.msg === 'inbox entry failed to apply')).toHaveLength(3);
    expect(JSON.stringify(lines)).not.toContain(payload);
  });
});
