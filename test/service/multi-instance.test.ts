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

  it('applies each stored entry once when two instances drain the inbox at the same time', async () => {
    const N = 300;
    const rooms = ['r1', 'r2', 'r3'];
    // What a crash between storing and applying leaves behind: inbox rows, no cycles.
    await a.rt.store.insertInbox(
      Array.from({ length: N }, (_, i) => {
        const room = rooms[i % rooms.length]!;
        return {
          eventId: `EV_${i}`,
          source: 'webhook' as const,
          type: 'participant_joined',
          room,
          createdAtMs: (NOW_S - 60) * 1000,
          receivedAtMs: Date.now(),
          body: webhookBody({
            event: 'participant_joined',
            id: `EV_${i}`,
            createdAtS: NOW_S - 60,
            room: { name: room, sid: `RM_${room}` },
            participant: {
              sid: `PA_${i}`,
              identity: `u${i}`,
              state: 'ACTIVE',
              joinedAtMs: (NOW_S - 60) * 1000,
            },
          }),
        };
      }),
    );
    const [x, y] = await Promise.all([a.rt.inbox.drain(), b.rt.inbox.drain()]);
    // Whatever one instance claimed, the other skipped: together exactly N, and none left.
    expect(x + y).toBe(N);
    expect(await a.rt.store.countInbox()).toEqual({ total: N, unprocessed: 0 });
    for (const room of rooms) {
      const rows = (await a.api(`/api/v1/rooms/${room}/attendance`)).json.participants;
      expect(rows).toHaveLength(N / rooms.length);
    }
  });
});
