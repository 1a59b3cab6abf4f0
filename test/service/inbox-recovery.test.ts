import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/dialects.js';
import { useHarness, webhookBody } from '../helpers/harness.js';

const NOW_S = Math.floor(Date.now() / 1000);

describeEachDialect('inbox recovery', (dialect) => {
  const h = useHarness(dialect);

  const joined = (i: number) =>
    webhookBody({
      event: 'participant_joined',
      id: `EV_crash${i}`,
      createdAtS: NOW_S - 60,
      room: { name: 'r', sid: 'RM_r' },
      participant: {
        sid: `PA_${i}`,
        identity: `u${i}`,
        state: 'ACTIVE',
        joinedAtMs: (NOW_S - 60) * 1000,
        name: `U${i}`,
      },
    });

  it('applies events stored before a crash (stored, never applied) when the inbox drains', async () => {
    // What a crash between storing and applying leaves behind: inbox rows, no cycles.
    await h.rt.store.insertInbox(
      [1, 2].map((i) => ({
        eventId: `EV_crash${i}`,
        source: 'webhook' as const,
        type: 'participant_joined',
        room: 'r',
        createdAtMs: (NOW_S - 60) * 1000,
        receivedAtMs: Date.now(),
        body: joined(i),
      })),
    );
    expect((await h.api('/api/v1/rooms/r/participants/u1')).json.inMeeting).toBe(false);
    expect(await h.rt.inbox.drain()).toBe(2);
    expect((await h.api('/api/v1/rooms/r/participants/u1')).json.inMeeting).toBe(true);
    expect(await h.rt.store.countInbox()).toEqual({ total: 2, unprocessed: 0 });
  });

  it('keeps an entry that fails to apply in the inbox with its error and applies the rest', async () => {
    await h.rt.store.insertInbox([
      {
        eventId: 'EV_bad',
        source: 'webhook',
        type: 'participant_joined',
        room: 'r',
        createdAtMs: 0,
        receivedAtMs: 0,
        body: '{not json',
      },
      {
        eventId: 'EV_crash3',
        source: 'webhook',
        type: 'participant_joined',
        room: 'r',
        createdAtMs: 0,
        receivedAtMs: 0,
        body: joined(3),
      },
    ]);
    expect(await h.rt.inbox.drain()).toBe(1);
    const [left] = await h.rt.store.listUnprocessed(10);
    expect(left).toMatchObject({ eventId: 'EV_bad', attempts: 1 });
    expect(left?.lastError).toMatch(/JSON/);
    expect((await h.api('/api/v1/rooms/r/participants/u3')).json.inMeeting).toBe(true);
  });

  it('rebuilds the same cycles from the stored webhooks', async () => {
    for (const i of [4, 5]) expect((await h.postWebhook(joined(i))).status).toBe(200);
    const before = await h.rt.store.listRoomCycles('r');
    await h.rt.store.resetDerivedState();
    expect(await h.rt.store.listRoomCycles('r')).toEqual([]);
    expect(await h.rt.inbox.drain()).toBe(2);
    expect(await h.rt.store.listRoomCycles('r')).toEqual(before);
  });
});
