import { AttendanceError, isOpen, type Cycle } from '../core/index.js';
import type { InboxProcessor } from './inbox-processor.js';
import { RECONCILE_LEASE } from './reconciler.js';
import type { StoreWriter } from './store-writer.js';

/** The rebuild's hold on the reconcile lease, renewed every third of it while it runs. */
const REBUILD_LEASE_TTL_MS = 5 * 60_000;

export interface RebuildResult {
  total: number;
  applied: number;
  unprocessed: number;
}

/**
 * Recomputes every cycle from the journal (webhooks and reconciler decisions). Holds the reconcile
 * lease so no pass runs meanwhile, in any instance. Confirmations are not journaled (one per
 * participant per pass would dwarf everything else), so the last confirmation of each cycle that was
 * open before the rebuild is carried over: a later reconciler close must not land earlier than it.
 */
export async function rebuildFromJournal(deps: {
  writer: StoreWriter;
  inbox: InboxProcessor;
  now: () => number;
  onStart?: (total: number) => void;
  onProgress?: (done: number) => void;
}): Promise<RebuildResult> {
  const { store } = deps.writer;
  const holder = `rebuild:${process.pid}`;
  if (!(await store.tryAcquireLease(RECONCILE_LEASE, holder, deps.now(), REBUILD_LEASE_TTL_MS))) {
    throw new AttendanceError(
      'reconcile_busy',
      'a reconcile pass is running; try the rebuild again shortly',
    );
  }
  const renewal = setInterval(() => {
    void store
      .tryAcquireLease(RECONCILE_LEASE, holder, deps.now(), REBUILD_LEASE_TTL_MS)
      .catch(() => undefined);
  }, REBUILD_LEASE_TTL_MS / 3);
  renewal.unref();
  try {
    const lastSeen = new Map((await store.listOpenCycles()).map((c) => [c.sid, c.lastSeenAtMs]));
    await store.resetDerivedState();
    const { total } = await store.countInbox();
    deps.onStart?.(total);
    const applied = await deps.inbox.drain(deps.onProgress);
    // Patched on fresh rows in one write transaction: a webhook applied meanwhile (serve keeps
    // ingesting) is never overwritten, and a cycle it closed stays closed.
    await deps.writer.write(async (tx) => {
      const fresh = await tx.getCycles([...lastSeen.keys()]);
      const carried = fresh
        .filter((c) => isOpen(c) && (c.lastSeenAtMs ?? 0) < (lastSeen.get(c.sid) ?? 0))
        .map((c): Cycle => ({ ...c, lastSeenAtMs: lastSeen.get(c.sid) ?? c.lastSeenAtMs }));
      if (carried.length > 0) await tx.saveCycles(carried);
    });
    const { unprocessed } = await store.countInbox();
    return { total, applied, unprocessed };
  } finally {
    clearInterval(renewal);
    await store.releaseLease(RECONCILE_LEASE, holder).catch(() => undefined);
  }
}
