import http from 'node:http';
import https from 'node:https';
import { type Clock, sleepOn } from './clock.js';
import { postOnce, type PostResult } from './http-post.js';
import type { RandomSource } from './ids.js';
import type { EmulatorLogger } from './logger.js';
import { signWebhook } from './webhook-signer.js';

/** Fault injection for webhook delivery. Rates are probabilities in [0, 1]. */
/** Delivery records kept for inspection; older ones are forgotten. */
export const MAX_LOG_RECORDS = 10_000;

export interface WebhookFaults {
  /** Probability that a dequeued event is silently never sent. */
  dropRate: number;
  /** Probability that a delivered event is sent a second time (same body, token and `id`). */
  duplicateRate: number;
  /** Extra delay before each event's first attempt, on the emulator clock. */
  delayMs: number;
  /** When set, every endpoint refuses connections for this long from the moment the faults are set. */
  outageMs: number;
}

export const NO_WEBHOOK_FAULTS: Readonly<WebhookFaults> = Object.freeze({
  dropRate: 0,
  duplicateRate: 0,
  delayMs: 0,
  outageMs: 0,
});

export type DeliveryOutcome = 'delivered' | 'dropped' | 'failed';

export interface DeliveryRecord {
  id: string;
  event: string;
  room: string;
  url: string;
  /** HTTP attempts made (0 when dropped before sending). */
  attempts: number;
  outcome: DeliveryOutcome;
  /** Why it was dropped or failed: `max_age`, `queue_full`, `fault_drop`, `closed`, `http_<status>`, `giving_up`. */
  reason?: string;
  /** Last HTTP status received, if any. */
  status?: number;
  /** True for the extra copy sent by the duplicate fault. */
  duplicate: boolean;
  enqueuedAtMs: number;
  completedAtMs: number;
}

export interface WebhookSenderOptions {
  apiKey: string;
  apiSecret: string;
  clock: Clock;
  urls: readonly string[];
  random: RandomSource;
  /** Multiplies retry backoff (1, 2, 4, 8 s) and `Retry-After`; default 1. */
  retryScale?: number;
  /** Adds `", "` separators like Go's randomised protojson output; default false. */
  spaceAfterComma?: boolean;
  logger?: EmulatorLogger;
}

/** protocol `webhook/resource_queue.go` and go-retryablehttp defaults. */
const MAX_AGE_MS = 30_000;
const MAX_QUEUE_DEPTH = 200;
const MAX_ATTEMPTS = 5;
const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;

interface QueuedEvent {
  id: string;
  event: string;
  room: string;
  body: string;
  enqueuedAtMs: number;
}

interface RoomQueue {
  url: string;
  items: QueuedEvent[];
  running: boolean;
}

/**
 * Delivers webhooks like LiveKit's `ResourceURLNotifier`: one FIFO queue and one serial worker per
 * (URL, room); retries inline so a failing event blocks later events of its room.
 */
export class WebhookSender {
  private readonly queues = new Map<string, RoomQueue>();
  private readonly log: DeliveryRecord[] = [];
  private readonly idleWaiters: Array<() => void> = [];
  private readonly agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true }),
  };
  private urls: string[];
  private faults: WebhookFaults = { ...NO_WEBHOOK_FAULTS };
  private outageUntilMs = -Infinity;
  private closed = false;

  constructor(private readonly options: WebhookSenderOptions) {
    this.urls = [...options.urls];
  }

  get spaceAfterComma(): boolean {
    return this.options.spaceAfterComma === true;
  }

  setUrls(urls: readonly string[]): void {
    this.urls = [...urls];
  }

  getUrls(): string[] {
    return [...this.urls];
  }

  setFaults(faults: Partial<WebhookFaults> | null): WebhookFaults {
    this.faults = { ...NO_WEBHOOK_FAULTS, ...(faults ?? {}) };
    this.outageUntilMs =
      this.faults.outageMs > 0 ? this.options.clock.now() + this.faults.outageMs : -Infinity;
    return this.getFaults();
  }

  getFaults(): WebhookFaults {
    return { ...this.faults };
  }

  /** Every endpoint refuses connections for `ms` from now, as if the receiver were down. */
  startOutage(ms: number): void {
    this.outageUntilMs = this.options.clock.now() + ms;
  }

  /** Queues one serialized event for every URL; `body` is sent byte for byte. */
  enqueue(event: { id: string; event: string; room: string; body: string }): void {
    if (this.closed) return;
    const now = this.options.clock.now();
    for (const url of this.urls) {
      const key = `${url}\n${event.room}`;
      let queue = this.queues.get(key);
      if (queue === undefined) {
        queue = { url, items: [], running: false };
        this.queues.set(key, queue);
      }
      const item: QueuedEvent = { ...event, enqueuedAtMs: now };
      if (queue.items.length >= MAX_QUEUE_DEPTH) {
        this.record(item, url, { attempts: 0, outcome: 'dropped', reason: 'queue_full' });
        continue;
      }
      queue.items.push(item);
      if (!queue.running) void this.runQueue(key, queue);
    }
  }

  deliveries(): DeliveryRecord[] {
    return this.log.map((r) => ({ ...r }));
  }

  clearDeliveries(): void {
    this.log.length = 0;
  }

  /** Resolves once every queue is empty and no request is in flight. On a manual clock, advance it. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  isIdle(): boolean {
    return this.queues.size === 0;
  }

  /** Drops whatever is queued (outcome `dropped`, reason `closed`) and aborts open connections. */
  close(): void {
    this.closed = true;
    for (const queue of this.queues.values()) {
      for (const item of queue.items.splice(0)) {
        this.record(item, queue.url, { attempts: 0, outcome: 'dropped', reason: 'closed' });
      }
    }
    this.queues.clear();
    for (const wake of this.idleWaiters.splice(0)) wake();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private async runQueue(key: string, queue: RoomQueue): Promise<void> {
    queue.running = true;
    try {
      for (let item = queue.items.shift(); item !== undefined; item = queue.items.shift()) {
        await this.deliver(item, queue.url);
      }
    } catch (err: unknown) {
      this.options.logger?.error({ err }, 'webhook queue failed');
    } finally {
      queue.running = false;
      if (queue.items.length === 0) {
        if (this.queues.get(key) === queue) this.queues.delete(key);
      } else if (!this.closed) {
        void this.runQueue(key, queue);
      }
      if (this.isIdle()) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async deliver(item: QueuedEvent, url: string): Promise<void> {
    const { clock, random } = this.options;
    if (clock.now() - item.enqueuedAtMs > MAX_AGE_MS) {
      this.record(item, url, { attempts: 0, outcome: 'dropped', reason: 'max_age' });
      return;
    }
    if (this.faults.dropRate > 0 && random() < this.faults.dropRate) {
      this.record(item, url, { attempts: 0, outcome: 'dropped', reason: 'fault_drop' });
      return;
    }
    if (this.faults.delayMs > 0) await sleepOn(clock, this.faults.delayMs);
    if (this.closed) return;
    // Minted once per send; retries resend the same body and token (go-retryablehttp).
    const { token } = signWebhook({
      apiKey: this.options.apiKey,
      apiSecret: this.options.apiSecret,
      body: item.body,
      iatSeconds: Math.floor(clock.now() / 1000),
    });
    const scale = this.options.retryScale ?? 1;
    let last: PostResult | undefined;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      last = await this.attempt(url, item.body, token);
      if (this.closed) return;
      if (last.kind === 'response' && !isRetryableStatus(last.status)) {
        if (last.status >= 200 && last.status < 300) {
          this.record(item, url, { attempts: attempt, outcome: 'delivered', status: last.status });
          await this.maybeDuplicate(item, url, token);
        } else {
          this.record(item, url, {
            attempts: attempt,
            outcome: 'failed',
            status: last.status,
            reason: `http_${last.status}`,
          });
        }
        return;
      }
      if (attempt === MAX_ATTEMPTS) break;
      await sleepOn(clock, backoffMs(attempt, last) * scale);
      if (this.closed) return;
    }
    this.options.logger?.warn(
      { id: item.id, url, room: item.room },
      'failed to send webhook, giving up after 5 attempt(s)',
    );
    this.record(item, url, {
      attempts: MAX_ATTEMPTS,
      outcome: 'failed',
      reason: 'giving_up',
      ...(last?.kind === 'response' ? { status: last.status } : {}),
    });
  }

  private async maybeDuplicate(item: QueuedEvent, url: string, token: string): Promise<void> {
    if (this.faults.duplicateRate <= 0 || this.options.random() >= this.faults.duplicateRate)
      return;
    const result = await this.attempt(url, item.body, token);
    const delivered = result.kind === 'response' && result.status >= 200 && result.status < 300;
    this.record(item, url, {
      attempts: 1,
      outcome: delivered ? 'delivered' : 'failed',
      duplicate: true,
      ...(result.kind === 'response' ? { status: result.status } : { reason: result.error }),
    });
  }

  private attempt(url: string, body: string, token: string): Promise<PostResult> {
    if (this.options.clock.now() < this.outageUntilMs) {
      return Promise.resolve({ kind: 'transport', error: 'ECONNREFUSED' });
    }
    const work = postOnce({
      url: new URL(url),
      body,
      agents: this.agents,
      headers: {
        Authorization: token,
        'Content-Type': 'application/webhook+json',
        'User-Agent': 'LiveKit',
      },
    });
    this.options.clock.track?.(work);
    return work;
  }

  private record(
    item: QueuedEvent,
    url: string,
    result: Pick<DeliveryRecord, 'attempts' | 'outcome'> &
      Partial<Pick<DeliveryRecord, 'reason' | 'status' | 'duplicate'>>,
  ): void {
    this.log.push({
      id: item.id,
      event: item.event,
      room: item.room,
      url,
      duplicate: false,
      enqueuedAtMs: item.enqueuedAtMs,
      completedAtMs: this.options.clock.now(),
      ...result,
    });
    // A long-running emulator (standalone, demo mode) keeps only the most recent records.
    if (this.log.length > MAX_LOG_RECORDS) this.log.splice(0, this.log.length - MAX_LOG_RECORDS);
    this.options.logger?.debug(
      { id: item.id, event: item.event, room: item.room, outcome: result.outcome },
      'webhook done',
    );
  }
}

/** go-retryablehttp `DefaultRetryPolicy`: transport errors, 429 and 5xx except 501. */
function isRetryableStatus(status: number): boolean {
  return status === 0 || status === 429 || (status >= 500 && status !== 501);
}

/** go-retryablehttp `DefaultBackoff`: 1, 2, 4, 8 s; `Retry-After` seconds honoured on 429 and 503. */
function backoffMs(attempt: number, last: PostResult): number {
  if (
    last.kind === 'response' &&
    (last.status === 429 || last.status === 503) &&
    last.retryAfter !== undefined
  ) {
    const seconds = Number.parseInt(last.retryAfter, 10);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  }
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (attempt - 1));
}
