import type { Clock } from '../core/index.js';
import type { AttendanceStore } from '../store/index.js';

/** A check that has not answered in this long counts as failed: a probe must answer promptly. */
export const READINESS_CHECK_TIMEOUT_MS = 2_000;

/** Why the database check failed: never the driver's message (it may name hosts or users). */
export type DatabaseCheckError = 'timeout' | 'unreachable';

export interface ReadinessReport {
  /** True when the database answers and every migration of this version is applied. */
  ready: boolean;
  database: { ok: true } | { ok: false; error: DatabaseCheckError };
  /** Pending migrations; null when the database could not be asked. */
  pendingMigrations: number | null;
  /**
   * When the last reconcile pass that LiveKit answered for every room completed (any instance),
   * and how long ago; null when none has, or it could not be read. Informational only.
   */
  reconcile: { enabled: boolean; lastCompletedAtMs: number | null; ageMs: number | null };
  /** Outbound events waiting; null when no outbox is wired or it could not be counted. Informational. */
  outboxBacklog: number | null;
}

type Timed<T> = { ok: true; value: T } | { ok: false; error: DatabaseCheckError };

/** `p`'s value, or why there is none; never throws, never waits longer than `ms`. */
async function within<T>(p: () => Promise<T>, ms: number): Promise<Timed<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Timed<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: 'timeout' }), ms);
    timer.unref();
  });
  const attempt = p().then(
    (value): Timed<T> => ({ ok: true, value }),
    (): Timed<T> => ({ ok: false, error: 'unreachable' }),
  );
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Readiness (`GET /readyz`): may this instance take traffic? Only the database decides (it
 * answers, and its schema is this version's); the reconcile pass age and the outbox backlog are
 * reported for operators but never make an instance unready, since neither is fixed by sending
 * its traffic elsewhere. Liveness is `/healthz`, which checks nothing.
 */
export class ReadinessProbe {
  constructor(
    private readonly deps: {
      store: Pick<AttendanceStore, 'listPendingMigrations' | 'getLastCompletedPass'>;
      clock: Clock;
      /** Whether reconcile passes run here at all (LiveKit configured). */
      reconcileEnabled: boolean;
      /** Outbound events not yet delivered; wired by the outbox when there is one. */
      outboxBacklog?: () => Promise<number>;
      /** Default {@link READINESS_CHECK_TIMEOUT_MS}. */
      timeoutMs?: number;
    },
  ) {}

  async check(): Promise<ReadinessReport> {
    const ms = this.deps.timeoutMs ?? READINESS_CHECK_TIMEOUT_MS;
    const { store, outboxBacklog } = this.deps;
    const [pending, pass, backlog] = await Promise.all([
      within(() => store.listPendingMigrations(), ms),
      within(() => store.getLastCompletedPass(), ms),
      outboxBacklog ? within(outboxBacklog, ms) : Promise.resolve(null),
    ]);
    const now = this.deps.clock.now();
    const lastCompletedAtMs = pass.ok ? (pass.value?.completedAtMs ?? null) : null;
    return {
      ready: pending.ok && pending.value.length === 0,
      database: pending.ok ? { ok: true } : { ok: false, error: pending.error },
      pendingMigrations: pending.ok ? pending.value.length : null,
      reconcile: {
        enabled: this.deps.reconcileEnabled,
        lastCompletedAtMs,
        ageMs: lastCompletedAtMs === null ? null : Math.max(0, now - lastCompletedAtMs),
      },
      outboxBacklog: backlog?.ok ? backlog.value : null,
    };
  }
}
