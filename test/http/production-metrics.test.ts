import { afterEach, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { describeEachDialect, useTestDatabase } from '../helpers/dialects.js';
import { TEST_API_TOKEN, createHarness, webhookBody, type Harness } from '../helpers/harness.js';

const T0 = Date.UTC(2027, 0, 11, 9, 0, 0);

/** The value of one sample line of the Prometheus text, e.g. `name{a="b"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describeEachDialect('production metrics on /metrics', (dialect) => {
  const db = useTestDatabase(dialect);
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  const clock = new ManualClock(T0);
  const metrics = async () =>
    (
      await h!.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${TEST_API_TOKEN}` },
      })
    ).body;

  async function start(livekitUrl: string | null = null): Promise<Harness> {
    clock.set(T0);
    h = await createHarness({ databaseUrl: db.url, clock, livekitUrl });
    return h;
  }

  it("observes webhook lag from LiveKit's createdAt to the commit", async () => {
    await start();
    const body = webhookBody({
      event: 'room_started',
      id: 'EV_lag',
      createdAtS: T0 / 1000 - 3,
      room: { name: 'lagging' },
    });
    expect((await h!.postWebhook(body)).status).toBe(200);
    const text = await metrics();
    const lag = 'livekit_attendance_webhook_lag_seconds';
    expect(sample(text, `${lag}_bucket{le="2"}`)).toBe(0);
    expect(sample(text, `${lag}_bucket{le="5"}`)).toBe(1);
    expect(sample(text, `${lag}_sum`)).toBe(3);
    expect(sample(text, `${lag}_count`)).toBe(1);
    // The webhook route lives in a scope of its own (no rate limit or security headers), and is
    // still timed like every other route.
    const duration = 'livekit_attendance_http_request_duration_seconds_count';
    expect(
      sample(text, `${duration}{method="POST",route="/webhooks/livekit",status_class="2xx"}`),
    ).toBe(1);
  });

  it('labels API latency with the route pattern, never the URL', async () => {
    await start();
    for (const url of ['/api/v1/rooms/a%2Fsecret-room/participants/ana%40x', '/no/such/page']) {
      await h!.app.inject({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${TEST_API_TOKEN}` },
      });
    }
    const text = await metrics();
    const series = 'livekit_attendance_http_request_duration_seconds_count';
    expect(
      sample(
        text,
        `${series}{method="GET",route="/api/v1/rooms/:room/participants/:identity",status_class="2xx"}`,
      ),
    ).toBe(1);
    expect(sample(text, `${series}{method="GET",route="unmatched",status_class="4xx"}`)).toBe(1);
    expect(text).not.toContain('secret-room');
    expect(text).not.toContain('/no/such/page');
  });

  it('exports the age of the last complete reconcile pass, read from the database', async () => {
    await start('http://127.0.0.1:9');
    const age = 'livekit_attendance_reconcile_pass_age_seconds';
    clock.set(T0 + 30_000);
    // No pass yet: the age counts from the process start.
    expect(sample(await metrics(), age)).toBe(30);
    await h!.rt.store.recordCompletedPass({ startedAtMs: T0 + 15_000, completedAtMs: T0 + 20_000 });
    expect(sample(await metrics(), age)).toBe(10);
  });

  it('exports no pass age without LiveKit (no passes run)', async () => {
    await start();
    expect(await metrics()).not.toContain('reconcile_pass_age_seconds');
  });
});
