import http from 'node:http';
import type { Socket } from 'node:net';

/** One request the proxy forwarded: the Twirp method (last path segment) and the raw body. */
export interface ProxiedRequest {
  method: string;
  path: string;
  body: string;
}

export interface RecordingProxy {
  url: string;
  /** Every request forwarded since the last `clear()`, in arrival order. */
  requests(): ProxiedRequest[];
  clear(): void;
  close(): Promise<void>;
}

/**
 * A transparent HTTP proxy in front of `target` that records each request's path and body, so a
 * test can see what the service asked LiveKit (the emulator counts calls but keeps no bodies).
 * A client that gives up (timeout, abort) closes the upstream request too.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  let recorded: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url ?? '/';
      recorded.push({
        method: path.split('?')[0]!.split('/').pop() ?? '',
        path,
        body: body.toString('utf8'),
      });
      const upstream = http.request(
        new URL(path, target),
        { method: req.method ?? 'GET', headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      upstream.end(body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests: () => recorded.map((r) => ({ ...r })),
    clear() {
      recorded = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
