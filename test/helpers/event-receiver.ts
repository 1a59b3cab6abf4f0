import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A signing secret for tests (24 random-looking bytes, as Standard Webhooks generates them). */
export const EVENT_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export interface ReceivedEvent {
  id: string;
  timestamp: string;
  /** The raw body, as sent. */
  payload: string;
  /** What `standardwebhooks` verified and parsed; null when verification failed. */
  body: { type: string; timestamp: string; data: Record<string, any> } | null;
  verifyError: string | null;
  /** What this receiver answered. */
  answeredStatus: number;
  headers: IncomingHttpHeaders;
}

export interface EventReceiver {
  url: string;
  /** Every request, in arrival order. */
  received: ReceivedEvent[];
  /** Requests answered 2xx, in arrival order. */
  accepted(): ReceivedEvent[];
  /** Decides the answer to each verified request (default 204). */
  respond: (event: ReceivedEvent['body'], attempt: number) => number;
  close(): Promise<void>;
}

/** A real HTTP receiver that verifies every request with the `standardwebhooks` library. */
export async function startEventReceiver(secret = EVENT_SECRET): Promise<EventReceiver> {
  const verifier = new Webhook(secret);
  const received: ReceivedEvent[] = [];
  const attempts = new Map<string, number>();
  const receiver: EventReceiver = {
    url: '',
    received,
    accepted: () => received.filter((r) => r.answeredStatus >= 200 && r.answeredStatus < 300),
    respond: () => 204,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const payload = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, String(v)]),
      );
      let body: ReceivedEvent['body'] = null;
      let verifyError: string | null = null;
      try {
        body = verifier.verify(payload, headers) as ReceivedEvent['body'];
      } catch (e: unknown) {
        verifyError = e instanceof Error ? e.message : String(e);
      }
      const id = String(req.headers['webhook-id']);
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      const status = body === null ? 400 : receiver.respond(body, attempt);
      received.push({
        id,
        timestamp: String(req.headers['webhook-timestamp']),
        payload,
        body,
        verifyError,
        answeredStatus: status,
        headers: req.headers,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  return receiver;
}
