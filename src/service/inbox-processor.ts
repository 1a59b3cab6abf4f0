import type { Logger } from 'pino';
import { coerceError, type JournalEntry } from '../core/index.js';
import type { StoredInboxEntry, StoreOps } from '../store/index.js';
import type { ServiceEvents } from './events.js';
import type { OutboundRecorder } from './outbound-recorder.js';
import { applyJournal, decodeJournalEntry, roomsOf } from './journal.js';
import type { StoreWriter } from './store-writer.js';

const BATCH = 500;

/**
 * Applies inbox entries that are stored but not yet processed: after a crash between storing and
 * applying, and after a failed apply. Entries are claimed inside the transaction that applies
 * them, holding their rooms, so two instances (or serve and a rebuild) never apply one twice
 * concurrently; the fold is idempotent besides, so a replay can never undo a later entry.
 */
export class InboxProcessor {
  private running: Promise<number> | null = null;

  constructor(
    private readonly deps: {
      writer: StoreWriter;
      logger: Logger;
      events: ServiceEvents;
      now: () => number;
      outbound?: OutboundRecorder | null;
    },
  ) {}

  /** Processes everything unprocessed; returns how many entries it applied. Never runs twice at once. */
  drain(onProgress?: (done: number) => void): Promise<number> {
    this.running ??= this.drainAll(onProgress).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async drainAll(onProgress?: (done: number) => void): Promise<number> {
    const { writer } = this.deps;
    let done = 0;
    const failed = new Set<string>();
    for (;;) {
      // A look outside the transaction tells which rooms to hold; the claim inside decides.
      const peek = (await writer.store.listUnprocessed(BATCH + failed.size)).filter(
        (e) => !failed.has(e.eventId),
      );
      if (peek.length === 0) return done;
      const rooms = roomsOf(peek);
      let applied: number;
      try {
        applied = await writer.write((tx) => this.applyClaimed(tx, rooms, failed), { rooms });
      } catch {
        // One bad entry must not hold back the others: retry one by one, keep the failures.
        applied = 0;
        for (const entry of peek) applied += await this.applyAlone(entry, failed);
      }
      done += applied;
      onProgress?.(done);
      // Nothing claimable: another instance holds these entries; the next retry looks again.
      if (applied === 0) return done;
    }
  }

  private async applyAlone(entry: StoredInboxEntry, failed: Set<string>): Promise<number> {
    try {
      return await this.deps.writer.write(
        (tx) => this.applyClaimed(tx, [entry.room], failed, [entry.eventId]),
        { rooms: [entry.room] },
      );
    } catch (e: unknown) {
      const err = coerceError(e);
      failed.add(entry.eventId);
      await this.deps.writer.store
        .recordProcessingFailure(entry.eventId, err.message)
        .catch(() => undefined);
      this.deps.events.emit('inbox:processing:failed', { eventIds: [entry.eventId], error: err });
      this.deps.logger.error(
        { err, eventId: entry.eventId, seq: entry.seq },
        'inbox entry failed to apply',
      );
      return 0;
    }
  }

  /** Claims unprocessed entries of `rooms` in this transaction, applies and marks them. */
  private async applyClaimed(
    tx: StoreOps,
    rooms: readonly (string | null)[],
    failed: ReadonlySet<string>,
    eventIds?: readonly string[],
  ): Promise<number> {
    const claimed = (await tx.claimUnprocessed(rooms, BATCH, eventIds)).filter(
      (e) => !failed.has(e.eventId),
    );
    if (claimed.length === 0) return 0;
    const entries: JournalEntry[] = claimed.flatMap(decodeJournalEntry);
    await applyJournal(tx, entries, {
      audit: { atMs: this.deps.now() },
      outbound: this.deps.outbound ?? null,
    });
    await tx.markProcessed(
      claimed.map((e) => e.eventId),
      this.deps.now(),
    );
    return claimed.length;
  }
}
