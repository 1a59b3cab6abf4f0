import type { Clock } from '../core/index.js';
import type { ReconcileReport } from './reconcile-report.js';
import type { Reconciler } from './reconciler.js';

/** How long a live check of a room is reused for `?verify=true` reads. */
export const VERIFY_REUSE_MS = 10_000;

/**
 * Live checks for `?verify=true`: concurrent callers for one room share one LiveKit call (single
 * flight), and a finished check is reused for up to 10 s, so status reads never multiply API calls.
 */
export class RoomVerifier {
  private readonly inFlight = new Map<string, Promise<ReconcileReport>>();
  private readonly recent = new Map<string, { atMs: number; report: ReconcileReport }>();

  constructor(private readonly deps: { reconciler: Reconciler; clock: Clock }) {}

  verify(room: string): Promise<ReconcileReport | null> {
    const now = this.deps.clock.now();
    const cached = this.recent.get(room);
    if (cached && now - cached.atMs < VERIFY_REUSE_MS) return Promise.resolve(cached.report);
    const running = this.inFlight.get(room);
    if (running) return running;
    const p = this.deps.reconciler
      .checkRoom(room, 'verify')
      .then((report) => {
        this.recent.set(room, { atMs: this.deps.clock.now(), report });
        if (this.recent.size > 10_000) this.recent.clear();
        return report;
      })
      .finally(() => this.inFlight.delete(room));
    this.inFlight.set(room, p);
    return p;
  }
}
