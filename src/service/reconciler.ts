import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import {
  AttendanceError,
  classifyTransition,
  awaitsConfirmation,
  coerceError,
  observeRoom,
  UNCONFIRMED_END_WINDOW_MS,
  type Clock,
  type Cycle,
  type ReconcileAction,
  type RoomObservation,
} from '../core/index.js';
import type { LiveKitFailure, RoomServiceGateway } from '../livekit/index.js';
import type { StoreOps } from '../store/index.js';
import type { ServiceEvents } from './events.js';
import type { LiveKitClock } from './livekit-clock.js';
import { applyJournal, encodeObservation } from './journal.js';
import type { OutboundRecorder } from './outbound-recorder.js';
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
/** How long an early loss pass waits for another instance's pass before giving up. */
const SHORT_LEASE_WAIT_MS = 10_000;

export interface PassOptions {
  room?: string | null;
  /** Only these rooms (a session's); `room` is the one-room form. */
  rooms?: readonly string[];
  dryRun?: boolean;
  trigger: ReconcileTrigger;
}

/**
 * Asks LiveKit who is in the rooms (attendance-model, reconciliation rules) and journals each
 * room's answer as an observation, folded by the same rules as webhooks (the one write path). One
 * pass: ListRooms once, then ListParticipants per room that is live or has open cycles. Passes
 * never overlap: an in-process queue, plus a database lease across instances whose fencing token
 * every write transaction checks. A live check of one room (`checkRoom`) is not a pass: it asks
 * about that room alone and never waits for one.
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
      outbound?: OutboundRecorder | null;
      /** LiveKit's clock as far as the webhooks show it: sightings are dated by it. Default: ours. */
      livekitClock?: LiveKitClock;
    },
  ) {
    this.leaseTtlMs = deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  }

  private readonly leaseTtlMs: number;
  /** Set when a renewal found the lease taken: this pass must not write any more. */
  private leaseLost = false;
  /** The fencing token of the lease this pass holds. */
  private leaseToken: number | null = null;

  /**
   * Runs one pass after any running one in this process has ended. `skipIfBusy` (scheduled ticks)
   * skips it when another instance holds the lease, instead of waiting for it.
   */
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
    let token: number | null;
    while ((token = await this.tryLease()) === null) {
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
    this.leaseToken = token;
    // One renewal at a time: a slow database must not stack renewals that land after release
    // (one would take the lease again, for a full TTL, with no pass running).
    const renewals: { inFlight: Promise<void> | null } = { inFlight: null };
    const renewal = setInterval(() => {
      if (renewals.inFlight) return;
      renewals.inFlight = this.tryLease()
        .then(
          // A new token means the lease expired in between, even if nobody else took it.
          (renewed) => {
            if (renewed !== token) this.leaseLost = true;
          },
          // A renewal that failed may have let the lease expire: treat it as lost.
          () => {
            this.leaseLost = true;
          },
        )
        .finally(() => {
          renewals.inFlight = null;
        });
    }, this.leaseTtlMs / 3);
    renewal.unref();
    try {
      return await this.pass(opts);
    } finally {
      clearInterval(renewal);
      await renewals.inFlight; // never release before an in-flight renewal has landed
      await store.releaseLease(RECONCILE_LEASE, this.holder).catch(() => undefined);
    }
  }

  private tryLease(): Promise<number | null> {
    return this.deps.writer.store.tryAcquireLease(RECONCILE_LEASE, this.holder, this.leaseTtlMs);
  }

  private async pass(opts: PassOptions): Promise<ReconcileReport> {
    const { clock, gateway, events, logger } = this.deps;
    const dryRun = opts.dryRun ?? false;
    const startedAtMs = clock.now();
    const only = opts.rooms ?? (opts.room ? [opts.room] : null);
    events.emit('reconcile:pass:start', { room: opts.room ?? null, dryRun, trigger: opts.trigger });
    const actions: ReconcileActionReport[] = [];
    const unverified: UnverifiedRoom[] = [];
    let apiCalls = 0;
    let roomsChecked = 0;

    const awaiting =
      only === null
        ? await this.cyclesAwaitingConfirmation()
        : (await Promise.all(only.map((r) => this.cyclesAwaitingConfirmation(r)))).flat();
    const openByRoom = groupByRoom(awaiting, startedAtMs - UNCONFIRMED_END_WINDOW_MS);
    apiCalls += 1;
    // Taken before the request, like every time of an answer: a join after it may be in an
    // incarnation this list never saw.
    const roomsListedAtMs = clock.now();
    const live = await gateway.listRooms(only === null ? undefined : [...only]);
    if (!live.ok) {
      // Rule 4: LiveKit unreachable: nothing closes; every room we care about is marked failing.
      const rooms = new Set([...openByRoom.keys(), ...(only ?? [])]);
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
    const rooms =
      only !== null
        ? [...new Set(only)].sort()
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
          actions.push(...(await this.applyObservations(batch, { dryRun, fenced: true })));
        } catch (e: unknown) {
          // Nothing of this batch was written (one transaction): report its rooms unverified.
          const err = coerceError(e);
          const kind =
            err instanceof AttendanceError && err.code === 'lease_lost'
              ? 'lease_lost'
              : 'store_error';
          logger.error({ err, rooms: batch.length }, 'could not apply reconcile results');
          for (const { room } of batch) {
            unverified.push({ room, kind, reason: err.message });
          }
          roomsChecked -= batch.length;
          if (!dryRun) {
            await this.markFailed(
              batch.map((b) => b.room),
              startedAtMs,
              { kind: 'unknown', status: null, code: kind, message: err.message },
            );
          }
        }
      });
      return writes;
    };
    const askRoom = async (room: string): Promise<void> => {
      if (this.leaseLost && !dryRun) {
        // Another instance runs passes now: asking LiveKit more would only duplicate its calls.
        unverified.push({ room, kind: 'lease_lost', reason: 'not tried: the lease was lost' });
        return;
      }
      if (abandoned) {
        unverified.push({ room, kind: abandoned.kind, reason: `not tried: ${abandoned.message}` });
        if (!dryRun) await this.markFailed([room], startedAtMs, abandoned);
        return;
      }
      apiCalls += 1;
      // Reconciliation rule 2: a listing dates presence no later than the request was sent; a slow
      // answer must not move a confirmation past a departure.
      const requestedAtMs = clock.now();
      const listed = await gateway.listParticipants(room);
      const answeredAtMs = clock.now();
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
      ready.push(
        observeRoom({
          id: `RO_${randomUUID()}`,
          room,
          roomSid: liveSids.get(room) ?? null,
          roomsListedAtMs,
          requestedAtMs,
          answeredAtMs,
          livekitOffsetMs: this.deps.livekitClock?.offsetMs() ?? 0,
          listed: listed.value,
          openBefore: openByRoom.get(room) ?? [],
        }),
      );
      if (ready.length >= ROOMS_PER_TRANSACTION) await flush();
    };
    let done = 0;
    await forEachLimit(rooms, ROOM_CONCURRENCY, async (room) => {
      try {
        await askRoom(room);
      } finally {
        events.emit('reconcile:pass:progress', { done: ++done, total: rooms.length });
      }
    });
    await flush();
    if (!opts.room) logger.debug({ rooms: rooms.length, dryRun }, 'reconcile pass checked rooms');
    const report = this.finish(opts, {
      startedAtMs,
      actions,
      unverified,
      apiCalls,
      roomsChecked,
      error: null,
    });
    if (only === null && !dryRun && report.outcome === 'ok') {
      // A full pass LiveKit answered for every room: sessions that ended before it can be final.
      await this.deps.writer.store
        .recordCompletedPass({ startedAtMs, completedAtMs: report.finishedAtMs })
        .catch((e: unknown) =>
          logger.error({ err: coerceError(e) }, 'could not record the completed pass'),
        );
    }
    return report;
  }

  /**
   * Journals the observations and folds them into the cycles in one transaction that holds their
   * rooms: the same fold as webhooks, on fresh state, so a webhook that landed since the list was
   * taken is never overwritten and the result does not depend on which came first. Marks the rooms
   * verified. `fenced`: a pass's writes, refused once its lease is gone. A dry run reads the same,
   * folds in memory and writes nothing.
   */
  private async applyObservations(
    observations: RoomObservation[],
    opts: { dryRun: boolean; fenced: boolean },
  ): Promise<ReconcileActionReport[]> {
    const { writer, clock } = this.deps;
    const work = async (ops: StoreOps): Promise<ReconcileActionReport[]> => {
      if (opts.fenced && !opts.dryRun) await this.checkFence(ops);
      const result = await applyJournal(
        ops,
        observations.map((observation) => ({ kind: 'observation', observation })),
        {
          write: !opts.dryRun,
          audit: { atMs: clock.now() },
          outbound: this.deps.outbound ?? null,
        },
      );
      const reports = result.transitions
        .map(classifyTransition)
        .filter((a): a is ReconcileAction => a !== null)
        .map(toActionReport);
      if (opts.dryRun) return reports;
      const before = new Map<string, Map<string, Cycle>>();
      for (const t of result.transitions) {
        let known = before.get(t.observationId);
        if (!known) before.set(t.observationId, (known = new Map<string, Cycle>()));
        if (t.before) known.set(t.sid, t.before);
      }
      await ops.insertInbox(
        observations.map((o) => encodeObservation(o, before.get(o.id) ?? new Map<string, Cycle>())),
        { processedAtMs: clock.now() },
      );
      for (const o of observations) await ops.markRoomVerified(o.room, o.answeredAtMs);
      return reports;
    };
    return opts.dryRun
      ? work(writer.store)
      : writer.write(work, { rooms: observations.map((o) => o.room) });
  }

  /** Fenced in the transaction itself: a pass whose lease was taken over commits nothing more. */
  private async checkFence(ops: StoreOps): Promise<void> {
    const token = this.leaseToken;
    const held =
      !this.leaseLost &&
      token !== null &&
      (await ops.holdsLease(RECONCILE_LEASE, this.holder, token));
    if (held) return;
    this.leaseLost = true;
    throw new AttendanceError('lease_lost', 'another instance took the reconcile lease mid-pass');
  }

  /**
   * A live check of one room (`?verify=true`): ListRooms for that name and ListParticipants for
   * that room, two calls, folded like a pass's observation. It takes no lease and never waits for
   * a pass: an observation is a fact about LiveKit, safe to fold beside any other.
   */
  async checkRoom(room: string, trigger: ReconcileTrigger): Promise<ReconcileReport> {
    const { clock, gateway, events } = this.deps;
    const startedAtMs = clock.now();
    events.emit('reconcile:pass:start', { room, dryRun: false, trigger });
    const base = { startedAtMs, actions: [], unverified: [], roomsChecked: 0 };
    const live = await gateway.listRooms([room]);
    if (!live.ok) {
      await this.markFailed([room], startedAtMs, live.error);
      const error = { kind: live.error.kind, reason: live.error.message };
      return this.finish(
        { trigger, room },
        { ...base, apiCalls: 1, unverified: [{ room, ...error }], error },
      );
    }
    const open = await this.cyclesAwaitingConfirmation(room);
    const requestedAtMs = clock.now();
    const listed = await gateway.listParticipants(room);
    const answeredAtMs = clock.now();
    if (!listed.ok) {
      await this.markFailed([room], startedAtMs, listed.error);
      const unverified = [{ room, kind: listed.error.kind, reason: listed.error.message }];
      return this.finish({ trigger, room }, { ...base, apiCalls: 2, unverified, error: null });
    }
    const observation = observeRoom({
      id: `RO_${randomUUID()}`,
      room,
      roomSid: live.value.find((r) => r.name === room)?.sid ?? null,
      roomsListedAtMs: startedAtMs, // before ListRooms was sent
      requestedAtMs,
      answeredAtMs,
      livekitOffsetMs: this.deps.livekitClock?.offsetMs() ?? 0,
      listed: listed.value,
      openBefore: open,
    });
    try {
      const actions = await this.applyObservations([observation], { dryRun: false, fenced: false });
      return this.finish(
        { trigger, room },
        { ...base, actions, apiCalls: 2, roomsChecked: 1, error: null },
      );
    } catch (e: unknown) {
      const err = coerceError(e);
      this.deps.logger.error({ err, room }, 'could not apply a live check');
      const unverified = [{ room, kind: 'store_error' as const, reason: err.message }];
      return this.finish({ trigger, room }, { ...base, apiCalls: 2, unverified, error: null });
    }
  }

  /** Open cycles, and cycles only `room_finished` ended (core `awaitsConfirmation`). */
  private async cyclesAwaitingConfirmation(room?: string): Promise<Cycle[]> {
    const { store } = this.deps.writer;
    const since = this.deps.clock.now() - UNCONFIRMED_END_WINDOW_MS;
    const [open, unconfirmed] = await Promise.all([
      store.listOpenCycles(room),
      store.listUnconfirmedEnds(since, room),
    ]);
    return [...open, ...unconfirmed];
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
    opts: Pick<PassOptions, 'trigger' | 'room' | 'dryRun'>,
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

function toActionReport(a: ReconcileAction): ReconcileActionReport {
  return { room: a.room, identity: a.identity, sid: a.sid, action: a.type, atMs: a.atMs };
}

function groupByRoom(cycles: Cycle[], sinceMs: number): Map<string, Cycle[]> {
  const m = new Map<string, Cycle[]>();
  for (const c of cycles) {
    if (!awaitsConfirmation(c, sinceMs)) continue;
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
