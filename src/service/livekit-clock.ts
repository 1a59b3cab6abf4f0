import { CREATED_AT_PRECISION_MS, type Clock } from '../core/index.js';
import { WEBHOOK_CLOCK_AHEAD_TOLERANCE_S } from '../livekit/index.js';

/** Samples are kept for one to two of these (receiving clock), so a clock stepped back shows. */
const WINDOW_MS = 10 * 60_000;
/**
 * The offsets a verified webhook can show: its token expires 300 s after `iat` and may start up to
 * WEBHOOK_CLOCK_AHEAD_TOLERANCE_S in our future. A sample outside them means the token was checked
 * against another clock than this one (a simulation on virtual time): it says nothing.
 */
const PLAUSIBLE_MIN_MS = -(300 + 10) * 1000;
const PLAUSIBLE_MAX_MS = WEBHOOK_CLOCK_AHEAD_TOLERANCE_S * 1000;

/**
 * How far LiveKit's clock is known to run ahead of this process's (negative: behind). LiveKit dates
 * joins and leaves with its own clock; the service dates only what LiveKit does not say, when a
 * pass saw a participant, and how long an open cycle has lasted so far (attendance-model, "Where
 * times come from"). LiveKit signs every webhook delivery with its own clock (the token's `iat`,
 * whole seconds) just before sending it, so `iat − received` is a lower bound of the offset; the
 * tightest of the last 10 to 20 minutes is kept (the last one known when no webhook came since).
 * Our time plus that bound is a moment LiveKit's clock had surely reached: dated that way, a
 * sighting or "now" never counts past what LiveKit could have seen, whichever way its clock is off.
 *
 * A bound within a second (the precision of `iat`, plus delivery) is noise, not skew: it counts as
 * 0, so a service whose clocks agree dates everything as it always did. Webhook verification bounds
 * `iat` to 5 minutes in the past and 3 minutes in the future of ours, and so the offset (a LiveKit
 * clock further ahead has its webhooks refused and shows nothing here).
 */
export class LiveKitClock {
  /** The highest sample of the current window and of the one before it. */
  private current: number | null = null;
  private previous: number | null = null;
  private windowStartMs = -Infinity;
  /** The last bound known, kept when no sample is left in the windows. */
  private last: number | null = null;

  constructor(private readonly local: Clock) {}

  /** A LiveKit timestamp (epoch ms) that was in LiveKit's past, or its present, at `localMs`. */
  observe(livekitMs: number, localMs: number = this.local.now()): void {
    if (!Number.isFinite(livekitMs) || livekitMs <= 0) return;
    const sample = livekitMs - localMs;
    if (sample < PLAUSIBLE_MIN_MS || sample > PLAUSIBLE_MAX_MS) return;
    this.roll(localMs);
    if (this.current === null || sample > this.current) this.current = sample;
  }

  /** Ms to add to a time of ours to get one LiveKit's clock had surely reached; 0 in agreement. */
  offsetMs(): number {
    this.roll(this.local.now());
    const b = this.bound() ?? this.last;
    this.last = b;
    return b === null || Math.abs(b) <= CREATED_AT_PRECISION_MS ? 0 : b;
  }

  /**
   * "Now" for open cycles, on LiveKit's clock: never later than LiveKit's own now, and never later
   * than ours (a clock ahead of ours proves nothing about how long anyone has been in).
   */
  readonly counting: Clock = {
    now: () => this.local.now() + Math.min(0, this.offsetMs()),
  };

  private bound(): number | null {
    if (this.current === null) return this.previous;
    return this.previous === null ? this.current : Math.max(this.current, this.previous);
  }

  private roll(localMs: number): void {
    if (localMs - this.windowStartMs < WINDOW_MS) return;
    // One window on: the current becomes the previous; two or more: both are gone.
    this.previous = localMs - this.windowStartMs < 2 * WINDOW_MS ? this.current : null;
    this.current = null;
    this.windowStartMs = localMs;
  }
}
