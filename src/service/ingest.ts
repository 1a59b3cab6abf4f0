import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { coerceError, isAttendanceEvent, type Clock, type LiveKitEvent } from '../core/index.js';
import { findEventProblem, toLiveKitEvent, type WebhookVerifier } from '../livekit/index.js';
import type { InboxEntry } from '../store/index.js';
import { applyWebhookEvents } from './apply-journal.js';
import type { ServiceEvents } from './events.js';
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
 */
export class WebhookIngestor {
  private pending: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly deps: {
      verifier: WebhookVerifier;
      writer: StoreWriter;
      clock: Clock;
      logger: Logger;
      events: ServiceEvents;
    },
  ) {}

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
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flushLoop());
      }
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        await this.flush(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    // The same event twice in one batch: store and apply it once, answer "duplicate" to the rest.
    const first = new Map<string, Pending>();
    for (const p of batch) if (!first.has(p.entry.eventId)) first.set(p.entry.eventId, p);
    const unique = [...first.values()];
    let inserted: Set<string>;
    try {
      inserted = await this.deps.writer.write(async (tx) => {
        // Stored as processed: they are applied in this same transaction, or not stored at all.
        const ids = new Set(
          await tx.insertInbox(
            unique.map((p) => p.entry),
            { processedAtMs: this.deps.clock.now() },
          ),
        );
        const fresh = unique.filter((p) => ids.has(p.entry.eventId)).map((p) => p.event);
        if (fresh.length > 0) {
          const result = await applyWebhookEvents(tx, fresh);
          this.deps.events.emit('inbox:batch:applied', {
            events: fresh.length,
            changedCycles: result.changed.length,
          });
          for (const room of result.roomsWithUnseenSids) {
            this.deps.events.emit('reconcile:loss:detected', { room });
          }
        }
        return ids;
      });
    } catch (e: unknown) {
      // Applying failed: store the raw events alone, unprocessed, for the retry loop.
      const err = coerceError(e);
      this.deps.events.emit('inbox:processing:failed', {
        eventIds: unique.map((p) => p.entry.eventId),
        error: err,
      });
      try {
        inserted = await this.deps.writer.write(
          async (tx) => new Set(await tx.insertInbox(unique.map((p) => p.entry))),
        );
        this.deps.logger.error(
          { err, events: unique.length },
          'applying webhooks failed; stored for retry',
        );
      } catch (e2: unknown) {
        for (const p of batch) p.reject(coerceError(e2));
        return;
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
}
