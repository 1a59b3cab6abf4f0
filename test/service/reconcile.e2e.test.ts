import { expect, it } from 'vitest';
import { ManualClock } from '../../src/core/index.js';
import { createRoomServiceGateway, type RoomServiceGateway } from '../../src/livekit/index.js';
import { Reconciler, rebuildFromJournal } from '../../src/service/index.js';
import { describeEachDialect } from '../helpers/dialects.js';
import { rawQuery } from '../helpers/raw-sql.js';
import { T0, useLiveEnv } from '../helpers/live-env.js';

const MIN = 60_000;
const ROOM = 'class-101';
const iso = (ms: number) => new Date(ms).toISOString();

describeEachDialect('reconciliation against the LiveKit emulator', (dialect) => {
  const env = useLiveEnv(dialect);
  const emu = () => env.emu.emulator;

  it('counts 0 for a page open without joining the meeting (JOINING, then JOINED)', async () => {
    env.emu.emulator.connect(ROOM, { identity: 'page-only', state: 'JOINING' });
    await env.settle();
    await env.advance(5 * MIN);
    const pass = await env.reconcile();
    expect(pass.summary).toEqual({
      confirmed: 0,
      opened: 0,
      reopened: 0,
      closed: 0,
      unverified: 0,
    });
    const r = env.emu.emulator.listParticipants(ROOM)!;
    env.emu.emulator.setState(ROOM, r[0]!.sid, 'JOINED');
    await env.advance(5 * MIN);
    await env.reconcile();
    expect(await env.status(ROOM, 'page-only')).toMatchObject({
      inMeeting: false,
      attendedMs: 0,
      cycles: [],
      lastVerifiedAt: new Date(T0 + 10 * MIN).toISOString(),
    });
  });

  it('counts a normal 10-minute stay as exactly 10 minutes', async () => {
    const { sid } = env.emu.emulator.connect(ROOM, { identity: 'alice', name: 'Alice' });
    await env.settle();
    await env.advance(10 * MIN);
    env.emu.emulator.disconnect(ROOM, sid);
    await env.settle();
    await env.advance(30 * MIN);
    const s = await env.status(ROOM, 'alice');
    expect(s).toMatchObject({
      name: 'Alice',
      inMeeting: false,
      attendedMs: 10 * MIN,
      firstJoinedAt: new Date(T0).toISOString(),
      lastLeftAt: new Date(T0 + 10 * MIN).toISOString(),
    });
    expect(s.cycles).toEqual([
      expect.objectContaining({
        sid,
        durationMs: 10 * MIN,
        openedBy: 'webhook',
        closedBy: 'webhook',
      }),
    ]);
  });

  it('stops attendance growing after a lost participant_left once a pass runs', async () => {
    const { sid } = env.emu.emulator.connect(ROOM, { identity: 'alice' });
    await env.settle();
    await env.advance(5 * MIN);
    expect((await env.reconcile()).summary.confirmed).toBe(1);
    env.emu.emulator.setWebhookFaults({ dropRate: 1 });
    await env.advance(1 * MIN);
    env.emu.emulator.disconnect(ROOM, sid);
    await env.settle();
    await env.advance(1 * MIN);
    expect(await env.status(ROOM, 'alice')).toMatchObject({ inMeeting: true, attendedMs: 7 * MIN });

    const pass = await env.reconcile();
    expect(pass.actions).toEqual([
      {
        room: ROOM,
        identity: 'alice',
        sid,
        action: 'close',
        at: new Date(T0 + 5 * MIN).toISOString(),
      },
    ]);
    await env.advance(60 * MIN);
    const s = await env.status(ROOM, 'alice');
    expect(s).toMatchObject({ inMeeting: false, attendedMs: 5 * MIN });
    expect(s.cycles[0]).toMatchObject({
      closedBy: 'reconciler',
      leftAt: new Date(T0 + 5 * MIN).toISOString(),
    });
  });

  it("replaces the reconciler's estimate with a late participant_left", async () => {
    const { sid } = env.emu.emulator.connect(ROOM, { identity: 'alice' });
    await env.settle();
    await env.advance(2 * MIN);
    await env.reconcile();
    env.emu.emulator.setWebhookFaults({ dropRate: 1 });
    await env.advance(1 * MIN);
    env.emu.emulator.disconnect(ROOM, sid);
    await env.settle();
    await env.reconcile();
    const lost = env.emu.emulator.generatedEvents().find((e) => e.event === 'participant_left')!;
    const res = await env.h.postWebhook(lost.body, { iatSeconds: Math.floor(Date.now() / 1000) });
    expect(res.status).toBe(200);
    const s = await env.status(ROOM, 'alice');
    expect(s).toMatchObject({ attendedMs: 3 * MIN });
    expect(s.cycles[0]).toMatchObject({
      closedBy: 'webhook',
      leftAt: new Date(T0 + 3 * MIN).toISOString(),
    });
  });

  it('recovers a missed participant_joined at LiveKit joinedAtMs', async () => {
    env.emu.emulator.setWebhookFaults({ dropRate: 1 });
    const { sid, joinedAtMs } = env.emu.emulator.connect(ROOM, { identity: 'bob', name: 'Bob' });
    await env.settle();
    await env.advance(3 * MIN);
    expect((await env.status(ROOM, 'bob')).inMeeting).toBe(false);
    const pass = await env.reconcile();
    expect(pass.actions).toEqual([
      { room: ROOM, identity: 'bob', sid, action: 'open', at: new Date(joinedAtMs).toISOString() },
    ]);
    expect(await env.status(ROOM, 'bob')).toMatchObject({
      inMeeting: true,
      attendedMs: 3 * MIN,
      name: 'Bob',
    });
  });

  it.each([
    'unavailable',
    'unknown',
    'deadline_exceeded',
    'drop',
    'unauthenticated',
    'hang',
  ] as const)(
    'closes nothing while LiveKit fails with %s, then closes at the last confirmation',
    async (mode) => {
      const { sid } = env.emu.emulator.connect(ROOM, { identity: 'alice' });
      await env.settle();
      await env.advance(1 * MIN);
      await env.reconcile();
      env.emu.emulator.setWebhookFaults({ dropRate: 1 });
      env.emu.emulator.disconnect(ROOM, sid);
      await env.settle();
      env.emu.emulator.setApiFault({ mode });
      for (let i = 0; i < 3; i++) {
        await env.advance(10 * MIN);
        const pass = await env.reconcile();
        expect(pass.outcome).toBe('failed');
        expect(pass.summary.closed).toBe(0);
        expect(pass.unverified.length).toBeGreaterThan(0);
      }
      expect(await env.status(ROOM, 'alice')).toMatchObject({
        inMeeting: true,
        lastVerifiedAt: new Date(T0 + 1 * MIN).toISOString(),
      });
      env.emu.emulator.setApiFault(null);
      const pass = await env.reconcile();
      expect(pass.summary.closed).toBe(1);
      expect(await env.status(ROOM, 'alice')).toMatchObject({
        inMeeting: false,
        attendedMs: 1 * MIN,
      });
    },
  );

  it('closes nothing when only ListParticipants fails for one room, and verifies the others', async () => {
    env.emu.emulator.connect('room-a', { identity: 'a' });
    env.emu.emulator.connect('room-b', { identity: 'b' });
    await env.settle();
    env.emu.emulator.setApiFault({ mode: 'unavailable', rooms: ['room-a'] });
    const pass = await env.reconcile();
    expect(pass.outcome).toBe('partial');
    expect(pass.unverified).toEqual([
      expect.objectContaining({ room: 'room-a', kind: 'server_error' }),
    ]);
    expect(pass.summary.confirmed).toBe(1);
  });

  it('makes one ListRooms call plus one ListParticipants per live room or room with open cycles', async () => {
    for (let i = 0; i < 5; i++) env.emu.emulator.connect(`room-${i}`, { identity: `u${i}` });
    await env.settle();
    env.emu.emulator.endRoom('room-4');
    // room-4 is gone from LiveKit but its cycle is open only if room_finished was lost:
    await env.settle();
    env.emu.emulator.resetApiCalls();
    const progress: string[] = [];
    env.h.rt.events.on('reconcile:pass:progress', ({ done, total }) =>
      progress.push(`${done}/${total}`),
    );
    const pass = await env.reconcile();
    expect(progress).toEqual(['1/4', '2/4', '3/4', '4/4']);
    expect(pass.apiCalls).toBe(1 + 4);
    expect(env.emu.emulator.apiCalls()).toEqual({ ListRooms: 1, ListParticipants: 4 });
  });

  it('changes nothing on a dry run but reports what it would do', async () => {
    env.emu.emulator.setWebhookFaults({ dropRate: 1 });
    env.emu.emulator.connect(ROOM, { identity: 'carol' });
    await env.settle();
    const dry = await env.reconcile({ dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, summary: { opened: 1 } });
    expect(await env.status(ROOM, 'carol')).toMatchObject({
      inMeeting: false,
      cycles: [],
      lastVerifiedAt: null,
    });
    const real = await env.reconcile({ room: ROOM });
    expect(real).toMatchObject({ dryRun: false, room: ROOM, summary: { opened: 1 } });
  });

  it('shares one LiveKit call between concurrent ?verify=true reads of a room', async () => {
    env.emu.emulator.setWebhookFaults({ dropRate: 1 });
    env.emu.emulator.connect(ROOM, { identity: 'dave' });
    await env.settle();
    env.emu.emulator.resetApiCalls();
    const reads = await Promise.all(
      Array.from({ length: 10 }, () => env.status(ROOM, 'dave', '?verify=true')),
    );
    for (const r of reads) expect(r).toMatchObject({ inMeeting: true });
    expect(env.emu.emulator.apiCalls()).toEqual({ ListRooms: 1, ListParticipants: 1 });
    await env.status(ROOM, 'dave', '?verify=true');
    expect(env.emu.emulator.apiCalls().ListParticipants).toBe(1);
  });

  it('does not reopen a sid that a webhook closed even if LiveKit still lists it', async () => {
    const { sid, joinedAtMs } = env.emu.emulator.connect(ROOM, { identity: 'erin' });
    await env.settle();
    const body = JSON.stringify({
      event: 'participant_left',
      room: { sid: env.emu.emulator.listRooms()[0]!.sid, name: ROOM },
      participant: { sid, identity: 'erin', state: 'DISCONNECTED', joinedAtMs: String(joinedAtMs) },
      id: 'EV_staleleft0001',
      createdAt: String(Math.floor(Date.now() / 1000)),
    });
    expect(
      (await env.h.postWebhook(body, { iatSeconds: Math.floor(Date.now() / 1000) })).status,
    ).toBe(200);
    await env.advance(MIN);
    const pass = await env.reconcile();
    expect(pass.summary).toMatchObject({ opened: 0, reopened: 0, confirmed: 0 });
    expect((await env.status(ROOM, 'erin')).inMeeting).toBe(false);
  });

  it('dates a lost leave at its last confirmation when the room ends before a pass notices', async () => {
    const { sid } = emu().connect(ROOM, { identity: 'alice' });
    await env.settle();
    await env.advance(2 * MIN);
    expect((await env.reconcile()).summary).toMatchObject({ confirmed: 1 });
    // Her participant_left is lost; the room then closes (departure timeout) and its
    // room_finished is delivered.
    emu().setWebhookFaults({ dropRate: 1 });
    emu().disconnect(ROOM, sid);
    await env.settle();
    emu().setWebhookFaults(null);
    await env.advance(30_000);
    expect(emu().listRooms()).toEqual([]);
    // room_finished bounds her departure: closed, but at the room's end, past her real leave.
    const bounded = (await env.status(ROOM, 'alice')).cycles;
    expect(bounded).toEqual([expect.objectContaining({ closedBy: 'room_finished' })]);
    expect(bounded[0].durationMs).toBeGreaterThan(2 * MIN);
    // The next pass asks about it once more: LiveKit no longer lists her, so it is dated at the
    // last moment LiveKit showed her, never past it.
    await env.advance(MIN);
    const pass = await env.reconcile();
    expect(pass.summary).toMatchObject({ closed: 1 });
    expect(await env.status(ROOM, 'alice')).toMatchObject({
      attendedMs: 2 * MIN,
      cycles: [expect.objectContaining({ closedBy: 'reconciler', leftAt: iso(T0 + 2 * MIN) })],
    });
    // Once dated, it is settled: later passes leave it alone.
    await env.advance(2 * MIN);
    expect((await env.reconcile()).summary).toMatchObject({ closed: 0, confirmed: 0 });
  });

  it('rebuilds the same cycles from the journal, reconciler decisions included', async () => {
    emu().setWebhookFaults({ dropRate: 1 });
    const lost = emu().connect(ROOM, { identity: 'opened-by-pass' });
    await env.settle();
    emu().setWebhookFaults(null);
    const kept = emu().connect(ROOM, { identity: 'left-lost' });
    await env.settle();
    await env.advance(2 * MIN);
    expect((await env.reconcile()).summary).toMatchObject({ opened: 1, confirmed: 1 });
    emu().setWebhookFaults({ dropRate: 1 });
    emu().disconnect(ROOM, kept.sid);
    await env.settle();
    await env.advance(MIN);
    expect((await env.reconcile()).summary).toMatchObject({ closed: 1, confirmed: 1 });
    const before = await env.h.rt.store.listRoomCycles(ROOM);
    // listRoomCycles orders by identity: 'left-lost' before 'opened-by-pass'.
    expect(before.map((c) => [c.sid, c.openedBy, c.estimatedLeftAtMs !== null])).toEqual([
      [kept.sid, 'webhook', true],
      [lost.sid, 'reconciler', false],
    ]);
    const result = await rebuildFromJournal({
      writer: env.h.rt.writer,
      logger: env.h.rt.logger,
      now: () => Date.now(),
    });
    expect(result).toMatchObject({ unprocessed: 0, failedRooms: [] });
    // Identical, including the last confirmation of the open cycle (journaled with its
    // observation) and the room's lastVerifiedAt.
    expect(await env.h.rt.store.listRoomCycles(ROOM)).toEqual(before);
    expect((await env.status(ROOM, 'opened-by-pass')).lastVerifiedAt).toBe(
      new Date(T0 + 3 * MIN).toISOString(),
    );
  });

  it('writes nothing once another instance has taken its lease mid-pass', async () => {
    emu().setWebhookFaults({ dropRate: 1 });
    emu().connect('room-a', { identity: 'a' });
    emu().connect('room-b', { identity: 'b' });
    await env.settle();
    const clock = new ManualClock(Date.now());
    const real = createRoomServiceGateway({
      url: env.emu.url,
      apiKey: 'devkey',
      apiSecret: 'secret',
      timeoutMs: 2_000,
    });
    let stolen = false;
    const gateway: RoomServiceGateway = {
      listRooms: () => real.listRooms(),
      async listParticipants(room) {
        if (!stolen) {
          stolen = true;
          // This instance stalls past its lease (a frozen process, a long GC pause): by the
          // database's clock the lease has expired, and another instance takes it.
          await rawQuery(env.h.rt.config.databaseUrl, `update leases set expires_at_ms = 0`);
          expect(await env.h.rt.store.tryAcquireLease('reconcile', 'thief', 60_000)).toBe(2);
        }
        return real.listParticipants(room);
      },
    };
    const reconciler = new Reconciler({
      writer: env.h.rt.writer,
      gateway,
      clock,
      logger: env.h.rt.logger,
      events: env.h.rt.events,
    });
    const report = await reconciler.runPass({ trigger: 'manual' });
    expect(report?.summary).toMatchObject({ opened: 0, unverified: 2 });
    expect(report?.unverified.map((u) => u.kind)).toEqual(['lease_lost', 'lease_lost']);
    expect(await env.h.rt.store.listOpenCycles()).toEqual([]);
    expect((await env.h.rt.store.getRoomVerification('room-a'))?.lastError).toMatch(/lease/);
  });

  it('skips a scheduled pass while another instance holds the lease', async () => {
    const store = env.h.rt.store;
    expect(await store.tryAcquireLease('reconcile', 'other-instance', 60_000)).toBe(1);
    const report = await env.h.rt.reconciler.runPass({ trigger: 'schedule', skipIfBusy: true });
    expect(report).toBeNull();
    // An instance whose clock runs an hour ahead cannot take it either: expiry is the database's.
    const ahead = new Reconciler({
      writer: env.h.rt.writer,
      gateway: createRoomServiceGateway({
        url: env.emu.url,
        apiKey: 'devkey',
        apiSecret: 'secret',
        timeoutMs: 2_000,
      }),
      clock: new ManualClock(Date.now() + 3_600_000),
      logger: env.h.rt.logger,
      events: env.h.rt.events,
    });
    expect(await ahead.runPass({ trigger: 'schedule', skipIfBusy: true })).toBeNull();
    await store.releaseLease('reconcile', 'other-instance');
    expect(
      await env.h.rt.reconciler.runPass({ trigger: 'schedule', skipIfBusy: true }),
    ).not.toBeNull();
  });
});
