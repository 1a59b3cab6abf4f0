import { rebuildFromJournal } from '../../src/service/index.js';
import { expect, it, vi } from 'vitest';
import { describeEachDialect } from '../helpers/dialects.js';
import { useHarness, webhookBody } from '../helpers/harness.js';
import { rawQuery } from '../helpers/raw-sql.js';

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
    // A short reason: parser messages quote the body, which must stay out of logs and the inbox.
    expect(left?.lastError).toBe('stored webhook body is not JSON');
    expect((await h.api('/api/v1/rooms/r/participants/u3')).json.inMeeting).toBe(true);
  });

  it('rebuilds the same cycles from the stored webhooks', async () => {
    for (const i of [4, 5]) expect((await h.postWebhook(joined(i))).status).toBe(200);
    const before = await h.rt.store.listRoomCycles('r');
    expect(before).toHaveLength(2);
    const result = await rebuildFromJournal({
      writer: h.rt.writer,
      logger: h.rt.logger,
      now: () => Date.now(),
    });
    expect(result).toMatchObject({ total: 2, applied: 2, unprocessed: 0, failedRooms: [] });
    expect(await h.rt.store.listRoomCycles('r')).toEqual(before);
  });

  it('isolates a poison event: the rest of its burst is applied at once, it alone waits', async () => {
    // A database that refuses to store one participant's cycle (a constraint, a trigger, a bug):
    // the store itself rejects it, whatever the code above it does.
    const url = h.rt.config.databaseUrl;
    if (dialect.name === 'sqlite') {
      await rawQuery(
        url,
        `create trigger poison before insert on cycles when new.identity = 'poison'
         begin select raise(abort, 'poison refused'); end`,
      );
    } else {
      await rawQuery(
        url,
        `create function poison() returns trigger language plpgsql as $$
         begin if new.identity = 'poison' then raise exception 'poison refused'; end if;
         return new; end $$`,
      );
      await rawQuery(
        url,
        'create trigger poison before insert or update on cycles for each row execute function poison()',
      );
    }
    const body = (identity: string, i: number) =>
      webhookBody({
        event: 'participant_joined',
        id: `EV_burst${i}`,
        createdAtS: NOW_S - 30,
        room: { name: 'r', sid: 'RM_r' },
        participant: {
          sid: `PA_b${i}`,
          identity,
          state: 'ACTIVE',
          joinedAtMs: (NOW_S - 30) * 1000,
        },
      });
    const failed: string[][] = [];
    h.rt.events.on('inbox:processing:failed', ({ eventIds }) => failed.push(eventIds));
    // Sent together while the room's writer is busy, so they queue up and share one group commit.
    let release!: () => void;
    const gate = h.rt.writer.write(() => new Promise<void>((r) => (release = r)), { rooms: ['r'] });
    const queued = () => (h.rt.ingestor as unknown as { pending: unknown[] }).pending.length;
    // A first webhook takes the writer's queue and waits on the gate; the burst queues behind it.
    const first = h.postWebhook(body('early', 98));
    await vi.waitFor(() => expect(h.rt.ingestor).toMatchObject({ inFlight: 1, pending: [] }));
    const sent = [
      ...Array.from({ length: 20 }, (_, i) => h.postWebhook(body(`u${i}`, i))),
      h.postWebhook(body('poison', 99)),
    ];
    await vi.waitFor(() => expect(queued()).toBe(21));
    release();
    await gate;
    expect((await first).status).toBe(200);
    const answers = await Promise.all(sent);
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 21 }, () => 200));
    // Everyone else is in the meeting now, not after the next retry.
    for (let i = 0; i < 20; i += 1) {
      expect((await h.api(`/api/v1/rooms/r/participants/u${i}`)).json.inMeeting).toBe(true);
    }
    expect(failed).toEqual([['EV_burst99']]);
    const waiting = await h.rt.store.listUnprocessed(10);
    expect(waiting.map((e) => e.eventId)).toEqual(['EV_burst99']);
    // Acknowledged means stored: once the database accepts it, the retry applies it.
    await rawQuery(
      url,
      dialect.name === 'sqlite' ? 'drop trigger poison' : 'drop trigger poison on cycles',
    );
    expect(await h.rt.inbox.drain()).toBe(1);
    expect((await h.api('/api/v1/rooms/r/participants/poison')).json.inMeeting).toBe(true);
  });
});
