import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  applyEvents,
  computeIdentityStatus,
  eventFootprint,
  measureUnion,
  DEFAULT_UNCOUNTED_KINDS,
  type Cycle,
  type LiveKitEvent,
} from '../../src/core/index.js';

const T0 = 1_700_000_000_000;
const policy = { uncountedKinds: new Set<string>(DEFAULT_UNCOUNTED_KINDS) };

interface Connection {
  sid: string;
  identity: string;
  joinedAtMs: number;
  /** Seconds-precision leave time, or null while still connected. */
  leftAtMs: number | null;
  aborted: boolean;
  tracks: number[];
}

/** A physically possible history of one room incarnation, as LiveKit would report it. */
const historyArb = fc
  .record({
    connections: fc.array(
      fc.record({
        identity: fc.constantFrom('alice', 'bob', 'carol'),
        joinOffsetMs: fc.integer({ min: 0, max: 3_600_000 }),
        lengthS: fc.option(fc.integer({ min: 0, max: 3_600 }), { nil: null }),
        aborted: fc.boolean(),
        trackOffsetsS: fc.array(fc.integer({ min: 0, max: 3_600 }), { maxLength: 2 }),
      }),
      { minLength: 1, maxLength: 8 },
    ),
    finished: fc.boolean(),
  })
  .map(({ connections, finished }) => {
    const conns: Connection[] = connections.map((c, i) => {
      const joinedAtMs = T0 + c.joinOffsetMs;
      const leftAtMs =
        c.lengthS === null && !c.aborted
          ? null
          : Math.ceil(joinedAtMs / 1000) * 1000 + (c.lengthS ?? 0) * 1000;
      return {
        sid: `PA_${i}`,
        identity: c.identity,
        joinedAtMs,
        leftAtMs,
        aborted: c.aborted,
        tracks: c.trackOffsetsS.map((s) => Math.ceil(joinedAtMs / 1000) * 1000 + s * 1000),
      };
    });
    const lastEvent = Math.max(
      ...conns.flatMap((c) => [c.leftAtMs ?? 0, ...c.tracks, c.joinedAtMs]),
    );
    const finishedAtMs = finished ? Math.ceil(lastEvent / 1000) * 1000 + 20_000 : null;
    return { conns, finishedAtMs };
  });

const room = { name: 'class-101', sid: 'RM_1' };

function toEvents(h: { conns: Connection[]; finishedAtMs: number | null }): LiveKitEvent[] {
  const out: LiveKitEvent[] = [];
  for (const c of h.conns) {
    const p = {
      sid: c.sid,
      identity: c.identity,
      name: c.identity.toUpperCase(),
      kind: 'STANDARD',
      joinedAtMs: c.joinedAtMs,
      version: 1,
    };
    const joinedCreated = Math.ceil(c.joinedAtMs / 1000) * 1000;
    if (!c.aborted)
      out.push({
        id: `EV_j${c.sid}`,
        type: 'participant_joined',
        createdAtMs: joinedCreated,
        room,
        participant: p,
      });
    c.tracks.forEach((t, i) =>
      out.push({
        id: `EV_t${c.sid}_${i}`,
        type: 'track_published',
        createdAtMs: t,
        room: { name: room.name, sid: room.sid },
        participant: {
          sid: c.sid,
          identity: c.identity,
          name: null,
          kind: null,
          joinedAtMs: null,
          version: null,
        },
      }),
    );
    if (c.leftAtMs !== null) {
      out.push({
        id: `EV_l${c.sid}`,
        type: c.aborted ? 'participant_connection_aborted' : 'participant_left',
        createdAtMs: c.leftAtMs,
        room,
        participant: { ...p, version: 2 },
      });
    }
  }
  if (h.finishedAtMs !== null) {
    out.push({
      id: 'EV_fin',
      type: 'room_finished',
      createdAtMs: h.finishedAtMs,
      room,
      participant: null,
    });
  }
  return out;
}

/** A store as the service uses it: load the batch's footprint, fold, write back what changed. */
function replay(events: LiveKitEvent[], batchSizes: number[]): Map<string, Cycle> {
  const store = new Map<string, Cycle>();
  const finished = new Map<string, number>();
  let i = 0;
  let b = 0;
  while (i < events.length) {
    const size = Math.max(1, batchSizes[b++ % Math.max(1, batchSizes.length)] ?? 1);
    const batch = events.slice(i, i + size);
    i += size;
    const fp = eventFootprint(batch);
    const cycles = new Map<string, Cycle>();
    for (const sid of fp.sids) {
      const c = store.get(sid);
      if (c) cycles.set(sid, c);
    }
    for (const c of store.values()) if (fp.finishedRooms.has(c.room)) cycles.set(c.sid, c);
    const roomFinishedAtMs = new Map([...finished].filter(([sid]) => fp.roomSids.has(sid)));
    const result = applyEvents({ cycles, roomFinishedAtMs }, batch);
    for (const c of result.changed) store.set(c.sid, c);
    for (const f of result.finished)
      finished.set(f.roomSid, Math.min(f.atMs, finished.get(f.roomSid) ?? Infinity));
  }
  return store;
}

function sorted(m: Map<string, Cycle>): Cycle[] {
  return [...m.values()].sort((a, b) => (a.sid < b.sid ? -1 : 1));
}

/** Picks a permutation with duplicates of the events. */
const deliveryArb = (n: number) =>
  fc.record({
    order: fc.array(fc.nat(), { minLength: n, maxLength: n }),
    dups: fc.array(fc.nat({ max: Math.max(0, n - 1) }), { maxLength: 5 }),
    batches: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
  });

describe('event application is order- and duplicate-independent', () => {
  test.prop([historyArb.chain((h) => fc.tuple(fc.constant(h), deliveryArb(toEvents(h).length)))], {
    numRuns: 300,
  })('any order, any duplicates, any batching gives the same cycles', ([h, d]) => {
    const events = toEvents(h);
    const reference = sorted(replay(events, [1]));
    const withDups = [...events, ...d.dups.map((i) => events[i]!)];
    const shuffled = withDups
      .map((e, i) => ({ e, k: d.order[i % d.order.length]! * 1000 + i }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.e);
    expect(sorted(replay(shuffled, d.batches))).toEqual(reference);
  });

  test.prop([historyArb.chain((h) => fc.tuple(fc.constant(h), deliveryArb(toEvents(h).length)))], {
    numRuns: 300,
  })('attended time equals the ground truth LiveKit reported, per identity', ([h, d]) => {
    const events = toEvents(h);
    const shuffled = [...events].sort(
      (a, b) => (d.order[events.indexOf(a)] ?? 0) - (d.order[events.indexOf(b)] ?? 0),
    );
    const store = replay(shuffled, d.batches);
    const nowMs = T0 + 10 * 3_600_000;
    for (const identity of ['alice', 'bob', 'carol']) {
      const truth = measureUnion(
        h.conns
          .filter((c) => c.identity === identity && !c.aborted)
          .map((c) => {
            const end = Math.min(c.leftAtMs ?? nowMs, h.finishedAtMs ?? Infinity);
            return { startMs: c.joinedAtMs, endMs: Math.max(end, c.joinedAtMs) };
          }),
      );
      const status = computeIdentityStatus({
        room: room.name,
        identity,
        cycles: [...store.values()].filter((c) => c.identity === identity),
        lastVerifiedAtMs: null,
        nowMs,
        policy,
      });
      expect(status.attendedMs).toBe(truth);
    }
  });
});
