import http from 'node:http';

export interface CapturedWebhook {
  body: string;
  headers: http.IncomingHttpHeaders;
  event: string;
  id: string;
}

/** What the receiver does with the n-th request (1-based): answer a status, or cut the connection. */
export type ReceiverBehaviour = (request: {
  n: number;
  event: string;
  id: string;
}) => number | 'destroy' | { status: number; headers: Record<string, string> };

/** A real node:http webhook endpoint for tests; records every request it answers with 2xx or not. */
export async function startWebhookReceiver(behaviour: ReceiverBehaviour = () => 200): Promise<{
  url: string;
  received: CapturedWebhook[];
  setBehaviour(next: ReceiverBehaviour): void;
  close(): Promise<void>;
}> {
  const received: CapturedWebhook[] = [];
  let current = behaviour;
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let event = '';
      let id = '';
      try {
        const parsed = JSON.parse(body) as { event?: string; id?: string };
        event = parsed.event ?? '';
        id = parsed.id ?? '';
      } catch {
        // recorded as-is
      }
      n += 1;
      received.push({ body, headers: req.headers, event, id });
      const action = current({ n, event, id });
      if (action === 'destroy') {
        req.socket.destroy();
        return;
      }
      const status = typeof action === 'number' ? action : action.status;
      const headers = typeof action === 'number' ? {} : action.headers;
      res.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}/webhook`,
    received,
    setBehaviour(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
