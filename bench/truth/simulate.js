// One school day on the emulator's virtual clock: the scenario's actions drive the emulator; every
// webhook it generates goes through the lossy delivery model to this service (each variant its own
// runtime, in-process, real verification and SQLite store) and to the per-user baseline; passes,
// early loss passes and retries follow the production scheduler's rules on virtual time; the pages
// poll every 15 s. Returns the raw material the metrics need: ground truth, each variant's cycles,
// the baseline's cycles, fates of the leave events, closes made during the outage.
import { TimeHeap } from './random.js';
import { createDelivery } from './delivery.js';
import { PerUserBaseline, SWEEP_INTERVAL_MS } from './baseline.js';
import { BASELINES } from './variants.js';

const S = 1_000;
const API_TOKEN = 'bench-truth-api-token-0123456789';
/** Pages poll their status every 15 s (the client). */
export const POLL_MS = 15 * S;
/** ReconcileScheduler's constants (src/service/reconcile-scheduler.ts): kept in step by hand. */
const RETRY_MIN_MS = 5 * S;
const LOSS_DEBOUNCE_MS = 2 * S;
const TRACKS = {
  mic: { source: 'MICROPHONE', type: 'AUDIO' },
  camera: { source: 'CAMERA', type: 'VIDEO' },
};

/**
 * @param o.variants [{ name, deliverTracks: boolean }]: one runtime each
 * @param o.baselines [{ name, apiErrors: 'absent' | 'ignored' }]: one per-user baseline each
 *   (default: BASELINES, both readings)
 * @param o.outage { fromMs, toMs } LiveKit's RoomService answers 503 `unavailable` in between
 */
export async function simulateDay(o) {
  const { dist, scenario, seed, lossRate, intervalMs, outage, endAtMs } = o;
  const { createEmulator, startEmulatorServer, ManualClock, signWebhook } =
    await dist('emulator/index.js');
  const { loadConfig } = await dist('config/index.js');
  const { createLogger } = await dist('telemetry/index.js');
  const { createRuntime } = await dist('main.js');

  const heap = new TimeHeap();
  const firstAt = scenario.actions[0].atMs;
  const clock = new ManualClock({ startAtMs: firstAt - 60 * S, settleLimitMs: 120_000 });
  const deliver = createDelivery({ seed, lossRate });
  /** sid → { leftLost, unpublishedDelivered, tracksAtLeave } for participant_left fates. */
  const leaves = new Map();
  let generated = 0;
  const lostByType = {};
  /** Delivered at least once: join sids, and left sids with the event's createdAt. */
  const deliveredJoins = new Set();
  const deliveredLefts = new Map();
  const onEvent = (e) => {
    generated++;
    const fate = deliver(e, clock.now());
    if (fate.lost) lostByType[e.event] = (lostByType[e.event] ?? 0) + 1;
    const info = {
      type: e.event,
      room: e.room,
      identity: e.identity,
      sid: e.participantSid,
      createdAtMs: e.createdAtMs,
    };
    if (!fate.lost && e.event === 'participant_joined') deliveredJoins.add(e.participantSid);
    if (!fate.lost && e.event === 'participant_left')
      deliveredLefts.set(e.participantSid, e.createdAtMs);
    if (e.event === 'track_unpublished' || e.event === 'participant_left') {
      const l = leaves.get(e.participantSid) ?? { leftLost: null, unpublished: [] };
      if (e.event === 'participant_left') l.leftLost = fate.lost;
      else l.unpublished.push({ atMs: e.createdAtMs, delivered: !fate.lost });
      leaves.set(e.participantSid, l);
    }
    // Arrivals are gathered into whole seconds (up to 1 s later): a burst then shares one group
    // commit as it does under load, and arrival time carries no meaning (attendance-model).
    for (const atMs of fate.arrivals)
      heap.push({ atMs: Math.ceil(atMs / S) * S, what: 'deliver', body: e.body, info });
  };
  const emulator = createEmulator({ clock, seed, recordConnections: true, onEvent });
  const server = await startEmulatorServer({ emulator, port: 0 });
  let apiDown = false;

  const logger = createLogger({ level: 'silent' });
  const variants = [];
  for (const v of o.variants) {
    const rt = await createRuntime({
      config: loadConfig({
        DATABASE_URL: 'sqlite::memory:',
        LOG_LEVEL: 'silent',
        API_TOKEN,
        RECONCILE_INTERVAL_SECONDS: String(intervalMs / S),
      }),
      logger,
      livekit: { url: server.url, apiKey: 'devkey', apiSecret: 'secret', timeoutMs: 10_000 },
      clock,
    });
    // Its own scheduler runs on wall-clock timers; this loop plays its rules on virtual time.
    await rt.scheduler.stop();
    const state = {
      ...v,
      rt,
      failures: 0,
      lossPending: new Set(),
      apiCalls: 0,
      passes: 0,
      outageCloses: [],
      ingested: 0,
    };
    rt.events.on('reconcile:loss:detected', ({ room }) => {
      // A variant with `earlyPasses: false` keeps to the fixed interval: what the adaptive,
      // per-room pass (sooner where events prove loss) is worth.
      if (v.earlyPasses === false || state.lossPending.has(room)) return;
      state.lossPending.add(room);
      heap.push({ atMs: clock.now() + LOSS_DEBOUNCE_MS, what: 'loss-pass', variant: state, room });
    });
    rt.events.on('reconcile:pass:complete', (report) => {
      state.apiCalls += report.apiCalls;
      if (report.startedAtMs >= outage.fromMs && report.startedAtMs < outage.toMs) {
        for (const a of report.actions)
          if (a.action === 'close') state.outageCloses.push({ ...a, passAtMs: report.startedAtMs });
      }
    });
    variants.push(state);
    heap.push({ atMs: clock.now(), what: 'pass', variant: state });
  }

  const users = scenario.rooms.flatMap((r) =>
    r.roster.map((identity) => ({ room: r.room, identity })),
  );
  const getParticipant = (room, identity) => {
    if (apiDown) return { ok: false, error: 'unavailable' };
    const p = emulator.peekParticipant(room, identity);
    return p === undefined ? { ok: false, error: 'not_found' } : { ok: true, state: p.state };
  };
  const baselines = (o.baselines ?? BASELINES).map((b) => ({
    ...b,
    impl: new PerUserBaseline({ users, getParticipant, apiErrors: b.apiErrors }),
  }));

  for (const a of scenario.actions) heap.push({ ...a, what: 'action' });
  for (const page of scenario.pages) {
    const phase = (hash(page.identity) % POLL_MS) + 1;
    heap.push({ atMs: page.windows[0][0] + phase, what: 'poll', page, w: 0 });
  }
  for (let t = clock.now() + SWEEP_INTERVAL_MS; t <= endAtMs; t += SWEEP_INTERVAL_MS)
    heap.push({ atMs: t, what: 'sweep' });
  heap.push({ atMs: outage.fromMs, what: 'outage', down: true });
  heap.push({ atMs: outage.toMs, what: 'outage', down: false });

  const handles = new Map();
  const wall = performance.now();
  while (heap.size > 0 && heap.peek().atMs <= endAtMs) {
    const due = clock.nextDueAtMs();
    if (due !== null && due <= heap.peek().atMs) {
      await clock.advanceTo(due); // emulator timers (abrupt closes, room closes) emit events first
      continue;
    }
    const item = heap.pop();
    if (item.what === 'poll') {
      // Only the baseline calls LiveKit on a status read; this service reads its own tables.
      for (const b of baselines)
        b.impl.onStatusCheck(item.page.room, item.page.identity, item.atMs);
      schedulePoll(heap, item);
      continue;
    }
    await clock.advanceTo(item.atMs);
    switch (item.what) {
      case 'action':
        runAction(emulator, handles, item);
        break;
      case 'deliver': {
        const batch = [item];
        while (heap.size > 0 && heap.peek().what === 'deliver' && heap.peek().atMs === item.atMs)
          batch.push(heap.pop());
        const iat = Math.floor(Date.now() / 1000);
        const signed = batch.map((d) => ({
          ...d,
          token: signWebhook({
            apiKey: 'devkey',
            apiSecret: 'secret',
            body: d.body,
            iatSeconds: iat,
          }).token,
        }));
        for (const b of baselines) for (const d of batch) b.impl.onWebhook(d.info);
        await Promise.all(
          variants.map(async (v) => {
            const mine = v.deliverTracks
              ? signed
              : signed.filter((d) => !d.info.type.startsWith('track_'));
            const outcomes = await Promise.all(
              mine.map((d) => v.rt.ingestor.ingest(d.body, d.token)),
            );
            for (const out of outcomes) {
              if (out.status === 'accepted') v.ingested++;
              else if (out.status !== 'duplicate' && out.status !== 'ignored')
                throw new Error(`ingest answered ${out.status}: ${out.message}`);
            }
          }),
        );
        break;
      }
      case 'pass': {
        const v = item.variant;
        const report = await v.rt.reconciler.runPass({ trigger: 'schedule', skipIfBusy: true });
        v.passes++;
        const failed = report !== null && report.outcome !== 'ok';
        v.failures = failed ? v.failures + 1 : 0;
        const next = failed
          ? Math.min(intervalMs, RETRY_MIN_MS * 2 ** (v.failures - 1))
          : intervalMs;
        heap.push({ atMs: clock.now() + next, what: 'pass', variant: v });
        break;
      }
      case 'loss-pass':
        item.variant.lossPending.delete(item.room);
        await item.variant.rt.reconciler.runPass({
          room: item.room,
          trigger: 'loss',
          skipIfBusy: false,
        });
        break;
      case 'sweep':
        for (const b of baselines) b.impl.sweep(item.atMs);
        break;
      case 'outage':
        apiDown = item.down;
        emulator.setApiFault(item.down ? { mode: 'unavailable' } : null);
        break;
      default:
        throw new Error(`unknown item ${item.what}`);
    }
  }
  await clock.advanceTo(endAtMs);
  const simulatedMs = performance.now() - wall;

  const truth = emulator.connections();
  const results = [];
  for (const v of variants) {
    const cycles = [];
    for (const r of scenario.rooms) cycles.push(...(await v.rt.store.listRoomCycles(r.room)));
    results.push({
      name: v.name,
      deliverTracks: v.deliverTracks,
      cycles,
      apiCalls: v.apiCalls,
      passes: v.passes,
      ingested: v.ingested,
      outageCloses: v.outageCloses,
      policy: v.rt.config.policy,
      uncountedKinds: new Set(v.rt.config.uncountedKinds),
    });
    await v.rt.close();
  }
  await server.close();
  return {
    truth,
    leaves,
    deliveredJoins,
    deliveredLefts,
    generated,
    lostByType,
    variants: results,
    baselines: baselines.map(({ impl, ...b }) => ({
      ...b,
      cyclesOf: (room, identity) => impl.cyclesOf(room, identity),
      closes: impl.closes,
      apiCalls: impl.apiCalls,
      unknownAnswers: impl.unknownAnswers,
    })),
    simulatedMs,
  };
}

function schedulePoll(heap, item) {
  let next = item.atMs + POLL_MS;
  let w = item.w;
  while (w < item.page.windows.length && next > item.page.windows[w][1]) {
    w++;
    if (w < item.page.windows.length) next = Math.max(next, item.page.windows[w][0]);
  }
  if (w < item.page.windows.length) heap.push({ atMs: next, what: 'poll', page: item.page, w });
}

/** One scripted step on the emulator; a step for a session that already ended is skipped. */
function runAction(emulator, handles, a) {
  const h = handles.get(a.handle);
  try {
    switch (a.type) {
      case 'connect': {
        const r = emulator.connect(a.room, {
          identity: a.identity,
          ...(a.kind ? { kind: a.kind } : {}),
          ...(a.state ? { state: a.state } : {}),
        });
        handles.set(a.handle, { sid: r.sid, identity: a.identity, tracks: {} });
        return;
      }
      case 'switch': {
        const live = h !== undefined && emulator.peekParticipant(a.room, a.identity)?.sid === h.sid;
        const r = live
          ? emulator.reconnect(a.room, a.identity, { state: a.state })
          : emulator.connect(a.room, { identity: a.identity, state: a.state });
        handles.set(a.to, { sid: r.sid, identity: a.identity, tracks: {} });
        return;
      }
      default:
        break;
    }
    if (h === undefined || emulator.peekParticipant(a.room, h.identity)?.sid !== h.sid) return;
    switch (a.type) {
      case 'activate':
        emulator.setState(a.room, h.sid, 'ACTIVE');
        return;
      case 'publish':
        if (h.tracks[a.track]) return;
        h.tracks[a.track] = emulator.publishTrack(a.room, h.sid, TRACKS[a.track]).trackSid;
        return;
      case 'unpublish':
        if (!h.tracks[a.track]) return;
        emulator.unpublishTrack(a.room, h.sid, h.tracks[a.track]);
        delete h.tracks[a.track];
        return;
      case 'leave':
        emulator.disconnect(a.room, h.sid);
        return;
      case 'abort':
        emulator.disconnect(a.room, h.sid, { reason: 'JOIN_FAILURE' });
        return;
      case 'abrupt':
        emulator.abruptDisconnect(a.room, h.sid);
        return;
      default:
        throw new Error(`unknown action ${a.type}`);
    }
  } catch (e) {
    if (e?.name !== 'EmulatorError') throw e;
    if (process.env.TRUTH_DEBUG) console.error('skipped', a.type, a.handle, e.message);
  }
}

function hash(s) {
  let h = 2166136261;
  for (const ch of s) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}
