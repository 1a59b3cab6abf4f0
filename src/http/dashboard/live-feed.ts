import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { LiveRoom } from '../../core/index.js';
import type {
  LiveRooms,
  LiveSnapshot,
  ReconcileReport,
  ServiceEvents,
  WebhookHealth,
} from '../../service/index.js';
import { liveAlerts, roomCard, roomCards, type AlertsInput } from './live-page.js';

/** Changes arriving together (a class joining at once) go out as one update after this long. */
const COALESCE_MS = 150;

/**
 * One server-sent event: `rooms` (the whole list), `room` (one card) or `alerts`. (On connecting,
 * a page that is already current gets `current` instead of `rooms`: see `version`.)
 */
export interface LiveMessage {
  event: 'rooms' | 'room' | 'alerts';
  data: { nowMs: number; html: string; room?: string };
}

type Listener = (message: LiveMessage) => void;

/**
 * Feeds the live view's server-sent events from the service's own events: an accepted webhook
 * re-renders its room, a completed reconcile pass every room, a refused webhook the warnings.
 * Work happens only while someone is watching.
 */
export class LiveFeed {
  private readonly listeners = new Set<Listener>();
  private readonly dirtyRooms = new Set<string>();
  private dirtyAll = false;
  private dirtyAlerts = false;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private lastReport: ReconcileReport | null = null;
  /** Rooms whose last check failed, as the last render saw them. */
  private readonly failingRooms = new Set<string>();
  /** Changes seen (watched or not), and this process's mark: see `version`. */
  private changes = 0;
  private readonly boot = randomBytes(6).toString('base64url');

  /** Stops listening to the service's events and drops a pending update (the app's close). */
  readonly close: () => void;

  constructor(
    private readonly deps: {
      events: ServiceEvents;
      live: LiveRooms;
      webhookHealth: WebhookHealth;
      logger: FastifyBaseLogger;
    },
  ) {
    // With nobody watching nothing is marked: a browser that connects gets a full snapshot.
    const accepted = ({ room }: { room: string | null }) => {
      this.changes += 1;
      if (room !== null) this.markRoom(room);
    };
    const reconciled = (report: ReconcileReport) => {
      if (report.dryRun) return;
      this.changes += 1;
      this.lastReport = report;
      if (!this.watched) return;
      if (report.room !== null) this.dirtyRooms.add(report.room);
      else this.dirtyAll = true;
      this.dirtyAlerts = true;
      this.schedule();
    };
    const rejected = () => {
      this.changes += 1;
      if (!this.watched) return;
      this.dirtyAlerts = true;
      this.schedule();
    };
    deps.events.on('webhook:event:accepted', accepted);
    deps.events.on('reconcile:pass:complete', reconciled);
    deps.events.on('webhook:event:rejected', rejected);
    this.close = () => {
      deps.events.off('webhook:event:accepted', accepted);
      deps.events.off('reconcile:pass:complete', reconciled);
      deps.events.off('webhook:event:rejected', rejected);
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      this.listeners.clear();
      this.dirtyRooms.clear();
    };
  }

  /**
   * Names what the live view shows now: it changes with every accepted webhook, reconcile pass and
   * refused webhook. A page rendered at version v whose events connect while it is still v is
   * current, and gets no second copy of every room. Read it before the snapshot a page is rendered
   * from, so a change during the read makes the versions differ. Another process (another
   * instance behind a load balancer) never shares a version.
   */
  get version(): string {
    return `${this.boot}.${this.changes}`;
  }

  private get watched(): boolean {
    return this.listeners.size > 0;
  }

  private markRoom(room: string): void {
    if (!this.watched) return;
    this.dirtyRooms.add(room);
    this.schedule();
  }

  private schedule(): void {
    if (!this.watched || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flushing = this.flush().catch((err: unknown) =>
        this.deps.logger.error({ err }, 'live view update failed'),
      );
    }, COALESCE_MS);
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    await this.flushing;
    const all = this.dirtyAll;
    const rooms = [...this.dirtyRooms];
    const alerts = this.dirtyAlerts;
    this.dirtyAll = false;
    this.dirtyAlerts = false;
    this.dirtyRooms.clear();
    if (all) {
      const snapshot = await this.deps.live.snapshot();
      this.send({
        event: 'rooms',
        data: { nowMs: snapshot.nowMs, html: this.roomsHtml(snapshot) },
      });
      this.send({
        event: 'alerts',
        data: {
          nowMs: snapshot.nowMs,
          html: this.alertsHtml(snapshot.nowMs, snapshot.livekitConfigured),
        },
      });
      return;
    }
    for (const name of rooms) {
      const room = await this.deps.live.room(name);
      const nowMs = this.deps.live.now();
      this.trackFailing(name, room);
      this.send({
        event: 'room',
        data: {
          nowMs,
          room: name,
          html: room === null ? '' : roomCard(room, nowMs, this.livekitConfigured).html,
        },
      });
    }
    if (alerts || rooms.length > 0) {
      const nowMs = this.deps.live.now();
      this.send({
        event: 'alerts',
        data: { nowMs, html: this.alertsHtml(nowMs, this.livekitConfigured) },
      });
    }
  }

  private livekitConfigured = true;

  private trackFailing(name: string, room: LiveRoom | null): void {
    if (room !== null && (room.verification?.consecutiveFailures ?? 0) > 0)
      this.failingRooms.add(name);
    else this.failingRooms.delete(name);
  }

  private send(message: LiveMessage): void {
    for (const l of this.listeners) l(message);
  }

  /** The whole room list, remembering which rooms fail their checks for the warnings. */
  roomsHtml(snapshot: LiveSnapshot): string {
    this.livekitConfigured = snapshot.livekitConfigured;
    this.failingRooms.clear();
    for (const r of snapshot.rooms) this.trackFailing(r.room, r);
    return roomCards(snapshot).html;
  }

  alertsInput(nowMs: number, livekitConfigured: boolean): AlertsInput {
    return {
      nowMs,
      webhooks: this.deps.webhookHealth.status(),
      failingRooms: [...this.failingRooms].sort(),
      lastReport: this.lastReport,
      livekitConfigured,
    };
  }

  /** The warnings; `livekitConfigured` as the last render saw it unless given. */
  alertsHtml(nowMs: number, livekitConfigured = this.livekitConfigured): string {
    return liveAlerts(this.alertsInput(nowMs, livekitConfigured)).html;
  }

  /** Starts sending to `listener`; returns the function that stops it. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      // Marks left by the last watcher are covered by the next one's connect snapshot.
      if (!this.watched) {
        this.dirtyRooms.clear();
        this.dirtyAll = false;
        this.dirtyAlerts = false;
      }
    };
  }

  get watchers(): number {
    return this.listeners.size;
  }
}
