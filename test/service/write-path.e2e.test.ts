import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  rebuildFromJournal,
  type ServiceEventMap,
  type ServiceEvents,
} from '../../src/service/index.js';
import { openStore } from '../../src/store/index.js';
import { describeEachDialect, DIALECTS, useTestDatabase } from '../helpers/dialects.js';
import { webhookBody } from '../helpers/harness.js';
import { startLiveEnv, T0, useLiveEnv, type LiveEnv } from '../helpers/live-env.js';
import { usePerTest } from '../helpers/per-test.js';
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy.js';

const SEC = 1_000;
const MIN = 60_000;
const ROOM = 'class-101';

const iso = (ms: number) => new Date(ms).toISOString();
const nowS = () => Math.floor(Date.now() / 1000);

/**
 * Waits (one macrotask at a time, never a timer) until `cond` holds: for things the service or the
 * emulator does that no event announces, e.g. a request having reached the emulator.
 */
async function waitUntil(cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await cond())) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** The next `name` event that satisfies `pred`. */
function nextEvent<K extends keyof ServiceEventMap>(
  events: ServiceEvents,
  name: K,
  pred: (...args: ServiceEventMap[K]) => boolean = () => true,
): Promise<ServiceEventMap[K]> {
  return new Promise((resolve) => {
    const listener = (...args: ServiceEventMap[K]) => {
      if (!pred(...args)) return;
      (events.off as (n: K, l: typeof listener) => void)(name, listener);
      resolve(args);
    };
    (events.on as (n: K, l: typeof listener) => void)(name, listener);
  });
}

/** Settles `p` into a flag a test can read synchronously (promise ordering, not timing). */
function track<T>(p: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  const promise = p.finally(() => {
    settled = true;
  });
  return { promise, settled: () => settled };
}

describeEachDialect('one write path: observations and webhooks fold alike', (dialect) => {
  const env = useLiveEnv(dialect);
  const emu = () => env.emu.emulator;

  /** Posts every generated event matching `pred` (held back by a drop fault) to the service. */
  async function deliverByHand(
    pred: (e: { event: string; room: string; identity?: string }) => boolean,
  ) {
    const held = emu().generatedEvents().filter(pred);
    expect(held.length).toBeGreaterThan(0);
    for (const e of held) {
      const res = await env.h.postWebhook(e.body, { iatSeconds: nowS() });
      expect(res.status).toBe(200);
    }
  }

  it.each(['while the pass is asking', 'after the pass'] as const)(
    'keeps a person opened by a pass that named the ended incarnation in the meeting when its room_finished arrives %s',
    async (when) => {
      const host = emu().connect(ROOM, { identity: 'host' });
      await env.settle();
      await env.advance(MIN);
      const oldIncarnation = host.roomSid;
      // ListRooms is answered (RM_1) as soon as it arrives, but the answer is held back.
      emu().resetApiCalls();
      emu().setApiFault({ mode: 'hang', methods: ['ListRooms'], hangMs: 10 * SEC });
      const pass = env.reconcile();
      await waitUntil(() => emu().apiCalls().ListRooms === 1);
      if (when === 'after the pass') emu().setWebhookFaults({ dropRate: 1 });
      emu().endRoom(ROOM); // participant_left(host), room_finished(RM_1) at T0 + 60 s
      await env.settle();
      emu().setWebhookFaults({ dropRate: 1 });
      await env.advance(5 * SEC);
      const bob = emu().connect(ROOM, { identity: 'bob' }); // RM_2; participant_joined lost
      await env.settle();
      emu().setWebhookFaults(null);
      emu().setApiFault(null);
      expect(bob.roomSid).not.toBe(oldIncarnation);
      await env.advance(5 * SEC); // ListRooms answers RM_1; ListParticipants lists bob
      const report = await pass;
      expect(report.actions).toContainEqual({
        room: ROOM,
        identity: 'bob',
        sid: bob.sid,
        action: 'open',
        at: iso(T0 + MIN + 5 * SEC),
      });
      // Bob joined after ListRooms was asked: the ended incarnation it named is not given to him
      // (before the fix it was, and its room_finished then closed him before he joined).
      expect((await env.h.rt.store.getCycles([bob.sid]))[0]?.roomSid).toBeNull();
      if (when === 'after the pass') {
        await deliverByHand(
          (e) =>
            e.event === 'room_finished' ||
            (e.event === 'participant_left' && e.identity === 'host'),
        );
      }
      await env.advance(MIN);
      const s = await env.status(ROOM, 'bob');
      expect(s).toMatchObject({ inMeeting: true, attendedMs: MIN + 5 * SEC, lastLeftAt: null });
      expect(s.cycles).toEqual([
        expect.objectContaining({
          sid: bob.sid,
          joinedAt: iso(T0 + MIN + 5 * SEC),
          leftAt: null,
          openedBy: 'reconciler',
          closedBy: null,
        }),
      ]);
      expect(await env.status(ROOM, 'host')).toMatchObject({ inMeeting: false, attendedMs: MIN });
    },
  );

  it('dates a confirmation when the participant list was asked for, not when a slow answer came', async () => {
    emu().connect(ROOM, { identity: 'host' });
    const alice = emu().connect(ROOM, { identity: 'alice' });
    await env.settle();
    await env.advance(MIN);
    emu().resetApiCalls();
    emu().setApiFault({
      mode: 'hang',
      rooms: [ROOM],
      methods: ['ListParticipants'],
      hangMs: 8 * SEC,
    });
    const pass = env.reconcile();
    // LiveKit has made its list (alice ACTIVE) at T0 + 60 s; the answer takes 8 s to arrive.
    await waitUntil(() => emu().apiCalls().ListParticipants === 1);
    emu().setWebhookFaults({ dropRate: 1 });
    emu().disconnect(ROOM, alice.sid); // she leaves meanwhile, participant_left lost
    await env.settle();
    emu().setWebhookFaults(null);
    emu().setApiFault(null);
    await env.advance(8 * SEC);
    const first = await pass;
    expect(first.actions).toContainEqual({
      room: ROOM,
      identity: 'alice',
      sid: alice.sid,
      action: 'confirm',
      at: null,
    });
    const [cycle] = await env.h.rt.store.getCycles([alice.sid]);
    expect(cycle?.lastSeenAtMs).toBe(T0 + MIN);

    await env.advance(MIN);
    const second = await env.reconcile();
    expect(second.actions).toContainEqual({
      room: ROOM,
      identity: 'alice',
      sid: alice.sid,
      action: 'close',
      at: iso(T0 + MIN),
    });
    const s = await env.status(ROOM, 'alice');
    expect(s).toMatchObject({ inMeeting: false, attendedMs: MIN, lastLeftAt: iso(T0 + MIN) });
    expect(s.cycles[0]).toMatchObject({ closedBy: 'reconciler' });
  });

  it.each(['before', 'after'] as const)(
    'counts up to a track_published delivered %s the pass that closed a cycle whose participant_left was lost',
    async (when) => {
      emu().connect(ROOM, { identity: 'host' });
      const alice = emu().connect(ROOM, { identity: 'alice' });
      await env.settle();
      await env.advance(MIN);
      await env.reconcile(); // confirms alice at 60 s
      emu().setWebhookFaults({ dropRate: 1 });
      await env.advance(30 * SEC);
      emu().publishTrack(ROOM, alice.sid); // at 90 s, held back
      await env.advance(10 * SEC);
      emu().disconnect(ROOM, alice.sid); // at 100 s, lost
      await env.settle();
      emu().setWebhookFaults(null);
      await env.advance(20 * SEC);
      const track = (e: { event: string; identity?: string }) =>
        e.event === 'track_published' && e.identity === 'alice';
      if (when === 'before') await deliverByHand(track);
      const pass = await env.reconcile();
      expect(pass.actions).toContainEqual({
        room: ROOM,
        identity: 'alice',
        sid: alice.sid,
        action: 'close',
        at: iso(T0 + (when === 'before' ? 90 * SEC : MIN)),
      });
      if (when === 'after') await deliverByHand(track);
      await env.advance(10 * MIN);
      const s = await env.status(ROOM, 'alice');
      expect(s).toMatchObject({
        inMeeting: false,
        attendedMs: 90 * SEC,
        lastLeftAt: iso(T0 + 90 * SEC),
      });
      expect(s.cycles).toEqual([
        expect.objectContaining({ sid: alice.sid, closedBy: 'reconciler', durationMs: 90 * SEC }),
      ]);
    },
  );

  it('takes an aborted join of a never-seen sid as no sign of loss, and a participant_left as one', async () => {
    const losses: string[] = [];
    const passes: Array<[string, string | null]> = [];
    env.h.rt.events.on('reconcile:loss:detected', ({ room }) => losses.push(room));
    env.h.rt.events.on('reconcile:pass:complete', (r) => passes.push([r.trigger, r.room]));
    emu().resetApiCalls();

    // A page that never connected media: LiveKit sends no participant_joined, then aborted.
    const page = emu().connect('room-a', { identity: 'page-only', state: 'JOINING' });
    await env.settle();
    emu().disconnect('room-a', page.sid);
    await env.settle();
    expect(
      emu()
        .deliveries()
        .filter((d) => d.event === 'participant_connection_aborted')
        .map((d) => [d.outcome, d.status]),
    ).toEqual([['delivered', 200]]);
    expect(losses).toEqual([]);
    expect(await env.status('room-a', 'page-only')).toMatchObject({
      inMeeting: false,
      attendedMs: 0,
    });

    // A participant_left whose join was lost: proof of loss, an early pass of that room.
    emu().setWebhookFaults({ dropRate: 1 });
    const bob = emu().connect('room-b', { identity: 'bob' });
    await env.settle();
    emu().setWebhookFaults(null);
    const early = nextEvent(
      env.h.rt.events,
      'reconcile:pass:complete',
      (r) => r.trigger === 'loss',
    );
    emu().disconnect('room-b', bob.sid);
    await env.settle();
    expect(losses).toEqual(['room-b']);
    const [report] = await early;
    expect(report.room).toBe('room-b');
    // Had the aborted join asked for a pass of room-a, its debounce timer (started first) would
    // have run that pass first, in the same queue.
    expect(passes).toEqual([['loss', 'room-b']]);
    expect(emu().apiCalls().ListRooms).toBe(1);
  });

  it('finishes an incarnation without touching the cycles of the earlier incarnations of its room', async () => {
    const earlier: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = emu().connect(ROOM, { identity: `early-${i}` });
      earlier.push(p.sid);
      await env.settle();
      await env.advance(MIN);
      // The third incarnation's end is lost: its cycle stays open (the reconciler will close it).
      if (i === 2) emu().setWebhookFaults({ dropRate: 1 });
      emu().endRoom(ROOM);
      await env.settle();
      emu().setWebhookFaults(null);
      await env.advance(MIN);
    }
    const before = await env.h.rt.store.getCycles(earlier);
    expect(
      before.map((c) => [c.identity, c.endedBy]).sort(([a], [b]) => (a! < b! ? -1 : 1)),
    ).toEqual([
      ['early-0', 'webhook'],
      ['early-1', 'webhook'],
      ['early-2', null],
    ]);
    emu().connect(ROOM, { identity: 'dave' });
    await env.settle();
    await env.advance(MIN);
    emu().endRoom(ROOM); // participant_left(dave), room_finished(current incarnation)
    await env.settle();
    expect(await env.h.rt.store.getCycles(earlier)).toEqual(before);
    expect(await env.status(ROOM, 'dave')).toMatchObject({ inMeeting: false, attendedMs: MIN });
    expect(await env.status(ROOM, 'early-2')).toMatchObject({ inMeeting: true });
  });

  it('shows readers every room as it was or rebuilt, never half-rebuilt, and keeps ingesting meanwhile', async () => {
    const rooms = ['hist-0', 'hist-1', 'hist-2', 'hist-3'];
    const identities = ['alice', 'bob', 'carol', 'host'];
    const bobs = new Map<string, string>();
    const carols = new Map<string, string>();
    for (const room of rooms) {
      emu().connect(room, { identity: 'host' });
      const alice = emu().connect(room, { identity: 'alice' });
      const carol = emu().connect(room, { identity: 'carol' });
      carols.set(room, carol.sid);
      await env.settle();
      emu().disconnect(room, alice.sid);
      emu().setWebhookFaults({ dropRate: 1 });
      bobs.set(room, emu().connect(room, { identity: 'bob' }).sid); // join lost
      await env.settle();
      emu().setWebhookFaults(null);
      emu().connect(room, { identity: 'alice' }); // rejoins: a second cycle
      await env.settle();
    }
    await env.advance(MIN);
    await env.reconcile(); // opens bob in every room
    emu().setWebhookFaults({ dropRate: 1 });
    for (const room of rooms) emu().disconnect(room, carols.get(room)!); // lefts lost
    await env.settle();
    emu().setWebhookFaults(null);
    await env.advance(MIN);
    await env.reconcile(); // closes carol at her last confirmation
    for (const room of rooms) emu().publishTrack(room, bobs.get(room)!);
    await env.settle();
    await env.advance(MIN);

    // Each room and each status, through HTTP and straight through the query layer (the same
    // store calls without HTTP's macrotasks, so that on SQLite they interleave with the rebuild's
    // statements on the one connection).
    const readKey = async (key: string): Promise<string> => {
      const [layer, room, identity] = key.split('/') as [string, string, string | undefined];
      if (layer === 'http') {
        if (identity !== undefined) return JSON.stringify(await env.status(room, identity));
        const r = await env.h.api(`/api/v1/rooms/${room}/attendance`);
        expect(r.status).toBe(200);
        return JSON.stringify(r.json.participants);
      }
      return JSON.stringify(
        identity === undefined
          ? await env.h.rt.query.roomAttendance(room)
          : await env.h.rt.query.identityStatus(room, identity),
      );
    };
    const keys = ['http', 'query'].flatMap((layer) =>
      rooms.flatMap((room) => [
        `${layer}/${room}`,
        ...identities.map((id) => `${layer}/${room}/${id}`),
      ]),
    );
    const snapshot = async () => {
      const m = new Map<string, string>();
      for (const key of keys) m.set(key, await readKey(key));
      return m;
    };
    const cyclesBefore = new Map<string, unknown>();
    for (const room of rooms) cyclesBefore.set(room, await env.h.rt.store.listRoomCycles(room));
    expect((cyclesBefore.get('hist-0') as unknown[]).length).toBe(5);
    const before = await snapshot();

    // Webhooks that arrive during the rebuild: one for the room rebuilt last (posted before it is
    // replayed), one for the room rebuilt first (posted after it was).
    const lateJoin = (room: string, n: number) =>
      webhookBody({
        event: 'participant_joined',
        id: `EV_late_${room}_${n}`,
        createdAtS: nowS(),
        room: { name: room, sid: emu().listRooms([room])[0]!.sid },
        participant: {
          sid: `PA_late_${room}`,
          identity: 'late-comer',
          state: 'ACTIVE',
          joinedAtMs: Date.now(),
        },
      });
    const posted: Array<Promise<{ status: number }>> = [];
    let rebuilding = true;
    const reads: Array<{ key: string; value: string }> = [];
    let readsDuringRebuild = 0;
    const read = async (key: string) => {
      const value = await readKey(key);
      reads.push({ key, value });
      if (rebuilding) readsDuringRebuild += 1;
    };
    const betweenRooms: Array<Promise<void>> = [];
    const rebuild = rebuildFromJournal({
      writer: env.h.rt.writer,
      logger: env.h.rt.logger,
      now: () => Date.now(),
      onStart: () => posted.push(env.h.postWebhook(lateJoin('hist-3', 1))),
      onProgress: () => {
        if (posted.length === 1) posted.push(env.h.postWebhook(lateJoin('hist-0', 2)));
        for (const key of keys) betweenRooms.push(read(key));
      },
    }).finally(() => {
      rebuilding = false;
    });
    // Each reader yields a macrotask between reads, as a client's requests would: the rebuild
    // yields between pages too, and a loop of reads answered from memory would starve it.
    const readers = keys.map(async (key) => {
      while (rebuilding) {
        await read(key);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    });
    const result = await rebuild;
    await Promise.all([...readers, ...betweenRooms]);
    expect(result).toMatchObject({ unprocessed: 0, failedRooms: [] });
    expect((await Promise.all(posted)).map((r) => r.status)).toEqual([200, 200]);

    const after = await snapshot();
    for (const room of ['hist-1', 'hist-2']) {
      expect(await env.h.rt.store.listRoomCycles(room)).toEqual(cyclesBefore.get(room));
      for (const key of keys.filter((k) => k.split('/')[1] === room)) {
        expect(after.get(key)).toBe(before.get(key));
      }
    }
    for (const room of ['hist-0', 'hist-3']) {
      // The webhook survived: applied, and replayed with the room's journal.
      expect(await env.status(room, 'late-comer')).toMatchObject({ inMeeting: true });
      const cycles = await env.h.rt.store.listRoomCycles(room);
      expect(cycles.filter((c) => c.identity !== 'late-comer')).toEqual(cyclesBefore.get(room));
    }
    expect(readsDuringRebuild).toBeGreaterThan(0);
    for (const { key, value } of reads) {
      expect([before.get(key), after.get(key)]).toContain(value);
    }
  });
});

// ---- Environments with a recording proxy between the service and the emulator ---------------

interface ProxiedEnv extends LiveEnv {
  proxy: RecordingProxy;
  /** PostgreSQL `application_name` of the service's connections (to find its locks). */
  applicationName: string;
}

/** Like startLiveEnv, but LiveKit is reached through a recording proxy. */
async function startProxiedEnv(databaseUrl: string, postgres: boolean): Promise<ProxiedEnv> {
  const applicationName = `write-path-${randomUUID().slice(0, 8)}`;
  let url = databaseUrl;
  if (postgres) {
    const u = new URL(databaseUrl);
    u.searchParams.set('application_name', applicationName);
    url = u.toString();
  }
  let proxy: RecordingProxy | undefined;
  const env = await startLiveEnv(url, {
    reachLiveKit: async (emulatorUrl) => (proxy = await startRecordingProxy(emulatorUrl)),
  });
  return { ...env, proxy: proxy!, applicationName };
}

describeEachDialect('live checks (?verify=true)', (dialect) => {
  const db = useTestDatabase(dialect);
  const current = usePerTest('startProxiedEnv', () =>
    startProxiedEnv(db.url, dialect.name === 'postgres'),
  );

  it('asks LiveKit about that room alone, once each, while a full pass is stuck on another room', async () => {
    const env = current();
    const emu = env.emu.emulator;
    for (let i = 0; i < 6; i++) emu.connect(`room-${i}`, { identity: `u${i}` });
    emu.setWebhookFaults({ dropRate: 1 });
    const dave = emu.connect(ROOM, { identity: 'dave' }); // join lost: only LiveKit knows him
    await env.settle();
    emu.setWebhookFaults(null);
    emu.setApiFault({
      mode: 'hang',
      rooms: ['room-3'],
      methods: ['ListParticipants'],
      hangMs: MIN,
    });
    let answered = 0;
    env.h.rt.events.on('reconcile:pass:progress', () => (answered += 1));
    const pass = track(env.h.api('/api/v1/reconcile', { method: 'POST', body: {} }));
    // Every room asked; all but room-3 answered.
    await waitUntil(() => emu.apiCalls().ListParticipants === 7 && answered === 6);
    emu.resetApiCalls();
    env.proxy.clear();

    const s = await env.status(ROOM, 'dave', '?verify=true');
    expect(pass.settled()).toBe(false);
    expect(s).toMatchObject({ inMeeting: true });
    expect(s.cycles).toEqual([expect.objectContaining({ sid: dave.sid, openedBy: 'reconciler' })]);
    expect(emu.apiCalls()).toEqual({ ListRooms: 1, ListParticipants: 1 });
    expect(
      env.proxy.requests().map((r) => [r.method, JSON.parse(r.body || '{}') as unknown]),
    ).toEqual([
      ['ListRooms', { names: [ROOM] }],
      ['ListParticipants', { room: ROOM }],
    ]);

    emu.setApiFault(null);
    await env.advance(MIN); // room-3 answers at last
    const r = await pass.promise;
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ outcome: 'ok', roomsChecked: 7 });
  });
});

// ---- No cluster-wide writer lock (PostgreSQL) -------------------------------------------------

const POSTGRES = DIALECTS.find((d) => d.name === 'postgres')!;

describe.skipIf(!POSTGRES.enabled)('room locks, not a writer lock [postgres]', () => {
  const db = useTestDatabase(POSTGRES);
  const current = usePerTest('startProxiedEnv', () => startProxiedEnv(db.url, true));
  // Registered after usePerTest, so it runs first: the held room is released before the service
  // closes (whose pool would otherwise wait for the webhook stuck on that room's lock).
  const releases: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const release of releases.splice(0)) await release();
  });

  /** Another instance's transaction holding `room` until `release()`. */
  async function holdRoom(databaseUrl: string, room: string) {
    const other = await openStore(databaseUrl);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const holding = other.transaction(
      async () => {
        entered();
        await released;
      },
      { rooms: [room] },
    );
    await inside;
    let done = false;
    const end = async () => {
      if (done) return;
      done = true;
      release();
      await holding;
      await other.close();
    };
    releases.push(end);
    return { release: end };
  }

  /** Locks the service's connections are waiting for (pg_locks, not granted). */
  async function serviceLockWaits(env: ProxiedEnv): Promise<number> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>(
        `select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
         where not l.granted and a.application_name = $1`,
        [env.applicationName],
      );
      return rows[0]!.n;
    } finally {
      await client.end();
    }
  }

  const joined = (room: string, identity: string) =>
    webhookBody({
      event: 'participant_joined',
      id: `EV_${randomUUID().replace(/-/g, '').slice(0, 12)}`,
      createdAtS: nowS(),
      room: { name: room, sid: `RM_${room}` },
      participant: {
        sid: `PA_${identity}_${room}`,
        identity,
        state: 'ACTIVE',
        joinedAtMs: Date.now(),
      },
    });

  it("applies another room's webhook while another instance holds a room", async () => {
    const env = current();
    const roomA = `lock-a-${randomUUID().slice(0, 8)}`;
    const roomB = `lock-b-${randomUUID().slice(0, 8)}`;
    await holdRoom(db.url, roomA);
    const b = env.h.postWebhook(joined(roomB, 'bob'));
    let waiting = 0;
    let answered = false;
    const blocked = waitUntil(
      async () => answered || (waiting = await serviceLockWaits(env)) > 0,
    ).then(() => 'blocked' as const);
    const first = await Promise.race([b, blocked]);
    answered = true; // stops the lock watch
    await blocked;
    expect(first, `room ${roomB}'s webhook waited for ${waiting} lock(s)`).not.toBe('blocked');
    expect((await b).status).toBe(200);
    expect(await env.status(roomB, 'bob')).toMatchObject({ inMeeting: true });
  });

  it('answers a webhook for a held room only once that room is released', async () => {
    const env = current();
    const roomA = `lock-a-${randomUUID().slice(0, 8)}`;
    const held = await holdRoom(db.url, roomA);
    const order: string[] = [];
    const a = env.h.postWebhook(joined(roomA, 'alice')).then((r) => {
      order.push('answered');
      return r;
    });
    // The webhook's transaction is waiting for the room's lock (seen in pg_locks).
    await waitUntil(async () => (await serviceLockWaits(env)) > 0);
    expect(await env.status(roomA, 'alice')).toMatchObject({ inMeeting: false, cycles: [] });
    order.push('released');
    await held.release();
    expect((await a).status).toBe(200);
    expect(order).toEqual(['released', 'answered']);
    expect(await env.status(roomA, 'alice')).toMatchObject({ inMeeting: true });
  });

  it('applies a webhook for a free room while one for a held room waits', async () => {
    const env = current();
    const roomA = `lock-a-${randomUUID().slice(0, 8)}`;
    const roomB = `lock-b-${randomUUID().slice(0, 8)}`;
    const held = await holdRoom(db.url, roomA);
    const a = track(env.h.postWebhook(joined(roomA, 'alice')));
    await waitUntil(async () => (await serviceLockWaits(env)) > 0);
    const b = await env.h.postWebhook(joined(roomB, 'bob'));
    expect(b.status).toBe(200);
    expect(await env.status(roomB, 'bob')).toMatchObject({ inMeeting: true });
    expect(a.settled()).toBe(false);
    await held.release();
    expect((await a.promise).status).toBe(200);
  });
});
