import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import {
  applyReconcileAction,
  AttendanceError,
  coerceError,
  isOpen,
  planRoomReconcile,
  type Clock,
  type Cycle,
  type ListedParticipant,
  type ReconcileAction,
  type ReconcileContext,
} from '../core/index.js';
import type { LiveKitFailure, RoomServiceGateway } from '../livekit/index.js';
import type { InboxEntry, StoreOps } from '../store/index.js';
import type { JournaledAction } from './apply-journal.js';
import type { ServiceEvents } from './events.js';
import type {
  ReconcileActionReport,
  ReconcileReport,
  ReconcileTrigger,
  UnverifiedRoom,
} from './reconcile-report.js';
import type { StoreWriter } from './store-writer.js';

export const RECONCILE_LEASE = 'reconcile';
/**
 * A lease outlives a crashed holder by this much; a live holder renews it every third of it, on a
 * timer, so a pass stuck in slow LiveKit calls keeps it. Must exceed several request timeouts.
 */
export const DEFAULT_LEASE_TTL_MS = 60_000;
/** ListParticipants calls in flight at once: 1,000 rooms in a few seconds without flooding LiveKit. */
const ROOM_CONCURRENCY = 16;
/** After this many rooms in a row fail as unreachable or timed out, the rest are not tried. */
const GIVE_UP_AFTER = 3;
/** Rooms written per transaction: fewer commits for 1,000 rooms, still small transactions. */
const ROOMS_PER_TRANSACTION = 50;
/** How long a manual pass waits for another instance's pass to end before answering busy. */
const LEASE_WAIT_MS = 15 * 60_000;
/** How long a live check (?verify=true) or an early loss pass waits before giving up. */
const SHORT_LEASE_WAIT_MS = 10_000;

/** One room's answer from LiveKit, waiting to be applied. */
interface RoomObservation {
  ctx: ReconcileContext;
  listed: ListedParticipant[];
  /** Sids of the room's cycles that were open before the list was asked for. */
  openSids: string[];
}

export interface PassOptions {
  room?: string | null;
  dryRun?: boolean;
  trigger: ReconcileTrigger;
}

/**
 * Compares stored open cycles with LiveKit's participant lists (attendance-model, reconciliation
 * rules). One pass: ListRooms once, then ListParticipants per room that is live or has open cycles.
 * Passes never overlap: an in-process queue, plus a database lease across instances.
 */
export class Reconciler {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly deps: {
      writer: StoreWriter;
      gateway: RoomServiceGateway;
      clock: Clock;
      logger: Logger;
      events: ServiceEvents;
      sleep?: (ms: number) => Promise<void>;
      /** Default 60 s; main sets it from LIVEKIT_TIMEOUT_SECONDS. */
      leaseTtlMs?: number;
    },
  ) {
    this.leaseTtlMs = deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  }

  private readonly leaseTtlMs: number;
  /** Set when a renewal found the lease taken: this pass must not write any more. */
  private leaseLost = false;

  /** Runs one pass after any running one has ended. `skipIfBusy` drops it instead (scheduled ticks). */
  runPass(opts: PassOptions & { skipIfBusy?: boolean }): Promise<ReconcileReport | null> {
    const run = this.queue.then(() => this.passWithLease(opts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async passWithLease(
    opts: PassOptions & { skipIfBusy?: boolean },
  ): Promise<ReconcileReport | null> {
    const store = this.deps.writer.store;
    // Waiting is wall time, not domain time: measured on the monotonic clock.
    // Operators' passes (API, CLI) wait for another instance's pass; live checks wait briefly.
    const waitMs = opts.skipIfBusy
      ? 0
      : opts.trigger === 'manual' || opts.trigger === 'cli'
        ? LEASE_WAIT_MS
        : SHORT_LEASE_WAIT_MS;
    const deadline = performance.now() + waitMs;
    while (!(await this.tryLease())) {
      if (performance.now() >= deadline) {
        this.deps.events.emit('reconcile:pass:skipped', {
          reason: 'another instance is running a pass',
          trigger: opts.trigger,
        });
        return null;
      }
      await (this.deps.sleep ?? defaultSleep)(250);
    }
    this.leaseLost = false;
    let renewing: Promise<void> = Promise.resolve();
    const renewal = setInterval(() => {
      renewing = this.tryLease().then(
        (held) => {
          if (!held) this.leaseLost = true;
        },
        // A renewal that failed may have let the lease expire: treat it as lost.
        () => {
          this.leaseLost = true;
        },
      );
    }, this.leaseTtlMs / 3);
    renewal.unref();
    try {
      return await this.pass(opts);
    } finally {
      clearInterval(renewal);
      await renewing; // never release before an in-flight renewal has landed
      await store.releaseLease(RECONCILE_LEASE, this.holder).catch(() => undefined);
    }
  }

  private tryLease(): Promise<boolean> {
    return this.deps.writer.store.tryAcquireLease(
      RECONCILE_LEASE,
      this.holder,
      this.deps.clock.now(),
      this.leaseTtlMs,
    );
  }

  private async pass(opts: PassOptions): Promise<ReconcileReport> {
    const { clock, gateway, writer, events, logger } = this.deps;
    const dryRun = opts.dryRun ?? false;
    const startedAtMs = clock.now();
    events.emit('reconcile:pass:start', { room: opts.room ?? null, dryRun, trigger: opts.trigger });
    const actions: ReconcileActionReport[] = [];
    const unverified: UnverifiedRoom[] = [];
    let apiCalls = 0;
    let roomsChecked = 0;

    const openCycles = await writer.store.listOpenCycles(opts.room ?? undefined);
    const openByRoom = groupByRoom(openCycles);
    apiCalls += 1;
    const live = await gateway.listRooms();
    if (!live.ok) {
      // Rule 4: LiveKit unreachable: nothing closes; every room we care about is marked failing.
      const rooms = new Set([...openByRoom.keys(), ...(opts.room ? [opts.room] : [])]);
      for (const room of rooms)
        unverified.push({ room, kind: live.error.kind, reason: live.error.message });
      if (!dryRun) await this.markFailed([...rooms], startedAtMs, live.error);
      return this.finish(opts, {
        startedAtMs,
        actions,
        unverified,
        apiCalls,
        roomsChecked,
        error: { kind: live.error.kind, reason: live.error.message },
      });
    }
    const liveSids = new Map(live.value.map((r) => [r.name, r.sid]));
    const rooms = opts.room
      ? [opts.room]
      : [...new Set([...liveSids.keys(), ...openByRoom.keys()])].sort();

    let consecutiveUnreachable = 0;
    let abandoned: LiveKitFailure | null = null;
    // Rooms whose lists came back wait here and are written ROOMS_PER_TRANSACTION at a time.
    const ready: RoomObservation[] = [];
    let writes: Promise<void> = Promise.resolve();
    const flush = () => {
      const batch = ready.splice(0);
      if (batch.length === 0) return writes;
      writes = writes.then(async () => {
        try {
          actions.push(...(await this.applyRooms(batch, dryRun)));
        } catch (e: unknown) {
          // Nothing of this batch was written (one transaction): report its rooms unverified.
          const err = coerceError(e);
          const kind =
            err instanceof AttendanceError && err.code === 'lease_lost'
              ? 'lease_lost'
              : 'store_error';
          logger.error({ err, rooms: batch.length }, 'could not apply reconcile results');
          for (const { ctx } of batch) {
            unverified.push({ room: ctx.room, kind, reason: err.message });
          }
          roomsChecked -= batch.length;
          if (!dryRun) {
            await this.markFailed(
              batch.map((b) => b.ctx.room),
              startedAtMs,
              { kind: 'unknown', status: null, code: kind, message: err.message },
            );
          }
        }
      });
      return writes;
    };
    const checkRoom = async (room: string): Promise<void> => {
      if (abandoned) {
        unverified.push({ room, kind: abandoned.kind, reason: `not tried: ${abandoned.message}` });
        if (!dryRun) await this.markFailed([room], startedAtMs, abandoned);
        return;
      }
      apiCalls += 1;
      const listed = await gateway.listParticipants(room);
      if (!listed.ok) {
        unverified.push({ room, kind: listed.error.kind, reason: listed.error.message });
        if (!dryRun) await this.markFailed([room], startedAtMs, listed.error);
        if (listed.error.kind === 'unreachable' || listed.error.kind === 'timeout') {
          consecutiveUnreachable += 1;
          if (consecutiveUnreachable >= GIVE_UP_AFTER) abandoned = listed.error;
        }
        return;
      }
      consecutiveUnreachable = 0;
      roomsChecked += 1;
      ready.push({
        ctx: { room, roomSid: liveSids.get(room) ?? null, passAtMs: clock.now() },
        listed: listed.value,
        openSids: (openByRoom.get(room) ?? []).map((c) => c.sid),
      });
      if (ready.length >= ROOMS_PER_TRANSACTION) await flush();
    };
    let done = 0;
    await forEachLimit(rooms, ROOM_CONCURRENCY, async (room) => {
      try {
        await checkRoom(room);
      } finally {
        events.emit('reconcile:pass:progress', { done: ++done, total: rooms.length });
      }
    });
    await flush();
    if (!opts.room) logger.debug({ rooms: rooms.length, dryRun }, 'reconcile pass checked rooms');
    return this.finish(opts, {
      startedAtMs,
      actions,
      unverified,
      apiCalls,
      roomsChecked,
      error: null,
    });
  }

  /**
   * Plans and applies rooms on fresh state in one transaction: a webhook that landed since the list
   * was taken is never overwritten. Only cycles that were open before the list call can be closed,
   * so a join that happened after LiveKit answered is never mistaken for a stale cycle. Journals
   * every change and marks the rooms verified. A dry run reads the same and writes nothing.
   */
  private async applyRooms(
    rooms: RoomObservation[],
    dryRun: boolean,
  ): Promise<ReconcileActionReport[]> {
    const { writer, clock } = this.deps;
    const work = async (ops: StoreOps): Promise<ReconcileActionReport[]> => {
      // Fenced in the transaction itself: a pass whose lease was taken over commits nothing more.
      const fenced =
        !dryRun &&
        (this.leaseLost || !(await ops.holdsLease(RECONCILE_LEASE, this.holder, clock.now())));
      if (fenced) {
        this.leaseLost = true;
        throw new AttendanceError(
          'lease_lost',
          'another instance took the reconcile lease mid-pass',
        );
      }
      const sids = rooms.flatMap((r) => [...r.openSids, ...r.listed.map((p) => p.sid)]);
      const fresh = new Map((await ops.getCycles(sids)).map((c) => [c.sid, c]));
      const changed = new Map<string, Cycle>();
      const journal: InboxEntry[] = [];
      const reports: ReconcileActionReport[] = [];
      for (const { ctx, listed, openSids } of rooms) {
        const known = [...openSids, ...listed.map((p) => p.sid)]
          .map((sid) => fresh.get(sid))
          .filter((c): c is Cycle => c !== undefined && c.room === ctx.room);
        const plan = planRoomReconcile({ room: ctx.room, roomSid: ctx.roomSid, listed, known });
        for (const action of plan) {
          const next = applyReconcileAction(fresh.get(action.sid), action, ctx);
          if (!next) continue;
          fresh.set(next.sid, next);
          changed.set(next.sid, next);
          reports.push(report(ctx.room, action, next));
          if (action.type === 'confirm') continue;
          const entry: JournaledAction = { action, ctx, result: next };
          journal.push({
            eventId: `RC_${randomUUID()}`,
            source: 'reconciler',
            type: `reconcile:${action.type}`,
            room: ctx.room,
            createdAtMs: ctx.passAtMs,
            receivedAtMs: clock.now(),
            body: JSON.stringify(entry),
          });
        }
      }
      if (dryRun) return reports;
      if (changed.size > 0) await ops.saveCycles([...changed.values()]);
      if (journal.length > 0) await ops.insertInbox(journal, { processedAtMs: clock.now() });
      for (const { ctx } of rooms) await ops.markRoomVerified(ctx.room, ctx.passAtMs);
      return reports;
    };
    return dryRun ? work(writer.store) : writer.write(work);
  }

  private async markFailed(rooms: string[], atMs: number, error: LiveKitFailure): Promise<void> {
    for (const room of rooms) {
      await this.deps.writer.store
        .markRoomVerificationFailed(room, atMs, `${error.kind}: ${error.message}`)
        .catch((e: unknown) =>
          this.deps.logger.error({ err: coerceError(e), room }, 'could not record failure'),
        );
    }
  }

  private finish(
    opts: PassOptions,
    r: {
      startedAtMs: number;
      actions: ReconcileActionReport[];
      unverified: UnverifiedRoom[];
      apiCalls: number;
      roomsChecked: number;
      error: ReconcileReport['error'];
    },
  ): ReconcileReport {
    const finishedAtMs = this.deps.clock.now();
    const count = (a: ReconcileActionReport['action']) =>
      r.actions.filter((x) => x.action === a).length;
    const outcome: ReconcileReport['outcome'] =
      r.error !== null || (r.roomsChecked === 0 && r.unverified.length > 0)
        ? 'failed'
        : r.unverified.length > 0
          ? 'partial'
          : 'ok';
    const report: ReconcileReport = {
      trigger: opts.trigger,
      room: opts.room ?? null,
      dryRun: opts.dryRun ?? false,
      outcome,
      startedAtMs: r.startedAtMs,
      finishedAtMs,
      durationMs: finishedAtMs - r.startedAtMs,
      apiCalls: r.apiCalls,
      roomsChecked: r.roomsChecked,
      summary: {
        confirmed: count('confirm'),
        opened: count('open'),
        reopened: count('reopen'),
        closed: count('close'),
        unverified: r.unverified.length,
      },
      actions: r.actions.sort(
        (a, b) => cmp(a.room, b.room) || cmp(a.identity, b.identity) || cmp(a.sid, b.sid),
      ),
      unverified: r.unverified.sort((a, b) => cmp(a.room, b.room)),
      error: r.error,
    };
    this.deps.events.emit('reconcile:pass:complete', report);
    return report;
  }
}

function report(room: string, action: ReconcileAction, next: Cycle): ReconcileActionReport {
  return {
    room,
    identity: action.identity,
    sid: action.sid,
    action: action.type,
    atMs:
      action.type === 'close'
        ? next.estimatedLeftAtMs
        : action.type === 'open'
          ? next.joinedAtMs
          : null,
  };
}

function groupByRoom(cycles: Cycle[]): Map<string, Cycle[]> {
  const m = new Map<string, Cycle[]>();
  for (const c of cycles) {
    if (!isOpen(c)) continue;
    const list = m.get(c.room);
    if (list) list.push(c);
    else m.set(c.room, [c]);
  }
  return m;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
