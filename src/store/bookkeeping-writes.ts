import type { QueryCreator } from 'kysely';
import type { AuditRecord } from '../core/index.js';
import type { Database } from './rows.js';
import type { StoreOps, WebhookTally } from './store.js';

// room, minute_ms, received, duplicates
export const TALLY_COLUMNS = 4;

/** Summed per (room, minute): PostgreSQL refuses to upsert one row twice in a statement. */
export function sumTallies(tallies: readonly WebhookTally[]): WebhookTally[] {
  const sums = new Map<string, WebhookTally>();
  for (const t of tallies) {
    const k = `${t.minuteMs}:${t.room}`;
    const sum = sums.get(k);
    if (sum === undefined) sums.set(k, { ...t });
    else {
      sum.received += t.received;
      sum.duplicates += t.duplicates;
    }
  }
  return [...sums.values()];
}

/** Adds summed tallies (one row per room and minute) to the stored counts. */
export function upsertTallies(qc: QueryCreator<Database>, sums: readonly WebhookTally[]) {
  return qc
    .insertInto('webhook_tallies')
    .values(
      sums.map((t) => ({
        room: t.room,
        minute_ms: t.minuteMs,
        received: t.received,
        duplicates: t.duplicates,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['room', 'minute_ms']).doUpdateSet((eb) => ({
        received: eb('webhook_tallies.received', '+', eb.ref('excluded.received')),
        duplicates: eb('webhook_tallies.duplicates', '+', eb.ref('excluded.duplicates')),
      })),
    );
}

type Bookkeeping = Pick<StoreOps, 'appendAudit' | 'addWebhookTallies'>;

/**
 * A transaction's bookkeeping writes (audit records, webhook tallies), held until the end and
 * then handed to `write` at once: on PostgreSQL every statement is a round trip, and ingest's
 * transaction would otherwise pay two more per webhook than it did before the audit trail. Only
 * tables that the writing transaction never reads back are deferred, and `flush()` runs before
 * commit, so what commits is the same; a failing flush fails the transaction.
 */
export function deferBookkeeping(
  write: (records: readonly AuditRecord[], tallies: readonly WebhookTally[]) => Promise<void>,
): { ops: Bookkeeping; flush(): Promise<void> } {
  let audit: AuditRecord[] = [];
  let tallies: WebhookTally[] = [];
  return {
    ops: {
      appendAudit(records) {
        audit.push(...records);
        return Promise.resolve();
      },
      addWebhookTallies(t) {
        tallies.push(...t);
        return Promise.resolve();
      },
    },
    async flush() {
      const records = audit;
      const held = tallies;
      audit = [];
      tallies = [];
      if (records.length > 0 || held.length > 0) await write(records, held);
    },
  };
}
