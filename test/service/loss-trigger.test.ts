import { afterEach, describe, expect, it, vi } from 'vitest';
import { DIALECTS, useTestDatabase } from '../helpers/dialects.js';
import { createHarness, webhookBody, type Harness } from '../helpers/harness.js';

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;
const NOW_S = Math.floor(Date.now() / 1000);

/** A track event for a sid never seen joining: proof that webhooks were lost. */
const unseenTrack = (id: string) =>
  webhookBody({
    event: 'track_published',
    id,
    createdAtS: NOW_S,
    room: { name: 'r', sid: 'RM_1' },
    participant: { sid: `PA_${id}`, identity: 'u' },
    reduced: true,
  });

describe('loss-triggered reconcile passes', () => {
  const db = useTestDatabase(sqlite);
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('are not asked for when no LiveKit URL is configured (they could only fail and warn)', async () => {
    h = await createHarness({ databaseUrl: db.url, livekitUrl: null });
    const check = vi.spyOn(h.rt.scheduler, 'roomNeedsCheck');
    const detected = vi.fn();
    h.rt.events.on('reconcile:loss:detected', detected);
    expect((await h.postWebhook(unseenTrack('EV_loss1'))).status).toBe(200);
    expect(detected).toHaveBeenCalledWith({ room: 'r' });
    expect(check).not.toHaveBeenCalled();
  });

  it('are asked for when a LiveKit URL is configured', async () => {
    h = await createHarness({ databaseUrl: db.url, livekitUrl: 'http://127.0.0.1:9' });
    const check = vi.spyOn(h.rt.scheduler, 'roomNeedsCheck');
    expect((await h.postWebhook(unseenTrack('EV_loss2'))).status).toBe(200);
    expect(check).toHaveBeenCalledWith('r');
  });
});
