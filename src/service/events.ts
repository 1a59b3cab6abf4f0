import { EventEmitter } from 'node:events';
import type { ReconcileReport } from './reconcile-report.js';

/** Typed events (`scope:thing:phase`) that logs, metrics and tests subscribe to. */
export interface ServiceEventMap {
  'webhook:event:accepted': [
    {
      id: string;
      type: string;
      room: string | null;
      /** LiveKit's createdAt and when it was committed here (for the lag metric). */
      createdAtMs: number;
      storedAtMs: number;
      /** When LiveKit signed the delivery (its clock, whole seconds; null: no `iat`) and we got it. */
      signedAtMs?: number | null;
      receivedAtMs?: number;
    },
  ];
  'webhook:event:duplicate': [{ id: string; type: string }];
  'webhook:event:ignored': [{ id: string; type: string }];
  'webhook:event:rejected': [{ reason: 'unauthorized' | 'malformed'; message: string }];
  'inbox:batch:applied': [{ events: number; changedCycles: number }];
  'inbox:processing:failed': [{ eventIds: string[]; error: Error }];
  'reconcile:pass:start': [{ room: string | null; dryRun: boolean; trigger: string }];
  /** After each room of a pass was asked about (for progress bars). */
  'reconcile:pass:progress': [{ done: number; total: number }];
  'reconcile:pass:complete': [ReconcileReport];
  'reconcile:pass:skipped': [{ reason: string; trigger: string }];
  'reconcile:loss:detected': [{ room: string }];
  /** One participant's attendance status was computed for a reader. */
  'attendance:status:read': [];
  /** One attempt of one outbound event ended (every receiver owed it was tried). */
  'outbox:delivery:complete': [
    {
      id: string;
      type: string;
      outcome: 'delivered' | 'retry' | 'failed';
      attempts: number;
      status: number | null;
      error: string | null;
      nextAttemptAtMs: number | null;
    },
  ];
  /** Outbound events waiting (pending), counted after a delivery round. */
  'outbox:backlog:counted': [{ pending: number }];
  /** The session watcher looked at sessions whose statuses may have changed. */
  'outbox:sessions:evaluated': [{ sessions: number; events: number }];
}

export class ServiceEvents extends EventEmitter<ServiceEventMap> {}
