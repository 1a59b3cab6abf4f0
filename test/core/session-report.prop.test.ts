import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  ATTENDANCE_STATUSES,
  computeSessionParticipant,
  computeSessionReport,
  participantIdentities,
  type Cycle,
  type RosterMember,
  type Session,
  type SessionReportCore,
  type StatusOverride,
} from '../../src/core/index.js';
import { COUNTING, T0, cycle, member, override, session } from './session-fixtures.js';

// Every time is a whole second after T0, so presence sampled once a second (at t, covering
// [t, t + 1 s)) measures exactly what a union of intervals would.
const S = 1_000;
const at = (seconds: number) => T0 + seconds * S;

const IDENTITIES = ['a', 'a-phone', 'b', 'c', 'd'] as const;
/** Candidate roster entries: `a` dials in as `a-phone`; `c` lists the member `b` as an alias. */
const MEMBERS: RosterMember[] = [
  member('a', { name: 'Ann', aliases: ['a-phone'] }),
  member('b', { role: 'student' }),
  member('c', { aliases: ['b'] }),
];
const UNCOUNTED = new Set(['EGRESS', 'INGRESS', 'AGENT', 'BRIDGE']);

interface CycleSpec {
  identity: string;
  room: string;
  joinS: number;
  lenS: number | null;
  kind: string;
  connected: boolean;
  estimated: boolean;
}

const cycleSpecArb: fc.Arbitrary<CycleSpec> = fc.record({
  identity: fc.constantFrom(...IDENTITIES),
  room: fc.constantFrom('r1', 'r2', 'r3'),
  joinS: fc.integer({ min: 0, max: 220 }),
  lenS: fc.option(fc.integer({ min: 0, max: 100 }), { freq: 4 }),
  kind: fc.constantFrom('STANDARD', 'STANDARD', 'SIP', 'EGRESS'),
  connected: fc.constantFrom(true, true, true, true, false),
  estimated: fc.boolean(),
});

function toCycle(spec: CycleSpec, index: number): Cycle {
  return cycle({
    sid: `PA_${index}`,
    identity: spec.identity,
    room: spec.room,
    joinedAtMs: at(spec.joinS),
    leftAtMs: spec.lenS === null ? null : at(spec.joinS + spec.lenS),
    kind: spec.kind,
    name: index % 3 === 0 ? '' : `${spec.identity} #${index}`,
    connected: spec.connected,
    estimated: spec.estimated,
  });
}

interface Scenario {
  session: Session;
  specs: CycleSpec[];
  cycles: Cycle[];
  overrides: StatusOverride[];
  nowMs: number;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    startS: fc.integer({ min: 0, max: 60 }),
    lenS: fc.integer({ min: 1, max: 120 }),
    nowS: fc.integer({ min: 0, max: 250 }),
    rooms: fc.shuffledSubarray(['r1', 'r2'], { minLength: 1 }),
    roster: fc.shuffledSubarray(MEMBERS),
    hosts: fc.shuffledSubarray(['b', 'd', 'a-phone']),
    lateFrom: fc.constantFrom('start' as const, 'host' as const),
    // Thresholds in quarter minutes (15 s): exact in binary, and often hit exactly.
    lateAfterQ: fc.integer({ min: 0, max: 6 }),
    leftEarlyQ: fc.integer({ min: 0, max: 6 }),
    presentPercent: fc.integer({ min: 0, max: 100 }),
    absentBelowQ: fc.integer({ min: 0, max: 6 }),
    specs: fc.array(cycleSpecArb, { maxLength: 14 }),
    overridden: fc.shuffledSubarray(['a', 'a-phone', 'c', 'e']),
  })
  .map((g) => ({
    session: session({
      rooms: g.rooms,
      startsAtMs: at(g.startS),
      endsAtMs: at(g.startS + g.lenS),
      roster: g.roster,
      hosts: g.hosts,
      policy: {
        lateFrom: g.lateFrom,
        lateAfterMinutes: g.lateAfterQ / 4,
        leftEarlyMinutes: g.leftEarlyQ / 4,
        presentPercent: g.presentPercent,
        absentBelowMinutes: g.absentBelowQ / 4,
      },
    }),
    specs: g.specs,
    cycles: g.specs.map(toCycle),
    overrides: g.overridden.map((identity, i) => override(identity, 'excused', at(i))),
    nowMs: at(g.nowS),
  }));

function reportOf(sc: Scenario, cycles: readonly Cycle[] = sc.cycles): SessionReportCore {
  return computeSessionReport({
    session: sc.session,
    cycles,
    overrides: sc.overrides,
    nowMs: sc.nowMs,
    counting: COUNTING,
  });
}

// ---- The oracle: second-by-second presence, written from the model, not from the code -------

interface Truth {
  /** Seconds (after T0) each person was present inside the window. */
  seconds: Map<string, number[]>;
  /** Sids of the counted cycles each person had inside the window. */
  sids: Map<string, Set<string>>;
  people: Set<string>;
  lateReferenceMs: number;
  hosts: Set<string>;
}

function personOf(roster: readonly RosterMember[], identity: string): string {
  if (roster.some((m) => m.identity === identity)) return identity;
  return roster.find((m) => m.aliases.includes(identity))?.identity ?? identity;
}

function truthOf(sc: Scenario): Truth {
  const { startsAtMs, endsAtMs, roster, policy } = sc.session;
  const firstS = (startsAtMs - T0) / S;
  const lastS = (Math.min(endsAtMs, sc.nowMs) - T0) / S;
  const seconds = new Map<string, number[]>();
  const sids = new Map<string, Set<string>>();
  for (let t = firstS; t < lastS; t++) {
    const here = new Set<string>();
    sc.specs.forEach((spec, i) => {
      if (!spec.connected || UNCOUNTED.has(spec.kind) || !sc.session.rooms.includes(spec.room))
        return;
      const untilS = spec.lenS === null ? (sc.nowMs - T0) / S : spec.joinS + spec.lenS;
      if (t < spec.joinS || t >= untilS) return;
      const person = personOf(roster, spec.identity);
      here.add(person);
      sids.set(person, (sids.get(person) ?? new Set()).add(`PA_${i}`));
    });
    for (const person of here) seconds.set(person, [...(seconds.get(person) ?? []), t]);
  }
  const hosts = new Set(sc.session.hosts.map((h) => personOf(roster, h)));
  const people = new Set([
    ...roster.map((m) => m.identity),
    ...hosts,
    ...seconds.keys(),
    ...sc.overrides.map((o) => personOf(roster, o.identity)),
  ]);
  const hostArrivals = [...hosts].flatMap((h) => seconds.get(h)?.slice(0, 1) ?? []);
  const lateReferenceMs =
    policy.lateFrom === 'host' && hostArrivals.length > 0
      ? Math.max(startsAtMs, at(Math.min(...hostArrivals)))
      : startsAtMs;
  return { seconds, sids, people, lateReferenceMs, hosts };
}

/** The policy's rules, in order, applied to the oracle's measures. */
function statusFromTruth(
  sc: Scenario,
  state: SessionReportCore['state'],
  seconds: readonly number[],
  referenceMs: number,
): string {
  const { startsAtMs, endsAtMs, policy } = sc.session;
  const attendedS = seconds.length;
  const percent = Math.round(((100 * attendedS * S) / (endsAtMs - startsAtMs)) * 10) / 10;
  const lateS = attendedS > 0 ? Math.max(0, (at(seconds[0]!) - referenceMs) / S) : 0;
  const leftEarlyS =
    state === 'ended' && attendedS > 0 ? (endsAtMs - at(seconds.at(-1)! + 1)) / S : 0;
  if (attendedS === 0 || attendedS < policy.absentBelowMinutes * 60) return 'absent';
  if (lateS > policy.lateAfterMinutes * 60) return 'late';
  if (leftEarlyS > policy.leftEarlyMinutes * 60) return 'left_early';
  if (percent < policy.presentPercent) return 'partial';
  return 'present';
}

function runsOf(seconds: readonly number[]): number {
  return seconds.filter((t, i) => i === 0 || seconds[i - 1] !== t - 1).length;
}

describe('session report', () => {
  test.prop([scenarioArb], { numRuns: 400 })(
    'measures every person as second-by-second presence does',
    (sc) => {
      const r = reportOf(sc);
      const truth = truthOf(sc);
      expect(new Set(r.participants.map((p) => p.identity))).toEqual(truth.people);
      expect(r.participants).toHaveLength(truth.people.size);
      expect(r.lateReferenceMs).toBe(truth.lateReferenceMs);
      for (const row of r.participants) {
        const seconds = truth.seconds.get(row.identity) ?? [];
        expect(row.attendedMs).toBe(seconds.length * S);
        expect(row.firstJoinedAtMs).toBe(seconds.length > 0 ? at(seconds[0]!) : null);
        if (!row.inMeeting || r.state !== 'live') {
          expect(row.lastLeftAtMs).toBe(seconds.length > 0 ? at(seconds.at(-1)! + 1) : null);
        } else {
          expect(row.lastLeftAtMs).toBeNull();
        }
        expect(row.reconnects).toBe(Math.max(0, runsOf(seconds) - 1));
        expect(row.connections).toBe(truth.sids.get(row.identity)?.size ?? 0);
        expect(row.cycles.map((c) => c.sid).sort()).toEqual(
          [...(truth.sids.get(row.identity) ?? [])].sort(),
        );
        const reference = truth.hosts.has(row.identity)
          ? sc.session.startsAtMs
          : truth.lateReferenceMs;
        expect(row.lateByMs).toBe(
          seconds.length > 0 ? Math.max(0, at(seconds[0]!) - reference) : 0,
        );
        expect(row.isHost).toBe(truth.hosts.has(row.identity));
        expect(row.computedStatus).toBe(statusFromTruth(sc, r.state, seconds, reference));
        const override = sc.overrides.find(
          (o) => personOf(sc.session.roster, o.identity) === row.identity,
        );
        expect(row.status).toBe(override?.status ?? row.computedStatus);
      }
    },
  );

  test.prop([scenarioArb])('stays within the window', (sc) => {
    const r = reportOf(sc);
    const elapsed = Math.max(0, Math.min(sc.session.endsAtMs, sc.nowMs) - sc.session.startsAtMs);
    for (const row of r.participants) {
      expect(row.attendedMs).toBeGreaterThanOrEqual(0);
      expect(row.attendedMs).toBeLessThanOrEqual(elapsed);
      expect(row.attendedPercent).toBeGreaterThanOrEqual(0);
      expect(row.attendedPercent).toBeLessThanOrEqual(100);
      const durations = row.cycles.map((c) => c.durationMs);
      expect(Math.max(0, ...durations)).toBeLessThanOrEqual(row.attendedMs);
      expect(durations.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(row.attendedMs);
    }
  });

  test.prop([
    scenarioArb.chain((sc) =>
      fc.tuple(
        fc.constant(sc),
        fc.shuffledSubarray(sc.cycles, { minLength: sc.cycles.length }),
        sc.cycles.length === 0 ? fc.constant([]) : fc.array(fc.constantFrom(...sc.cycles)),
      ),
    ),
  ])('does not depend on cycle order or duplicated cycles', ([sc, shuffled, copies]) => {
    const clones = copies.map((c) => ({ ...c }));
    expect(reportOf(sc, [...clones, ...shuffled])).toEqual(reportOf(sc));
  });

  test.prop([scenarioArb, cycleSpecArb])(
    'never lowers anyone’s time for one more cycle',
    (sc, spec) => {
      const before = reportOf(sc);
      const after = reportOf(sc, [...sc.cycles, toCycle(spec, sc.cycles.length)]);
      for (const row of before.participants) {
        const later = after.participants.find((p) => p.identity === row.identity);
        expect(later).toBeDefined();
        expect(later!.attendedMs).toBeGreaterThanOrEqual(row.attendedMs);
      }
    },
  );

  test.prop([scenarioArb, fc.constantFrom(...IDENTITIES, 'e', 'zz')])(
    'gives each person the row of the report, from the identities it reads',
    (sc, asked) => {
      const r = reportOf(sc);
      const { identity, read } = participantIdentities(sc.session, asked);
      expect(identity).toBe(personOf(sc.session.roster, asked));
      const expected = r.participants.find((p) => p.identity === identity);
      const row = computeSessionParticipant({
        session: sc.session,
        identity: asked,
        cycles: sc.cycles.filter((c) => read.includes(c.identity)),
        override: expected?.override ?? null,
        nowMs: sc.nowMs,
        counting: COUNTING,
      });
      if (expected) expect(row).toEqual(expected);
      else expect([row.attendedMs, row.status, row.onRoster]).toEqual([0, 'absent', false]);
    },
  );

  test.prop([scenarioArb])('has a summary that adds up', (sc) => {
    const { summary, participants } = reportOf(sc);
    const counts = Object.values(summary.byStatus);
    expect(Object.keys(summary.byStatus).sort()).toEqual([...ATTENDANCE_STATUSES].sort());
    expect(counts.reduce((a, b) => a + b, 0)).toBe(participants.length);
    for (const status of ATTENDANCE_STATUSES) {
      expect(summary.byStatus[status]).toBe(participants.filter((p) => p.status === status).length);
    }
    expect(summary.expected).toBe(sc.session.roster.length);
    expect(participants.filter((p) => p.onRoster).map((p) => p.identity)).toEqual(
      sc.session.roster.map((m) => m.identity),
    );
    expect(summary.attended).toBe(participants.filter((p) => p.attendedMs > 0).length);
    expect(summary.guests).toBe(
      sc.session.roster.length === 0
        ? 0
        : participants.filter((p) => !p.onRoster && !p.isHost).length,
    );
  });
});
