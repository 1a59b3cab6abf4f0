import type { Logger } from 'pino';
import type { AttendanceMetrics } from '../telemetry/index.js';
import type { ServiceEvents } from './events.js';

/** Subscribes logs and metrics to the service's typed events: the one place they are connected. */
export function wireTelemetry(
  events: ServiceEvents,
  logger: Logger,
  metrics: AttendanceMetrics,
): void {
  const log = logger.child({ area: 'service' });
  events.on('webhook:event:accepted', (e) => {
    metrics.webhooksReceived.inc({ outcome: 'accepted' });
    metrics.webhookLag.observe((e.storedAtMs - e.createdAtMs) / 1000);
    log.debug({ eventId: e.id, event: e.type, room: e.room }, 'webhook accepted');
  });
  events.on('webhook:event:duplicate', (e) => {
    metrics.webhooksReceived.inc({ outcome: 'duplicate' });
    log.debug({ eventId: e.id, event: e.type }, 'duplicate webhook ignored');
  });
  events.on('webhook:event:ignored', (e) => {
    metrics.webhooksReceived.inc({ outcome: 'ignored' });
    log.debug({ eventId: e.id, event: e.type }, 'webhook type not used for attendance');
  });
  events.on('webhook:event:rejected', (e) => {
    metrics.webhooksReceived.inc({ outcome: e.reason === 'unauthorized' ? 'rejected' : 'invalid' });
  });
  events.on('attendance:status:read', () => metrics.statusReads.inc());
  events.on('inbox:processing:failed', (e) => {
    metrics.webhookProcessingFailures.inc(e.eventIds.length);
  });
  events.on('reconcile:pass:complete', (r) => {
    metrics.reconcilePasses.inc({ outcome: r.outcome });
    metrics.reconcilePassDuration.observe(r.durationMs / 1000);
    for (const a of ['open', 'confirm', 'reopen', 'close'] as const) {
      const n = r.actions.filter((x) => x.action === a).length;
      if (n > 0) metrics.reconcileActions.inc({ action: a }, n);
    }
    for (const u of r.unverified) metrics.livekitApiErrors.inc({ kind: u.kind });
    const rlog = logger.child({ area: 'reconciler' });
    const fields = {
      trigger: r.trigger,
      room: r.room ?? undefined,
      dryRun: r.dryRun || undefined,
      outcome: r.outcome,
      rooms: r.roomsChecked,
      apiCalls: r.apiCalls,
      ...r.summary,
      durationMs: r.durationMs,
    };
    if (r.outcome === 'ok') rlog.info(fields, 'reconcile pass complete');
    else {
      rlog.warn(
        { ...fields, failing: r.unverified.slice(0, 5).map((u) => `${u.room}: ${u.reason}`) },
        'reconcile pass could not verify every room; nothing was closed there',
      );
    }
  });
  events.on('reconcile:pass:skipped', (e) => {
    metrics.reconcilePasses.inc({ outcome: 'skipped' });
    logger.child({ area: 'reconciler' }).info(e, 'reconcile pass skipped');
  });
  events.on('outbox:delivery:complete', (e) => {
    metrics.outboundDeliveries.inc({ outcome: e.outcome });
    const olog = logger.child({ area: 'outbox' });
    const fields = { eventId: e.id, event: e.type, attempts: e.attempts, status: e.status };
    if (e.outcome === 'delivered') olog.debug(fields, 'outbound event delivered');
    else if (e.outcome === 'retry') {
      olog.warn(
        {
          ...fields,
          error: e.error,
          nextAttemptAt: new Date(e.nextAttemptAtMs ?? 0).toISOString(),
        },
        'outbound event not delivered; will retry',
      );
    } else {
      olog.error(
        { ...fields, error: e.error },
        'outbound event failed for 24 hours; `livekit-attendance outbox retry` sends it again',
      );
    }
  });
  events.on('outbox:backlog:counted', (e) => metrics.outboxBacklog.set(e.pending));
  events.on('reconcile:loss:detected', (e) => {
    logger
      .child({ area: 'reconciler' })
      .info(e, 'webhooks named a participant never seen joining; checking the room early');
  });
}
