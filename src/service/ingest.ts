import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import {
  AttendanceError,
  coerceError,
  isAttendanceEvent,
  type Clock,
  type JournalEntry,
  type LiveKitEvent,
} from '../core/index.js';
import { findEventProblem, toLiveKitEvent, type WebhookVerifier } from '../livekit/index.js';
import type { InboxEntry, WebhookTally } from '../store/index.js';
import { applyJournal, roomsOf } from './journal.js';
import type { ServiceEvents } from './events.js';
import type { OutboundRecorder } from './outbound-recorder.js';
import type { StoreWriter } from './store-writer.js';

export type IngestOutcome =
  | { status: 'accepted' | 'duplicate' | 'ignored'; eventId: string; type: string }
  | { status: 'unauthorized' | 'malformed'; message: string }
  /** The event could not be stored: answer 5xx so that LiveKit retries it. */
  | { status: 'unavailable'; message: string };

interface Pending {
  entry: InboxEntry;
  event: LiveKitEvent;
  resolve: (status: 'accepted' | 'duplicate') => void;
  reject: (e: Error) => void;
}

/** Most events one group commit takes; bounds a transaction's size under a burst. */
const MAX_BATCH = 500;

/**
 * Webhook → inbox → cycles. A verified event is stored durably (unique LiveKit id) and applied before
 * the HTTP answer (event rules 2 and 8). Concurrent webhooks share one transaction (group commit),
 * which is what lets SQLite and PostgreSQL take thousands per second. If applying fails, the events
 * are still stored, unprocessed, and the retry loop applies them later: nothing acknowledged is lost.
 *
 * Up to `concurrentBatches` batches commit at once (PostgreSQL; SQLite has one writer), never two
 * with a room in common: a batch waiting for a room that another instance (or a rebuild) holds
 * delays the webhooks of its own rooms only, not everyone's.
 */
export class WebhookIngestor {
  private pending: Pending[] = [];
  /** Rooms of the batches being committed, with how many batches hold each. */
  private readonly busyRooms = new Map<string | null, number>();
  private inFlight = 0;
  private pumpScheduled = false;
  private readonly concurrentBatches: number;

  constructor(
    private readonly deps: {
      verifier: WebhookVerifier;
      writer: StoreWriter;
      clock: Clock;
      logger: Logger;
      events: ServiceEvents;
      /** Batches committed at once; default 1 (SQLite). */
      concurrentBatches?: number;
      /** Outbound events of the batch's changes, in its transaction; none when unset. */
      outbound?: OutboundRecorder | null;
    },
  ) {
    this.concurrentBatches = Math.max(1, deps.concurrentBatches ?? 1);
  }

  async ingest(rawBody: string, authorization: string | undefined): Promise<IngestOutcome> {
    const verification = await this.deps.verifier.verify(rawBody, authorization);
    if (!verification.ok) {
      this.deps.events.emit('webhook:event:rejected', {
        reason: verification.reason,
        message: verification.message,
      });
      return { status: verification.reason, message: verification.message };
    }
    const receivedAtMs = this.deps.clock.now();
    // LiveKit always sets an id; an event without one is deduplicated by its body's hash.
    const fallbackId =
      verification.event.id === ''
        ? `sha256:${createHash('sha256').update(rawBody).digest('base64url')}`
        : '';
    const event = toLiveKitEvent(verification.event, { id: fallbackId, receivedAtMs });
    if (!isAttendanceEvent(event.type)) {
      this.deps.events.emit('webhook:event:ignored', { id: event.id, type: event.type });
      return { status: 'ignored', eventId: event.id, type: event.type };
    }
    const problem = findEventProblem(event, verification.event.createdAt > 0n);
    if (problem !== null) {
      this.deps.events.emit('webhook:event:rejected', { reason: 'malformed', message: problem });
      return { status: 'malformed', message: problem };
    }
    const entry: InboxEntry = {
      eventId: event.id,
      source: 'webhook',
      type: event.type,
      room: event.room?.name ?? null,
      createdAtMs: event.createdAtMs,
      receivedAtMs,
      body: rawBody,
    };
    try {
      const status = await this.enqueue(entry, event);
      if (status === 'accepted') {
        this.deps.events.emit('webhook:event:accepted', {
          id: event.id,
          type: event.type,
          room: entry.room,
          createdAtMs: entry.createdAtMs,
          storedAtMs: this.deps.clock.now(),
          signedAtMs: verification.signedAtMs,
          receivedAtMs,
        });
      } else {
        this.deps.events.emit('webhook:event:duplicate', { id: event.id, type: event.type });
      }
      return { status, eventId: event.id, type: event.type };
    } catch (e: unknown) {
      const err = coerceError(e);
      this.deps.logger.error(
        { err, eventId: event.id },
        'could not store webhook; LiveKit will retry',
      );
      return { status: 'unavailable', message: 'event could not be stored' };
    }
  }

  private enqueue(entry: InboxEntry, event: LiveKitEvent): Promise<'accepted' | 'duplicate'> {
    return new Promise((resolve, reject) => {
      this.pending.push({ entry, event, resolve, reject });
      this.schedulePump();
    });
  }

  /** One macrotask later, so that webhooks arriving together share a batch. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Starts batches while there is room for one: waiting webhooks whose rooms are not busy. */
  private pump(): void {
    while (this.inFlight < this.concurrentBatches && this.pending.length > 0) {
      const batch: Pending[] = [];
      const rest: Pending[] = [];
      for (const p of this.pending) {
        const free = batch.length < MAX_BATCH && !this.busyRooms.has(p.entry.room);
        (free ? batch : rest).push(p);
      }
      if (batch.length === 0) return;
      this.pending = rest;
      const rooms = new Set(batch.map((p) => p.entry.room));
      for (const room of rooms) this.busyRooms.set(room, (this.busyRooms.get(room) ?? 0) + 1);
      this.inFlight += 1;
      void this.flush(batch).finally(() => {
        this.inFlight -= 1;
        for (const room of rooms) {
          const n = (this.busyRooms.get(room) ?? 1) - 1;
          if (n === 0) this.busyRooms.delete(room);
          else this.busyRooms.set(room, n);
        }
        if (this.pending.length > 0) this.pump();
      });
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    // The same event twice in one batch: store and apply it once, answer "duplicate" to the rest.
    const first = new Map<string, Pending>();
    for (const p of batch) if (!first.has(p.entry.eventId)) first.set(p.entry.eventId, p);
    const unique = [...first.values()];
    const repeated = batch.filter((p) => first.get(p.entry.eventId) !== p);
    const inserted = new Set<string>();
    const failures: Pending[] = [];
    try {
      for (const id of await this.storeAndApply(unique, repeated)) inserted.add(id);
    } catch (e: unknown) {
      if (e instanceof AttendanceError && e.code === 'database_busy') {
        // The database is locked by another process, not refusing these events: trying each
        // alone would wait out the lock once per event. Answer 503 now; LiveKit retries.
        for (const p of batch) p.reject(e);
        return;
      }
      // One event that cannot be applied must not hold back the rest of its burst: each is tried
      // alone, now, and only the ones that still fail wait in the inbox for the retry loop.
      this.deps.logger.warn(
        { err: coerceError(e), events: unique.length },
        'applying a webhook batch failed; applying its events one by one',
      );
      for (const p of unique) {
        try {
          for (const id of await this.storeAndApply([p])) inserted.add(id);
        } catch (e1: unknown) {
          const err = coerceError(e1);
          this.deps.events.emit('inbox:processing:failed', {
            eventIds: [p.entry.eventId],
            error: err,
          });
          this.deps.logger.error(
            { err, eventId: p.entry.eventId, type: p.entry.type },
            'applying a webhook failed; stored for retry',
          );
          failures.push(p);
        }
      }
    }
    if (failures.length > 0) {
      // Stored alone, unprocessed: acknowledged only once it is on disk.
      try {
        const ids = await this.deps.writer.write(
          async (tx) => tx.insertInbox(failures.map((p) => p.entry)),
          { rooms: [] },
        );
        for (const id of ids) inserted.add(id);
      } catch (e2: unknown) {
        const err = coerceError(e2);
        const failed = new Set(failures.map((p) => p.entry.eventId));
        for (const p of batch) if (failed.has(p.entry.eventId)) p.reject(err);
        batch = batch.filter((p) => !failed.has(p.entry.eventId));
      }
    }
    const answered = new Set<string>();
    for (const p of batch) {
      const id = p.entry.eventId;
      const isFirst = first.get(id) === p && !answered.has(id);
      answered.add(id);
      p.resolve(isFirst && inserted.has(id) ? 'accepted' : 'duplicate');
    }
  }

  /** Stores the events and applies the new ones in one transaction; returns the new ids. */
  private storeAndApply(
    pending: readonly Pending[],
    repeated: readonly Pending[] = [],
  ): Promise<string[]> {
    return this.deps.writer.write(
      async (tx) => {
        const nowMs = this.deps.clock.now();
        // Stored as processed: they are applied in this same transaction, or not stored at all.
        const ids = await tx.insertInbox(
          pending.map((p) => p.entry),
          { processedAtMs: nowMs },
        );
        const fresh = new Set(ids);
        const tallies = tallyWebhooks(pending, fresh, repeated);
        if (tallies.length > 0) await tx.addWebhookTallies(tallies);
        const entries = pending
          .filter((p) => fresh.has(p.entry.eventId))
          .map((p): JournalEntry => ({ kind: 'webhook', event: p.event }));
        if (entries.length > 0) {
          const result = await applyJournal(tx, entries, {
            audit: { atMs: nowMs },
            outbound: this.deps.outbound ?? null,
          });
          this.deps.events.emit('inbox:batch:applied', {
            events: entries.length,
            changedCycles: result.changed.length,
          });
          for (const room of result.roomsWithUnseenSids) {
            this.deps.events.emit('reconcile:loss:detected', { room });
          }
        }
        return ids;
      },
      { rooms: roomsOf(pending.map((p) => p.entry)) },
    );
  }
}

const MINUTE_MS = 60_000;

/**
 * Per room and minute of LiveKit's `createdAt`: events stored (new) and duplicates dropped (already
 * stored, or repeated within the batch), for a session's data-quality figures.
 */
function tallyWebhooks(
  pending: readonly Pending[],
  fresh: ReadonlySet<string>,
  repeated: readonly Pending[],
): WebhookTally[] {
  const byKey = new Map<string, WebhookTally>();
  const add = (p: Pending, isNew: boolean) => {
    const room = p.entry.room;
    if (room === null) return;
    const minuteMs = Math.floor(p.entry.createdAtMs / MINUTE_MS) * MINUTE_MS;
    const key = `${minuteMs}:${room}`;
    let t = byKey.get(key);
    if (t === undefined) byKey.set(key, (t = { room, minuteMs, received: 0, duplicates: 0 }));
    if (isNew) t.received += 1;
    else t.duplicates += 1;
  };
  for (const p of pending) add(p, fresh.has(p.entry.eventId));
  for (const p of repeated) add(p, false);
  return [...byKey.values()];
}
