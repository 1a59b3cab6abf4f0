import { describe, expect, it } from 'vitest';
import {
  computeSessionParticipant,
  computeSessionReport,
  participantIdentities,
  sessionState,
  type Cycle,
  type Session,
  type SessionReportCore,
  type StatusOverride,
} from '../../src/core/index.js';
import { COUNTING, MIN, POLICY, T0, cycle, member, override, session } from './session-fixtures.js';

const END = T0 + 60 * MIN;
/** Long after the session: it has ended. */
const LATER = T0 + 3 * 60 * MIN;

function report(
  opts: { session?: Session; cycles?: Cycle[]; overrides?: StatusOverride[]; nowMs?: number } = {},
): SessionReportCore {
  return computeSessionReport({
    session: opts.session ?? session(),
    cycles: opts.cycles ?? [],
    overrides: opts.overrides ?? [],
    nowMs: opts.nowMs ?? LATER,
    counting: COUNTING,
  });
}

function rowOf(r: SessionReportCore, identity: string) {
  const row = r.participants.find((p) => p.identity === identity);
  if (!row) throw new Error(`no row for ${identity}`);
  return row;
}

describe('sessionState', () => {
  it('is scheduled before startsAt, live until endsAt and ended from endsAt on', () => {
    const s = session();
    expect(sessionState(s, T0 - 1)).toBe('scheduled');
    expect(sessionState(s, T0)).toBe('live');
    expect(sessionState(s, END - 1)).toBe('live');
    expect(sessionState(s, END)).toBe('ended');
  });
});

describe('computeSessionReport: the window', () => {
  it('gives no credit before startsAt to someone who joined early, and does not call them late', () => {
    const r = report({
      cycles: [cycle({ identity: 'alice', joinedAtMs: T0 - 10 * MIN, leftAtMs: END })],
    });
    const alice = rowOf(r, 'alice');
    expect(alice.attendedMs).toBe(60 * MIN);
    expect(alice.firstJoinedAtMs).toBe(T0);
    expect(alice.lateByMs).toBe(0);
    expect(alice.status).toBe('present');
    expect(alice.cycles[0]!.joinedAtMs).toBe(T0 - 10 * MIN);
    expect(alice.cycles[0]!.durationMs).toBe(60 * MIN);
  });

  it('gives no credit after endsAt to someone who stayed late', () => {
    const r = report({
      cycles: [cycle({ identity: 'alice', joinedAtMs: T0, leftAtMs: END + 20 * MIN })],
    });
    const alice = rowOf(r, 'alice');
    expect(alice.attendedMs).toBe(60 * MIN);
    expect(alice.lastLeftAtMs).toBe(END);
    expect(alice.leftEarlyByMs).toBe(0);
    expect(alice.cycles[0]!.leftAtMs).toBe(END + 20 * MIN);
    expect(alice.cycles[0]!.durationMs).toBe(60 * MIN);
  });

  it('counts a reconnect across the start as one connection and a gap inside as a reconnect', () => {
    const r = report({
      cycles: [
        // Before the window entirely: not a connection of this session.
        cycle({ identity: 'alice', joinedAtMs: T0 - 30 * MIN, leftAtMs: T0 - 20 * MIN }),
        cycle({ identity: 'alice', joinedAtMs: T0 - 5 * MIN, leftAtMs: T0 + 20 * MIN }),
        cycle({ identity: 'alice', joinedAtMs: T0 + 22 * MIN, leftAtMs: END + 5 * MIN }),
      ],
    });
    const alice = rowOf(r, 'alice');
    expect(alice.connections).toBe(2);
    expect(alice.reconnects).toBe(1);
    expect(alice.attendedMs).toBe(58 * MIN);
    expect(alice.firstJoinedAtMs).toBe(T0);
    expect(alice.lastLeftAtMs).toBe(END);
  });

  it('does not count a reconnect when the new connection starts as the old one ends', () => {
    const r = report({
      cycles: [
        cycle({ identity: 'alice', joinedAtMs: T0, leftAtMs: T0 + 20 * MIN }),
        cycle({ identity: 'alice', joinedAtMs: T0 + 20 * MIN, leftAtMs: END }),
      ],
    });
    expect(rowOf(r, 'alice').reconnects).toBe(0);
    expect(rowOf(r, 'alice').connections).toBe(2);
  });

  it('counts two devices at once only once', () => {
    const r = report({
      cycles: [
        cycle({ identity: 'alice', joinedAtMs: T0, leftAtMs: T0 + 40 * MIN }),
        cycle({ identity: 'alice', joinedAtMs: T0 + 10 * MIN, leftAtMs: T0 + 50 * MIN }),
      ],
    });
    const alice = rowOf(r, 'alice');
    expect(alice.attendedMs).toBe(50 * MIN);
    expect(alice.connections).toBe(2);
    expect(alice.reconnects).toBe(0);
  });

  it('counts the main room and a breakout at once only once, and ignores other rooms', () => {
    const r = report({
      session: session({ rooms: ['main', 'breakout-1'] }),
      cycles: [
        cycle({ identity: 'alice', room: 'main', joinedAtMs: T0, leftAtMs: T0 + 30 * MIN }),
        cycle({ identity: 'alice', room: 'breakout-1', joinedAtMs: T0 + 20 * MIN, leftAtMs: END }),
        cycle({ identity: 'alice', room: 'other-class', joinedAtMs: T0, leftAtMs: END }),
        cycle({ identity: 'bob', room: 'other-class', joinedAtMs: T0, leftAtMs: END }),
      ],
    });
    expect(r.participants.map((p) => p.identity)).toEqual(['alice']);
    const alice = rowOf(r, 'alice');
    expect(alice.attendedMs).toBe(60 * MIN);
    expect(alice.cycles.map((c) => c.room)).toEqual(['main', 'breakout-1']);
  });

  it('counts copies of one cycle once', () => {
    const c = cycle({ identity: 'alice', joinedAtMs: T0, leftAtMs: T0 + 30 * MIN });
    const alice = rowOf(report({ cycles: [c, { ...c }] }), 'alice');
    expect(alice.connections).toBe(1);
    expect(alice.attendedMs).toBe(30 * MIN);
  });

  it('leaves out a connection whose leave LiveKit dates before its join', () => {
    // LiveKit's seconds-precision createdAt can fall before the millisecond joinedAtMs: no time.
    const quick = cycle({ identity: 'alice', joinedAtMs: T0 + 500, leftAtMs: null });
    quick.endedAtMs = T0;
    quick.endedBy = 'webhook';
    const c = cycle({ identity: 'alice', joinedAtMs: T0 + 10 * MIN, leftAtMs: END });
    const alice = rowOf(report({ cycles: [c, quick] }), 'alice');
    expect(alice.cycles.map((v) => v.sid)).toEqual([c.sid]);
    expect(alice.connections).toBe(1);
    expect(alice.firstJoinedAtMs).toBe(T0 + 10 * MIN);
  });
});

describe('computeSessionReport: lateness', () => {
  const hosted = (lateFrom: 'start' | 'host') =>
    session({
      hosts: ['teacher'],
      roster: [member('alice'), member('bob')],
      policy: { ...POLICY, lateFrom },
    });

  it('measures others from a late host with lateFrom host, and the host from the start', () => {
    const r = report({
      session: hosted('host'),
      cycles: [
        cycle({ identity: 'teacher', joinedAtMs: T0 + 10 * MIN, leftAtMs: END }),
        cycle({ identity: 'alice', joinedAtMs: T0 + 12 * MIN, leftAtMs: END }),
        cycle({ identity: 'bob', joinedAtMs: T0 + 20 * MIN, leftAtMs: END }),
      ],
    });
    expect(r.lateReferenceMs).toBe(T0 + 10 * MIN);
    expect(rowOf(r, 'alice').lateByMs).toBe(2 * MIN);
    expect(rowOf(r, 'alice').status).toBe('present');
    expect(rowOf(r, 'bob').lateByMs).toBe(10 * MIN);
    expect(rowOf(r, 'bob').status).toBe('late');
    expect(rowOf(r, 'teacher').lateByMs).toBe(10 * MIN);
    expect(rowOf(r, 'teacher').status).toBe('late');
  });

  it('measures from the start when the host came early', () => {
    const r = report({
      session: hosted('host'),
      cycles: [
        cycle({ identity: 'teacher', joinedAtMs: T0 - 5 * MIN, leftAtMs: END }),
        cycle({ identity: 'alice', joinedAtMs: T0 + 6 * MIN, leftAtMs: END }),
      ],
    });
    expect(r.lateReferenceMs).toBe(T0);
    expect(rowOf(r, 'alice').status).toBe('late');
  });

  it('measures from the start when no host came', () => {
    const r = report({
      session: hosted('host'),
      cycles: [cycle({ identity: 'alice', joinedAtMs: T0 + 7 * MIN, leftAtMs: END })],
    });
    expect(r.lateReferenceMs).toBe(T0);
    expect(rowOf(r, 'alice').lateByMs).toBe(7 * MIN);
    expect(rowOf(r, 'alice').status).toBe('late');
    expect(rowOf(r, 'teacher').status).toBe('absent');
  });

  it('ignores the host with lateFrom start', () => {
    const r = report({
      session: hosted('start'),
      cycles: [
        cycle({ identity: 'teacher', joinedAtMs: T0 + 10 * MIN, leftAtMs: END }),
        cycle({ identity: 'alice', joinedAtMs: T0 + 12 * MIN, leftAtMs: END }),
      ],
    });
    expect(r.lateReferenceMs).toBe(T0);
    expect(rowOf(r, 'alice').lateByMs).toBe(12 * MIN);
  });

  it('takes the earliest of several hosts, and a host listed by alias is its member', () => {
    const s = session({
      hosts: ['ta-phone', 'teacher'],
      roster: [member('ta', { aliases: ['ta-phone'] }), member('alice')],
      policy: { ...POLICY, lateFrom: 'host' },
    });
    const r = report({
      session: s,
      cycles: [
        cycle({ identity: 'teacher', joinedAtMs: T0 + 15 * MIN, leftAtMs: END }),
        cycle({ identity: 'ta-phone', kind: 'SIP', joinedAtMs: T0 + 8 * MIN, leftAtMs: END }),
        cycle({ identity: 'alice', joinedAtMs: T0 + 14 * MIN, leftAtMs: END }),
      ],
    });
    expect(r.lateReferenceMs).toBe(T0 + 8 * MIN);
    expect(rowOf(r, 'ta').isHost).toBe(true);
    expect(rowOf(r, 'ta').lateByMs).toBe(8 * MIN);
    expect(rowOf(r, 'alice').lateByMs).toBe(6 * MIN);
    expect(r.participants.map((p) => p.identity)).toEqual(['ta', 'alice', 'teacher']);
  });
});

describe('computeSessionReport: who is listed', () => {
  it('merges a phone dial-in by alias into its member', () => {
    const r = report({
      session: session({
        roster: [member('alice', { name: 'Alice A.', role: 'student', aliases: ['alice-phone'] })],
      }),
      cycles: [
        cycle({ identity: 'alice', joinedAtMs: T0, leftAtMs: T0 + 35 * MIN }),
        cycle({
          identity: 'alice-phone',
          kind: 'SIP',
          name: 'Phone +1 555',
          joinedAtMs: T0 + 30 * MIN,
          leftAtMs: END,
        }),
      ],
    });
    expect(r.participants.map((p) => p.identity)).toEqual(['alice']);
    const alice = rowOf(r, 'alice');
    expect(alice.attendedMs).toBe(60 * MIN);
    expect(alice.joinedByPhone).toBe(true);
    expect(alice.connections).toBe(2);
    expect(alice.name).toBe('Alice A.');
    expect(alice.role).toBe('student');
    expect(alice.cycles.map((c) => c.kind)).toEqual(['STANDARD', 'SIP']);
  });

  it('keeps a member who is also listed as someone else’s alias as themselves', () => {
    const r = report({
      session: session({ roster: [member('alice', { aliases: ['bob'] }), member('bob')] }),
      cycles: [cycle({ identity: 'bob', joinedAtMs: T0, leftAtMs: END })],
    });
    expect(rowOf(r, 'bob').attendedMs).toBe(60 * MIN);
    expect(rowOf(r, 'alice').attendedMs).toBe(0);
  });

  it('lists a roster member who never came as absent', () => {
    const r = report({ session: session({ roster: [member('alice', { name: 'Alice' })] }) });
    expect(rowOf(r, 'alice')).toEqual({
      identity: 'alice',
      name: 'Alice',
      role: null,
      isHost: false,
      onRoster: true,
      status: 'absent',
      computedStatus: 'absent',
      override: null,
      inMeeting: false,
      attendedMs: 0,
      attendedPercent: 0,
      firstJoinedAtMs: null,
      lastLeftAtMs: null,
      lateByMs: 0,
      leftEarlyByMs: 0,
      connections: 0,
      reconnects: 0,
      joinedByPhone: false,
      cycles: [],
    });
    expect(r.summary.expected).toBe(1);
    expect(r.summary.attended).toBe(0);
  });

  it('counts someone off a non-empty roster as a guest', () => {
    const r = report({
      session: session({ roster: [member('alice')], hosts: ['teacher'] }),
      cycles: [
        cycle({ identity: 'alice', joinedAtMs: T0, leftAtMs: END }),
        cycle({ identity: 'teacher', joinedAtMs: T0, leftAtMs: END }),
        cycle({ identity: 'zed', joinedAtMs: T0, leftAtMs: END }),
      ],
    });
    expect(r.summary.guests).toBe(1);
    expect(rowOf(r, 'zed').onRoster).toBe(false);
    expect(rowOf(r, 'zed').isHost).toBe(false);
  });

  it('has no guests with an empty roster', () => {
    const r = report({
      cycles: [
        cycle({ identity: 'alice', joinedAtMs: T0, leftAtMs: END }),
        cycle({ identity: 'zed', joinedAtMs: T0, leftAtMs: END }),
      ],
    });
    expect(r.participants).toHaveLength(2);
    expect(r.summary.guests).toBe(0);
    expect(r.summary.expected).toBe(0);
  });

  it('leaves recorders and agents out entirely', () => {
    const r = report({
      cycles: [
        cycle({ identity: 'recorder', kind: 'EGRESS', joinedAtMs: T0, leftAtMs: null }),
        cycle({ identity: 'bot', kind: 'AGENT', joinedAtMs: T0, leftAtMs: END }),
      ],
    });
    expect(r.participants).toEqual([]);
    expect(r.openCycles).toBe(0);
  });

  it('leaves an aborted join out', () => {
    const r = report({
      cycles: [
        cycle({
          identity: 'alice',
          connected: false,
          joinedAtMs: T0 + MIN,
          leftAtMs: T0 + 2 * MIN,
        }),
      ],
    });
    expect(r.participants).toEqual([]);
  });

  it('lists roster members in roster order, then other hosts in hosts order, then by identity', () => {
    const r = report({
      session: session({ roster: [member('zoe'), member('adam')], hosts: ['t2', 'adam', 't1'] }),
      cycles: ['Bob', 'carl', 'al', 't1', 'zoe'].map((identity) =>
        cycle({ identity, joinedAtMs: T0, leftAtMs: END }),
      ),
    });
    expect(r.participants.map((p) => p.identity)).toEqual([
      'zoe',
      'adam',
      't2',
      't1',
      'Bob',
      'al',
      'carl',
    ]);
    expect(rowOf(r, 'adam').isHost).toBe(true);
    expect(rowOf(r, 'adam').onRoster).toBe(true);
  });

  it('names a person from the most recently joined cycle that has a name', () => {
    const r = report({
      cycles: [
        cycle({ identity: 'alice', name: 'Alice (laptop)', joinedAtMs: T0, leftAtMs: END }),
        cycle({ identity: 'alice', name: 'Alice (phone)', joinedAtMs: T0 + MIN, leftAtMs: END }),
        cycle({ identity: 'alice', name: '', joinedAtMs: T0 + 2 * MIN, leftAtMs: END }),
        cycle({ identity: 'bob', name: null, joinedAtMs: T0, leftAtMs: END }),
      ],
    });
    expect(rowOf(r, 'alice').name).toBe('Alice (phone)');
    expect(rowOf(r, 'bob').name).toBeNull();
  });
});

describe('computeSessionReport: statuses', () => {
  // Each person alone, 60-minute window; POLICY: late > 5 min, left early > 5 min, present
  // >= 80 %, absent below 1 min.
  const statusOf = (joinedAtMs: number, leftAtMs: number) =>
    rowOf(report({ cycles: [cycle({ identity: 'p', joinedAtMs, leftAtMs })] }), 'p');

  it('is absent below absentBelowMinutes, and not at exactly that much', () => {
    expect(statusOf(T0, T0 + MIN - 1).status).toBe('absent');
    // The next rule that holds.
    expect(statusOf(T0, T0 + MIN).status).toBe('left_early');
  });

  it('is absent with no time even when absentBelowMinutes is 0', () => {
    const s = session({ roster: [member('p')], policy: { ...POLICY, absentBelowMinutes: 0 } });
    expect(rowOf(report({ session: s }), 'p').status).toBe('absent');
    const r = report({
      session: s,
      cycles: [cycle({ identity: 'p', joinedAtMs: T0, leftAtMs: T0 + 1 })],
    });
    expect(rowOf(r, 'p').status).toBe('left_early');
  });

  it('is late only past lateAfterMinutes', () => {
    expect(statusOf(T0 + 5 * MIN, END).status).toBe('present');
    expect(statusOf(T0 + 5 * MIN + 1, END).status).toBe('late');
  });

  it('has left early only past leftEarlyMinutes', () => {
    expect(statusOf(T0, END - 5 * MIN).status).toBe('present');
    const early = statusOf(T0, END - 5 * MIN - 1);
    expect(early.leftEarlyByMs).toBe(5 * MIN + 1);
    expect(early.status).toBe('left_early');
  });

  it('prefers late over left early, and both over partial', () => {
    expect(statusOf(T0 + 20 * MIN, END - 20 * MIN).status).toBe('late');
    expect(statusOf(T0, END - 30 * MIN).status).toBe('left_early');
  });

  it('is partial below presentPercent, and present at exactly presentPercent', () => {
    const gap = (missing: number) =>
      rowOf(
        report({
          cycles: [
            cycle({ identity: 'p', joinedAtMs: T0, leftAtMs: T0 + 10 * MIN }),
            cycle({ identity: 'p', joinedAtMs: T0 + 10 * MIN + missing, leftAtMs: END }),
          ],
        }),
        'p',
      );
    expect(gap(12 * MIN).attendedPercent).toBe(80);
    expect(gap(12 * MIN).status).toBe('present');
    expect(gap(12 * MIN + 3_600).attendedPercent).toBe(79.9);
    expect(gap(12 * MIN + 3_600).status).toBe('partial');
  });

  it('compares presentPercent with the rounded percent', () => {
    // 79.96 % rounds to 80.0 %.
    const r = report({
      cycles: [
        cycle({ identity: 'p', joinedAtMs: T0, leftAtMs: T0 + 10 * MIN }),
        cycle({ identity: 'p', joinedAtMs: T0 + 10 * MIN + 12 * MIN + 1_440, leftAtMs: END }),
      ],
    });
    expect(rowOf(r, 'p').attendedPercent).toBe(80);
    expect(rowOf(r, 'p').status).toBe('present');
  });

  it('rounds the percent to one decimal', () => {
    expect(statusOf(T0, T0 + 20 * MIN).attendedPercent).toBe(33.3);
    expect(statusOf(T0, T0 + 40 * MIN).attendedPercent).toBe(66.7);
    expect(statusOf(T0, T0 + 1_000).attendedPercent).toBe(0);
  });

  it('lets an override win and keeps the computed status', () => {
    const o = override('alice', 'present');
    const r = report({
      cycles: [cycle({ identity: 'alice', joinedAtMs: T0 + 30 * MIN, leftAtMs: END })],
      overrides: [o],
    });
    const alice = rowOf(r, 'alice');
    expect(alice.status).toBe('present');
    expect(alice.computedStatus).toBe('late');
    expect(alice.override).toEqual(o);
    expect(r.summary.byStatus).toEqual({
      present: 1,
      late: 0,
      left_early: 0,
      partial: 0,
      absent: 0,
      excused: 0,
    });
  });

  it('lists someone excused in advance who is in nothing else', () => {
    const r = report({
      session: session({ roster: [member('alice')] }),
      cycles: [cycle({ identity: 'alice', joinedAtMs: T0, leftAtMs: END })],
      overrides: [override('visitor')],
    });
    const visitor = rowOf(r, 'visitor');
    expect(visitor.status).toBe('excused');
    expect(visitor.computedStatus).toBe('absent');
    expect(visitor.attendedMs).toBe(0);
    expect(visitor.onRoster).toBe(false);
    expect(r.summary.guests).toBe(1);
    expect(r.summary.byStatus.excused).toBe(1);
    expect(r.summary.byStatus.present).toBe(1);
  });

  it('applies an override given for an alias to its member, the member’s own first', () => {
    const s = session({ roster: [member('alice', { aliases: ['alice-phone'] })] });
    const byAlias = override('alice-phone', 'excused', T0 + MIN);
    expect(rowOf(report({ session: s, overrides: [byAlias] }), 'alice').override).toEqual(byAlias);
    const own = override('alice', 'late', T0 - 60 * MIN);
    const r = report({ session: s, overrides: [byAlias, own] });
    expect(r.participants.map((p) => p.identity)).toEqual(['alice']);
    expect(rowOf(r, 'alice').status).toBe('late');
  });
});

describe('computeSessionReport: live and scheduled', () => {
  it('counts a live session up to now and leaves lastLeftAt null while the person is in', () => {
    const now = T0 + 30 * MIN;
    const r = report({
      nowMs: now,
      session: session({ roster: [member('alice'), member('bob')] }),
      cycles: [
        cycle({ identity: 'alice', joinedAtMs: T0 - MIN, leftAtMs: null }),
        cycle({ identity: 'bob', joinedAtMs: T0, leftAtMs: T0 + 10 * MIN }),
      ],
    });
    expect(r.state).toBe('live');
    expect(r.openCycles).toBe(1);
    const alice = rowOf(r, 'alice');
    expect(alice.inMeeting).toBe(true);
    expect(alice.attendedMs).toBe(30 * MIN);
    expect(alice.attendedPercent).toBe(50);
    expect(alice.lastLeftAtMs).toBeNull();
    expect(alice.leftEarlyByMs).toBe(0);
    expect(alice.cycles[0]).toEqual({
      room: 'main',
      sid: alice.cycles[0]!.sid,
      kind: 'STANDARD',
      joinedAtMs: T0 - MIN,
      leftAtMs: null,
      durationMs: 30 * MIN,
      openedBy: 'webhook',
      closedBy: null,
    });
    const bob = rowOf(r, 'bob');
    expect(bob.inMeeting).toBe(false);
    expect(bob.lastLeftAtMs).toBe(T0 + 10 * MIN);
    expect(bob.leftEarlyByMs).toBe(0);
  });

  it('gives someone still in the room when the session ended a lastLeftAt of endsAt', () => {
    const r = report({
      nowMs: END + 10 * MIN,
      cycles: [cycle({ identity: 'alice', joinedAtMs: T0, leftAtMs: null })],
    });
    const alice = rowOf(r, 'alice');
    expect(r.state).toBe('ended');
    expect(alice.inMeeting).toBe(true);
    expect(alice.lastLeftAtMs).toBe(END);
    expect(alice.attendedMs).toBe(60 * MIN);
    expect(alice.status).toBe('present');
    expect(r.openCycles).toBe(1);
  });

  it('counts nothing while scheduled', () => {
    const r = report({
      nowMs: T0 - 5 * MIN,
      session: session({ roster: [member('alice')] }),
      cycles: [cycle({ identity: 'alice', joinedAtMs: T0 - 10 * MIN, leftAtMs: null })],
    });
    expect(r.state).toBe('scheduled');
    expect(r.openCycles).toBe(0);
    expect(r.participants.map((p) => [p.identity, p.attendedMs, p.status])).toEqual([
      ['alice', 0, 'absent'],
    ]);
    expect(r.lateReferenceMs).toBe(T0);
  });

  it('counts open cycles inside the window only', () => {
    const r = report({
      nowMs: END + 30 * MIN,
      session: session({ rooms: ['main', 'breakout-1'] }),
      cycles: [
        cycle({ identity: 'alice', joinedAtMs: T0, leftAtMs: null }),
        cycle({ identity: 'alice', room: 'breakout-1', joinedAtMs: T0 + MIN, leftAtMs: null }),
        // Closed by the reconciler's estimate: not open.
        cycle({
          identity: 'bob',
          joinedAtMs: T0 + 10 * MIN,
          leftAtMs: T0 + 20 * MIN,
          estimated: true,
        }),
        cycle({ identity: 'carol', joinedAtMs: END + 5 * MIN, leftAtMs: null }),
      ],
    });
    expect(r.openCycles).toBe(2);
    expect(r.participants.map((p) => p.identity)).toEqual(['alice', 'bob']);
    expect(rowOf(r, 'bob').cycles.map((c) => [c.leftAtMs, c.closedBy])).toEqual([
      [T0 + 20 * MIN, 'reconciler'],
    ]);
    expect(rowOf(r, 'alice').inMeeting).toBe(true);
    expect(rowOf(r, 'bob').inMeeting).toBe(false);
  });
});

describe('computeSessionParticipant', () => {
  const s = session({
    hosts: ['teacher'],
    roster: [member('alice', { name: 'Alice', aliases: ['alice-phone'] }), member('bob')],
    policy: { ...POLICY, lateFrom: 'host' },
  });
  const cycles = [
    cycle({ identity: 'teacher', joinedAtMs: T0 + 10 * MIN, leftAtMs: END }),
    cycle({ identity: 'alice', joinedAtMs: T0 + 11 * MIN, leftAtMs: T0 + 30 * MIN }),
    cycle({ identity: 'alice-phone', kind: 'SIP', joinedAtMs: T0 + 29 * MIN, leftAtMs: END }),
    cycle({ identity: 'guest', joinedAtMs: T0 + 40 * MIN, leftAtMs: END }),
  ];
  const overrides = [override('bob')];

  it('resolves an alias and names every identity the row reads', () => {
    expect(participantIdentities(s, 'alice-phone')).toEqual({
      identity: 'alice',
      read: ['alice', 'alice-phone', 'teacher'],
    });
    expect(participantIdentities(s, 'guest')).toEqual({
      identity: 'guest',
      read: ['guest', 'teacher'],
    });
    const byStart = { ...s, policy: POLICY };
    expect(participantIdentities(byStart, 'alice')).toEqual({
      identity: 'alice',
      read: ['alice', 'alice-phone'],
    });
  });

  it('reads the aliases of a host who is a member', () => {
    const withTa = session({
      hosts: ['ta-phone'],
      roster: [member('ta', { aliases: ['ta-phone', 'ta-laptop'] })],
      policy: { ...POLICY, lateFrom: 'host' },
    });
    expect(participantIdentities(withTa, 'zed').read).toEqual([
      'zed',
      'ta',
      'ta-phone',
      'ta-laptop',
    ]);
  });

  it('gives every row of the report, from the identities it reads', () => {
    const full = computeSessionReport({
      session: s,
      cycles,
      overrides,
      nowMs: LATER,
      counting: COUNTING,
    });
    for (const expected of full.participants) {
      const { read } = participantIdentities(s, expected.identity);
      const row = computeSessionParticipant({
        session: s,
        identity: expected.identity,
        cycles: cycles.filter((c) => read.includes(c.identity)),
        override: expected.override,
        nowMs: LATER,
        counting: COUNTING,
      });
      expect(row).toEqual(expected);
    }
    expect(rowOf(full, 'alice').lateByMs).toBe(MIN);
  });

  it('gives an alias its member’s row', () => {
    const row = computeSessionParticipant({
      session: s,
      identity: 'alice-phone',
      cycles,
      override: null,
      nowMs: LATER,
      counting: COUNTING,
    });
    expect(row.identity).toBe('alice');
    expect(row.attendedMs).toBe(49 * MIN);
    expect(row.joinedByPhone).toBe(true);
  });

  it('gives an identity never seen an absent row', () => {
    const row = computeSessionParticipant({
      session: s,
      identity: 'nobody',
      cycles,
      override: null,
      nowMs: LATER,
      counting: COUNTING,
    });
    expect(row).toMatchObject({
      identity: 'nobody',
      name: null,
      role: null,
      isHost: false,
      onRoster: false,
      status: 'absent',
      attendedMs: 0,
      connections: 0,
      cycles: [],
    });
    const host = computeSessionParticipant({
      session: { ...s, hosts: ['nobody'] },
      identity: 'nobody',
      cycles: [],
      override: override('nobody'),
      nowMs: LATER,
      counting: COUNTING,
    });
    expect([host.isHost, host.status, host.computedStatus]).toEqual([true, 'excused', 'absent']);
  });
});
