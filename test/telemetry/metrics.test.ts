import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/telemetry/index.js';

describe('createMetrics', () => {
  it('renders every metric in Prometheus text format', async () => {
    const metrics = createMetrics();
    metrics.webhooksReceived.inc({ outcome: 'accepted' });
    metrics.webhooksReceived.inc({ outcome: 'accepted' });
    metrics.webhooksReceived.inc({ outcome: 'duplicate' });
    metrics.webhookProcessingFailures.inc();
    metrics.inboxUnprocessed.set(3);
    metrics.reconcilePasses.inc({ outcome: 'partial' });
    metrics.reconcilePassDuration.observe(0.3);
    metrics.reconcileActions.inc({ action: 'close' }, 2);
    metrics.livekitApiErrors.inc({ kind: 'timeout' });
    metrics.statusReads.inc();
    metrics.statusCacheLookups.inc({ result: 'hit' });
    metrics.sqliteLockWaits.inc();
    metrics.outboundDeliveries.inc({ outcome: 'retry' });
    metrics.outboxBacklog.set(7);

    const text = await metrics.render();
    const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(samples).toEqual(
      expect.arrayContaining([
        'livekit_attendance_webhooks_received_total{outcome="accepted"} 2',
        'livekit_attendance_webhooks_received_total{outcome="duplicate"} 1',
        'livekit_attendance_webhooks_received_total{outcome="invalid"} 0',
        'livekit_attendance_webhook_processing_failures_total 1',
        'livekit_attendance_inbox_unprocessed 3',
        'livekit_attendance_reconcile_passes_total{outcome="partial"} 1',
        'livekit_attendance_reconcile_passes_total{outcome="ok"} 0',
        'livekit_attendance_reconcile_pass_duration_seconds_bucket{le="0.25"} 0',
        'livekit_attendance_reconcile_pass_duration_seconds_bucket{le="0.5"} 1',
        'livekit_attendance_reconcile_pass_duration_seconds_count 1',
        'livekit_attendance_reconcile_actions_total{action="close"} 2',
        'livekit_attendance_reconcile_actions_total{action="reopen"} 0',
        'livekit_attendance_livekit_api_errors_total{kind="timeout"} 1',
        'livekit_attendance_status_reads_total 1',
        'livekit_attendance_status_cache_lookups_total{result="hit"} 1',
        'livekit_attendance_status_cache_lookups_total{result="miss"} 0',
        'livekit_attendance_sqlite_lock_waits_total 1',
        'livekit_attendance_outbound_deliveries_total{outcome="retry"} 1',
        'livekit_attendance_outbound_deliveries_total{outcome="delivered"} 0',
        'livekit_attendance_outbox_backlog 7',
      ]),
    );
    expect(text).toContain('# TYPE livekit_attendance_reconcile_pass_duration_seconds histogram');
    expect(text).toContain('# TYPE livekit_attendance_inbox_unprocessed gauge');
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('gives each instance its own registry, so two can live side by side', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.statusReads.inc(5);
    expect(await b.render()).toContain('livekit_attendance_status_reads_total 0');
    expect(await a.render()).toContain('livekit_attendance_status_reads_total 5');
  });

  it('adds process metrics only when asked', async () => {
    expect(await createMetrics().render()).not.toContain('process_cpu');
    expect(await createMetrics({ processMetrics: true }).render()).toContain(
      'livekit_attendance_process_cpu_user_seconds_total',
    );
  });

  it('uses the livekit_attendance_ prefix and no per-person labels', async () => {
    const text = await createMetrics().render();
    const names = text
      .split('\n')
      .filter((l) => l.startsWith('# TYPE '))
      .map((l) => l.split(' ')[2]);
    expect(names.length).toBe(14);
    for (const name of names) expect(name).toMatch(/^livekit_attendance_/);
    expect(text).not.toMatch(/identity=|participant=|sid=|room=/);
  });
});
