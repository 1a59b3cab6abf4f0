/**
 * The emulator's only source of time. Every emulator timer (departure and empty timeouts, webhook
 * backoff and delays, outage windows, abrupt-disconnect delays) goes through a `Clock`, so tests can
 * drive hours of LiveKit behaviour with a `ManualClock` and no wall-clock sleeps.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /**
   * Optional: registers in-flight asynchronous work (an HTTP delivery) that `ManualClock.advance`
   * waits for before it runs the next timer. The wall clock ignores it.
   */
  track?(work: Promise<unknown>): void;
}

/** Opaque timer handle. */
export type TimerHandle = { readonly id: number };

/** The real clock: `Date.now()` and Node timers (unref'd so a forgotten timer never pins the process). */
export function createWallClock(): Clock {
  let nextId = 1;
  const timers = new Map<number, NodeJS.Timeout>();
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const id = nextId++;
      const t = setTimeout(
        () => {
          timers.delete(id);
          fn();
        },
        Math.max(0, ms),
      );
      t.unref();
      timers.set(id, t);
      return { id };
    },
    clearTimeout(handle) {
      const t = timers.get(handle.id);
      if (t !== undefined) clearTimeout(t);
      timers.delete(handle.id);
    },
  };
}

interface ManualTimer {
  id: number;
  dueAtMs: number;
  fn: () => void;
}

/** Wall-time bound on waiting for tracked work per step, so a receiver that never answers can't wedge a test. */
const DEFAULT_SETTLE_LIMIT_MS = 5_000;

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A virtual clock. `advance(ms)` runs due timers in due order (ties in creation order), moving
 * `now()` to each timer's due time, and after each one waits until tracked work (webhook HTTP
 * attempts) has settled, so deliveries that fall due inside the window complete before it returns.
 */
export class ManualClock implements Clock {
  private nowMs: number;
  private nextId = 1;
  private readonly timers = new Map<number, ManualTimer>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly settleLimitMs: number;

  constructor(options: { startAtMs?: number; settleLimitMs?: number } = {}) {
    this.nowMs = options.startAtMs ?? Date.UTC(2026, 0, 1);
    this.settleLimitMs = options.settleLimitMs ?? DEFAULT_SETTLE_LIMIT_MS;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, dueAtMs: this.nowMs + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  track(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.inflight.add(settled);
    void settled.then(() => this.inflight.delete(settled));
  }

  /** When the next timer falls due (epoch ms), or null when none is pending. */
  nextDueAtMs(): number | null {
    return this.nextDue()?.dueAtMs ?? null;
  }

  /** Number of timers not yet run. */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, running every timer due on the way (and any they schedule). */
  async advance(ms: number): Promise<void> {
    const targetMs = this.nowMs + Math.max(0, ms);
    await this.settle();
    for (;;) {
      const next = this.nextDue();
      if (next === undefined || next.dueAtMs > targetMs) break;
      this.timers.delete(next.id);
      this.nowMs = Math.max(this.nowMs, next.dueAtMs);
      next.fn();
      await this.settle();
    }
    this.nowMs = targetMs;
    await this.settle();
  }

  /** Sets the time to an absolute epoch-ms value (never backwards), running timers on the way. */
  async advanceTo(atMs: number): Promise<void> {
    await this.advance(atMs - this.nowMs);
  }

  /** Waits until no tracked work is in flight (bounded by `settleLimitMs` of wall time). */
  async settle(): Promise<void> {
    const deadline = Date.now() + this.settleLimitMs;
    for (;;) {
      await macrotask();
      if (this.inflight.size === 0) {
        await macrotask();
        if (this.inflight.size === 0) return;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...this.inflight]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, remaining);
        }),
      ]);
      clearTimeout(timer);
    }
  }

  private nextDue(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers.values()) {
      if (best === undefined || t.dueAtMs < best.dueAtMs) best = t;
    }
    return best;
  }
}

/** `clock` read `offsetMs` ahead (negative: behind); its timers and tracking are `clock`'s own. */
export function offsetClock(clock: Clock, offsetMs: number): Clock {
  if (offsetMs === 0) return clock;
  return {
    now: () => clock.now() + offsetMs,
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    clearTimeout: (handle) => clock.clearTimeout(handle),
    ...(clock.track ? { track: (work: Promise<unknown>) => clock.track?.(work) } : {}),
  };
}

/** Resolves after `ms` on `clock`. */
export function sleepOn(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}
