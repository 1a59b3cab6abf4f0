import { closedByOf, shownLeftAtMs } from './cycle-rules.js';
import { isoUtc } from './iso-time.js';
import type { AuditRecord, AuditSource } from './session-types.js';
import type { Cycle, CycleSource } from './types.js';

/** What the audit trail shows of a cycle: what a report reads, not the evidence behind it. */
export interface CycleAuditView {
  joinedAt: string;
  leftAt: string | null;
  openedBy: CycleSource;
  closedBy: CycleSource | null;
  connected: boolean;
}

/** The visible part of a cycle; null while it has no join time (only track events seen). */
export function cycleAuditView(cycle: Cycle | undefined): CycleAuditView | null {
  if (cycle === undefined || cycle.joinedAtMs === null) return null;
  const left = shownLeftAtMs(cycle);
  return {
    joinedAt: isoUtc(cycle.joinedAtMs),
    leftAt: left === null ? null : isoUtc(left),
    openedBy: cycle.openedBy,
    closedBy: closedByOf(cycle),
    connected: cycle.connected,
  };
}

function sourceOf(by: CycleSource | null, fallback: AuditSource): AuditSource {
  if (by === 'manual') return 'api';
  return by ?? fallback;
}

/**
 * The audit records of one write: for each cycle whose visible part changed, what happened to it
 * (`cycle.opened`, `cycle.closed`, `cycle.reopened`, `cycle.corrected`) and by whose word.
 * `before` holds the visible parts before the write (absent: the cycle did not exist). `source`
 * forces one source for every record (`rebuild`); otherwise it comes from the cycle (who opened
 * or closed it), and a reopen comes from `reopenSource` (whatever outweighed the close).
 */
export function auditCycleChanges(input: {
  before: ReadonlyMap<string, CycleAuditView | null>;
  after: readonly Cycle[];
  atMs: number;
  reopenSource: AuditSource;
  source?: AuditSource;
}): AuditRecord[] {
  // Ingest writes about one record per changed cycle: records are built whole, in one shape,
  // with no spread copies.
  const records: AuditRecord[] = [];
  const forced = input.source;
  for (const cycle of input.after) {
    const was = input.before.get(cycle.sid) ?? null;
    const now = cycleAuditView(cycle);
    if (now === null || sameView(was, now)) continue;
    const push = (action: AuditRecord['action'], source: AuditSource, before: unknown) =>
      records.push(cycleRecord(cycle, input.atMs, action, forced ?? source, before, now));
    if (was === null) {
      const opened: CycleAuditView = {
        joinedAt: now.joinedAt,
        leftAt: null,
        openedBy: now.openedBy,
        closedBy: null,
        connected: now.connected,
      };
      records.push(
        cycleRecord(
          cycle,
          input.atMs,
          'cycle.opened',
          forced ?? sourceOf(now.openedBy, 'webhook'),
          null,
          opened,
        ),
      );
      if (now.leftAt !== null) push('cycle.closed', sourceOf(now.closedBy, 'webhook'), opened);
    } else if (was.leftAt === null && now.leftAt !== null) {
      push('cycle.closed', sourceOf(now.closedBy, 'webhook'), was);
    } else if (was.leftAt !== null && now.leftAt === null) {
      push('cycle.reopened', input.reopenSource, was);
    } else {
      // A new join time or leave time, a new word on who opened or closed it, or media that
      // connected after all (the cycle now counts).
      push('cycle.corrected', sourceOf(now.closedBy ?? now.openedBy, 'webhook'), was);
    }
  }
  return records;
}

function cycleRecord(
  cycle: Cycle,
  atMs: number,
  action: AuditRecord['action'],
  source: AuditSource,
  before: unknown,
  after: unknown,
): AuditRecord {
  return {
    atMs,
    action,
    source,
    actor: null,
    session: null,
    room: cycle.room,
    identity: cycle.identity,
    sid: cycle.sid,
    before,
    after,
    reason: null,
  };
}

/**
 * Records for cycles a rebuild removed (the journal no longer yields them): `cycle.corrected`
 * with nothing after.
 */
export function auditRemovedCycles(input: {
  before: ReadonlyMap<string, { cycle: Cycle; view: CycleAuditView | null }>;
  remaining: ReadonlySet<string>;
  atMs: number;
}): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (const [sid, { cycle, view }] of input.before) {
    if (input.remaining.has(sid) || view === null) continue;
    records.push({
      atMs: input.atMs,
      action: 'cycle.corrected',
      source: 'rebuild',
      actor: null,
      session: null,
      room: cycle.room,
      identity: cycle.identity,
      sid,
      before: view,
      after: null,
      reason: null,
    });
  }
  return records;
}

function sameView(a: CycleAuditView | null, b: CycleAuditView): boolean {
  return (
    a !== null &&
    a.joinedAt === b.joinedAt &&
    a.leftAt === b.leftAt &&
    a.openedBy === b.openedBy &&
    a.closedBy === b.closedBy &&
    a.connected === b.connected
  );
}
