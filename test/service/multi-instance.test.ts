import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect, useTestDatabase } from '../helpers/dialects.js';
import { createHarness, webhookBody, type Harness } from '../helpers/harness.js';

const NOW_S = Math.floor(Date.now() / 1000);

describeEachDialect('two instances sharing one database', (dialect) => {
  const db = useTestDatabase(dialect);
  let a: Harness;
  let b: Harness;
  beforeEach(async () => {
    a = await createHarness({ databaseUrl: db.url });
    b = await createHarness({ databaseUrl: db.url });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('never loses an update when the join and the leave of a sid land on different instances at once', async () => {
    const N = 40;
    const event = (type: string, i: number, createdAtS: number) =>
      webhookBody({
        event: type,
        id: `EV_${type}_${i}`,
        createdAtS,
        room: { name: 'r', sid: 'RM_r' },
        participant: {
          sid: `PA_${i}`,
          identity: `u${i}`,
          state: type === 'participant_joined' ? 'ACTIVE' : 'DISCONNECTED',
          joinedAtMs: (NOW_S - 120) * 1000,
        },
      });
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => {
        // Alternate which instance gets which half, and which is sent first.
        const [x, y] = i % 2 === 0 ? [a, b] : [b, a];
        const pair = [
          x.postWebhook(event('participant_joined', i, NOW_S - 119)),
          y.postWebhook(event('participant_left', i, NOW_S - 60)),
        ];
        return i % 4 < 2 ? pair : pair.reverse();
      }).flat(),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const rows = (await a.api('/api/v1/rooms/r/attendance')).json.participants;
    expect(rows).toHaveLength(N);
    for (const row of rows) expect(row).toMatchObject({ inMeeting: false, attendedMs: 60_000 });
  });
});
