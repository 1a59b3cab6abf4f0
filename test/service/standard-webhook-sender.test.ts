import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createStandardWebhookSender } from '../../src/service/index.js';
import { EVENT_SECRET, startEventReceiver } from '../helpers/event-receiver.js';

describe('the Standard Webhooks sender', () => {
  const servers: Array<{ close(): unknown }> = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  const sender = (timeoutMs = 2_000) =>
    createStandardWebhookSender({ secret: EVENT_SECRET, timeoutMs, userAgent: 'test/1' });

  it('signs so that the standardwebhooks library verifies the body', async () => {
    const receiver = await startEventReceiver();
    servers.push(receiver);
    const payload = JSON.stringify({ type: 'participant.joined', timestamp: 'x', data: { a: 1 } });
    const r = await sender().send({
      url: receiver.url,
      id: 'msg_1',
      timestampMs: Date.now(),
      payload,
    });
    expect(r).toEqual({ ok: true, status: 204 });
    expect(receiver.received[0]).toMatchObject({ id: 'msg_1', verifyError: null });
    expect(receiver.received[0]!.body).toEqual(JSON.parse(payload));
    expect(receiver.received[0]!.headers['user-agent']).toBe('test/1');
  });

  it('is not verified by a receiver with another secret', async () => {
    const receiver = await startEventReceiver('whsec_' + Buffer.alloc(24, 7).toString('base64'));
    servers.push(receiver);
    const r = await sender().send({
      url: receiver.url,
      id: 'msg_1',
      timestampMs: Date.now(),
      payload: '{}',
    });
    expect(r).toEqual({ ok: false, status: 400, error: 'HTTP 400' });
    expect(receiver.received[0]!.verifyError).toBe('No matching signature found');
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    const hanging: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise((r) => hanging.close(r)) });
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/`;
    const r = await sender(200).send({ url, id: 'msg_1', timestampMs: Date.now(), payload: '{}' });
    hanging.closeAllConnections();
    expect(r).toEqual({ ok: false, status: null, error: 'no answer within 0.2 s' });
  });

  it('treats a redirect and a refused connection as failures', async () => {
    const redirecting: Server = createServer((_req, res) =>
      res.writeHead(302, { location: 'http://example.invalid/' }).end(),
    );
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    const port = (redirecting.address() as AddressInfo).port;
    servers.push({ close: () => new Promise((r) => redirecting.close(r)) });
    const moved = await sender().send({
      url: `http://127.0.0.1:${port}/`,
      id: 'm',
      timestampMs: Date.now(),
      payload: '{}',
    });
    expect(moved).toEqual({ ok: false, status: 302, error: 'HTTP 302' });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = await sender().send({
      url: `http://127.0.0.1:${closedPort}/`,
      id: 'm',
      timestampMs: Date.now(),
      payload: '{}',
    });
    expect(refused).toEqual({ ok: false, status: null, error: 'request failed: ECONNREFUSED' });
  });
});
