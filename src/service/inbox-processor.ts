import type { Logger } from 'pino';
import { coerceError, type Cycle, type LiveKitEvent } from '../core/index.js';
import { parseStoredWebhook } from '../livekit/index.js';
import type { StoredInboxEntry, StoreOps } from '../store/index.js';
import {
  applyWebhookEvents,
  replayJournaledAction,
  type JournaledAction,
} from './apply-journal.js';
import type { ServiceEvents } from './events.js';
import type { StoreWriter } from './store-writer.js';

const BATCH = 500;

/**
 * Applies inbox entries that are stored but not yet processed: after a crash between storing and
 * applying, after a failed apply, and for `rebuild`. Entries are taken in insertion order; runs of
 * webhooks are applied together, reconciler decisions one at a time in their place.
 */
export class InboxProcessor {
  private running: Promise<number> | null = null;

  constructor(
    private readonly deps: {
      writer: StoreWriter;
      logger: Logger;
      events: ServiceEvents;
      now: () => number;
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
    let done = 0;
    const failed = new Set<string>();
    for (;;) {
      const entries = (await this.deps.writer.store.listUnprocessed(BATCH + failed.size)).filter(
        (e) => !failed.has(e.eventId),
      );
      if (entries.length === 0) return done;
      try {
        await this.deps.writer.write((tx) => this.applyEntries(tx, entries));
        done += entries.length;
      } catch {
        // One bad entry must not hold back the others: retry one by one, keep the failures.
        for (const entry of entries) {
          try {
            await this.deps.writer.write((tx) => this.applyEntries(tx, [entry]));
            done += 1;
          } catch (e: unknown) {
            const err = coerceError(e);
            failed.add(entry.eventId);
            await this.deps.writer.store.recordProcessingFailure(entry.eventId, err.message);
            this.deps.events.emit('inbox:processing:failed', {
              eventIds: [entry.eventId],
              error: err,
            });
            this.deps.logger.error(
              { err, eventId: entry.eventId, seq: entry.seq },
              'inbox entry failed to apply',
            );
          }
        }
      }
      onProgress?.(done);
    }
  }

  private async applyEntries(tx: StoreOps, entries: readonly StoredInboxEntry[]): Promise<void> {
    let run: LiveKitEvent[] = [];
    const flushRun = async () => {
      if (run.length > 0) await applyWebhookEvents(tx, run);
      run = [];
    };
    for (const entry of entries) {
      if (entry.source === 'webhook') {
        run.push(
          parseStoredWebhook(entry.body, { id: entry.eventId, receivedAtMs: entry.receivedAtMs }),
        );
        continue;
      }
      await flushRun();
      const journaled = JSON.parse(entry.body) as JournaledAction;
      const [fresh] = await tx.getCycles([journaled.action.sid]);
      const next: Cycle | null = replayJournaledAction(fresh, journaled);
      if (next) await tx.saveCycles([next]);
    }
    await flushRun();
    await tx.markProcessed(
      entries.map((e) => e.eventId),
      this.deps.now(),
    );
  }
}
