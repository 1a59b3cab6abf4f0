import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/dialects.js';
import { T0, useLiveEnv } from '../helpers/live-env.js';

const SEC = 1_000;
const MIN = 60_000;
const ROOM = 'class-101';
const iso = (ms: number) => new Date(ms).toISOString();
const nowS = () => Math.floor(Date.now() / 1000);

describeEachDialect('audit trail of cycles, against the emulator and the reconciler', (dialect) => {
  const env = useLiveEnv(dialect);
  const emu = () => env.emu.emulator;

  async function trail(query = `room=${ROOM}`) {
    const r = await env.h.api(`/api/v1/audit?${query}`);
    expect(r.status).toBe(200);
    return r.json.entries as Array<Record<string, any>>;
  }
  /** Posts by hand the generated events `pred` picks (a drop fault held them back). */
  async function deliver(pred: (e: { event: string; identity?: string }) => boolean) {
    const held = emu().generatedEvents().filter(pred);
    expect(held.length).toBeGreaterThan(0);
    for (const e of held) {
      expect((await env.h.postWebhook(e.body, { iatSeconds: nowS() })).status).toBe(200);
    }
  }

  it('records who opened, closed and corrected each cycle, and nothing for confirmations', async () => {
    const host = emu().connect(ROOM, { identity: 'host' });
    const alice = emu().connect(ROOM, { identity: 'alice' });
    await env.settle();
    await env.advance(MIN);
    await env.reconcile(); // confirms both: no visible change, no record
    expect((await trail()).map((e) => [e.action, e.source, e.identity])).toEqual([
      ['cycle.opened', 'webhook', 'host'],
      ['cycle.opened', 'webhook', 'alice'],
    ]);

    // Alice's leave is lost: the next pass closes her at her last confirmation.
    emu().setWebhookFaults({ dropRate: 1 });
    await env.advance(30 * SEC);
    emu().disconnect(ROOM, alice.sid);
    // A join LiveKit never told us about: the pass opens it.
    const bob = emu().connect(ROOM, { identity: 'bob' });
    await env.settle();
    emu().setWebhookFaults(null);
    await env.advance(30 * SEC);
    await env.reconcile();
    const afterPass = (await trail()).slice(2);
    expect(afterPass.map((e) => [e.action, e.source, e.identity])).toEqual(
      expect.arrayContaining([
        ['cycle.closed', 'reconciler', 'alice'],
        ['cycle.opened', 'reconciler', 'bob'],
      ]),
    );
    expect(afterPass).toHaveLength(2);
    const closed = afterPass.find((e) => e.identity === 'alice')!;
    expect(closed).toMatchObject({
      sid: alice.sid,
      before: { leftAt: null, closedBy: null },
      after: { leftAt: iso(T0 + MIN), closedBy: 'reconciler' },
    });

    // The lost leave arrives late: LiveKit's time replaces the estimate.
    await deliver((e) => e.event === 'participant_left' && e.identity === 'alice');
    const corrected = (await trail(`identity=alice`)).at(-1)!;
    expect(corrected).toMatchObject({
      action: 'cycle.corrected',
      source: 'webhook',
      before: { leftAt: iso(T0 + MIN), closedBy: 'reconciler' },
      after: { leftAt: iso(T0 + MIN + 30 * SEC), closedBy: 'webhook' },
    });

    // The room ends with every leave lost: room_finished closes whoever is still open.
    emu().setWebhookFaults({ dropRate: 1 });
    await env.advance(MIN);
    emu().endRoom(ROOM);
    await env.settle();
    emu().setWebhookFaults(null);
    await deliver((e) => e.event === 'room_finished');
    const finished = (await trail()).filter((e) => e.source === 'room_finished');
    expect(finished.map((e) => [e.action, e.sid]).sort()).toEqual(
      [
        ['cycle.closed', bob.sid],
        ['cycle.closed', host.sid],
      ].sort(),
    );
    // Every record names its room and person, and none a session.
    for (const e of await trail()) {
      expect(e).toMatchObject({ room: ROOM, session: null, actor: null, reason: null });
    }
  });
});
