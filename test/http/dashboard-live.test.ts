import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { signIn } from '../helpers/dashboard.js';
import { DIALECTS } from '../helpers/dialects.js';
import { TEST_API_TOKEN, useHarness, webhookBody } from '../helpers/harness.js';

/** The events a connection to /live/events sends first (up to its `alerts`), then hangs up. */
function firstEvents(url: string, cookie: string): Promise<Array<{ event: string; data: any }>> {
  return new Promise((resolve, reject) => {
    const req = get(
      url,
      { headers: { cookie, accept: 'text/event-stream' }, agent: false },
      (res) => {
        expect(res.statusCode).toBe(200);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (!/event: alerts\n[^\n]*\n\n/.test(text)) return;
          req.destroy();
          resolve(
            text
              .split('\n\n')
              .filter((block) => block.includes('event: '))
              .map((block) => ({
                event: /^event: (.*)$/m.exec(block)![1]!,
                data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!),
              })),
          );
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

describe('the live view over HTTP [sqlite]', () => {
  const h = useHarness(DIALECTS[0]!);
  let seq = 0;
  const join = async (room: string, identity: string, name: string) => {
    const nowMs = Date.now();
    const res = await h.postWebhook(
      webhookBody({
        event: 'participant_joined',
        id: `EV_live_${seq++}`,
        createdAtS: Math.floor(nowMs / 1000),
        room: { name: room },
        participant: { sid: `PA_${identity}`, identity, name, state: 'ACTIVE', joinedAtMs: nowMs },
      }),
    );
    expect(res.status).toBe(200);
  };
  const identities = (html: string) =>
    [...html.matchAll(/data-identity="([^"]+)"/g)].map((m) => m[1]);

  it('shows each room with its count, and its people only when they are asked for', async () => {
    await join('algebra', 'ana', 'Ana Lima');
    await join('algebra', 'bo', 'Bo Chen');
    await join('a&b <lab>', 'cy', 'Cy Park');
    const { cookie } = await signIn(h, TEST_API_TOKEN);

    const page = await h.app.inject({ url: '/', headers: { cookie } });
    expect(page.body).toContain('data-room="algebra" data-attending="2"');
    expect(page.body).toContain('data-room="a&amp;b &lt;lab&gt;" data-attending="1"');
    // Nobody is listed in the page itself: each room's people come from /live/people.
    expect(identities(page.body)).toEqual([]);
    expect(page.body).toContain('data-people="/live/people?room=algebra"');

    const algebra = await h.app.inject({ url: '/live/people?room=algebra', headers: { cookie } });
    expect(algebra.statusCode).toBe(200);
    expect(algebra.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(algebra.body).not.toContain('<html');
    expect(identities(algebra.body)).toEqual(['ana', 'bo']);
    expect(algebra.body).toContain('Ana Lima');
    const lab = await h.app.inject({
      url: `/live/people?room=${encodeURIComponent('a&b <lab>')}`,
      headers: { cookie },
    });
    expect(identities(lab.body)).toEqual(['cy']);

    const over = await h.app.inject({ url: '/live/people?room=chemistry', headers: { cookie } });
    expect(over.statusCode).toBe(404);
    expect(over.body).toContain('no longer in progress');
    const signedOut = await h.app.inject({ url: '/live/people?room=algebra' });
    expect(signedOut.statusCode).toBe(401);
    expect(signedOut.body).not.toContain('Ana');
  });

  it('tells a page that nothing changed since it was rendered, and sends every room once something did', async () => {
    await join('algebra', 'ana', 'Ana Lima');
    const { cookie } = await signIn(h, TEST_API_TOKEN);
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    const page = await h.app.inject({ url: '/', headers: { cookie } });
    const version = /data-version="([^"]+)"/.exec(page.body)![1]!;
    const events = `${base}/live/events?since=${encodeURIComponent(version)}`;

    const current = await firstEvents(events, cookie);
    expect(current.map((e) => e.event)).toEqual(['current', 'alerts']);

    // Bo joins after the page was rendered: its events must not call it current.
    await join('algebra', 'bo', 'Bo Chen');
    const overtaken = await firstEvents(events, cookie);
    expect(overtaken.map((e) => e.event)).toEqual(['rooms', 'alerts']);
    expect(overtaken[0]!.data.html).toContain('data-room="algebra" data-attending="2"');
    // Without `since` (an older page, the session page): every room, as before.
    const plain = await firstEvents(`${base}/live/events`, cookie);
    expect(plain.map((e) => e.event)).toEqual(['rooms', 'alerts']);
  });

  it('answers 406 to a request for the events that does not accept an event stream', async () => {
    await join('algebra', 'ana', 'Ana Lima');
    const { cookie } = await signIn(h, TEST_API_TOKEN);
    for (const accept of [undefined, 'application/json', 'text/html,*/*']) {
      const res = await h.app.inject({
        url: '/live/events',
        headers: { cookie, ...(accept === undefined ? {} : { accept }) },
      });
      expect([accept, res.statusCode]).toEqual([accept, 406]);
      expect(res.json()).toEqual({
        error: 'not_acceptable',
        message: 'this route is a stream of server-sent events: send Accept: text/event-stream',
      });
    }
    // Signed out, it is still the sign-in check that answers.
    const signedOut = await h.app.inject({ url: '/live/events' });
    expect(signedOut.statusCode).toBe(401);
  });
});
