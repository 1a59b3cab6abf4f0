import type { Clock } from '../core/index.js';
import type { ServiceEvents } from './events.js';

/** Rejections older than this no longer count as "failing now". */
export const WEBHOOK_HEALTH_WINDOW_MS = 10 * 60_000;
const MAX_REMEMBERED = 1_000;

export interface WebhookHealthStatus {
  /** Webhooks refused for a bad or missing signature within the window. */
  rejectedRecently: number;
  lastRejectedAtMs: number | null;
  lastRejection: string | null;
  lastAcceptedAtMs: number | null;
  /** Signatures are failing: a rejection within the window and no accepted webhook since. */
  failing: boolean;
}

/**
 * Whether webhook signature verification is failing right now (a wrong LIVEKIT_API_SECRET, a
 * proxy rewriting bodies), from the service's own events; kept in memory for this process.
 */
export class WebhookHealth {
  private rejections: number[] = [];
  private lastRejection: string | null = null;
  private lastAcceptedAtMs: number | null = null;

  /** Stops listening to the service's events. */
  readonly close: () => void;

  constructor(
    events: ServiceEvents,
    private readonly clock: Clock,
  ) {
    const rejected = ({ reason, message }: { reason: string; message: string }) => {
      if (reason !== 'unauthorized') return;
      this.rejections.push(this.clock.now());
      if (this.rejections.length > MAX_REMEMBERED) this.rejections.shift();
      this.lastRejection = message;
    };
    const accepted = () => {
      this.lastAcceptedAtMs = this.clock.now();
    };
    events.on('webhook:event:rejected', rejected);
    events.on('webhook:event:accepted', accepted);
    events.on('webhook:event:duplicate', accepted);
    this.close = () => {
      events.off('webhook:event:rejected', rejected);
      events.off('webhook:event:accepted', accepted);
      events.off('webhook:event:duplicate', accepted);
    };
  }

  status(): WebhookHealthStatus {
    const now = this.clock.now();
    this.rejections = this.rejections.filter((t) => now - t <= WEBHOOK_HEALTH_WINDOW_MS);
    const last = this.rejections.at(-1) ?? null;
    return {
      rejectedRecently: this.rejections.length,
      lastRejectedAtMs: last,
      lastRejection: last === null ? null : this.lastRejection,
      lastAcceptedAtMs: this.lastAcceptedAtMs,
      failing: last !== null && (this.lastAcceptedAtMs === null || this.lastAcceptedAtMs < last),
    };
  }
}
