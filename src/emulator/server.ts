import http from 'node:http';
import type { Socket } from 'node:net';
import { CONTROL_PREFIX, handleControlApi } from './control-api.js';
import { createEmulator, type Emulator } from './emulator.js';
import type { EmulatorOptions } from './emulator-options.js';
import { handleRoomService } from './room-service.js';
import type { ServiceReply } from './twirp.js';
import { twirpError } from './twirp.js';

export interface EmulatorServerOptions extends EmulatorOptions {
  /** Default 7880, LiveKit's port; 0 picks a free one. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Serve an existing emulator instead of creating one from the other options. */
  emulator?: Emulator;
}

export interface EmulatorServer {
  /** Base URL for `RoomServiceClient`, e.g. `http://127.0.0.1:7880`. */
  url: string;
  port: number;
  emulator: Emulator;
  /** Stops the emulator (timers, webhooks) and the server, dropping open connections. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

/** Serves Twirp RoomService at `/twirp/livekit.RoomService/*` and the control API at `/emulator/*`. */
export async function startEmulatorServer(
  options: EmulatorServerOptions = {},
): Promise<EmulatorServer> {
  const emulator = options.emulator ?? createEmulator(options);
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    readBody(req)
      .then((body) => {
        if (body === undefined)
          return write(res, twirpError('malformed', 'request body too large'));
        const url = new URL(req.url ?? '/', 'http://emulator');
        // Route on the raw path so encoded slashes in room names survive until segment decoding.
        const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
        let reply: ServiceReply;
        if (rawPath.startsWith('/twirp/')) {
          reply = handleRoomService(
            emulator,
            {
              httpMethod: req.method ?? 'GET',
              path: rawPath,
              contentType: req.headers['content-type'],
              authorization: req.headers.authorization,
              accessTokenParam: url.searchParams.get('access_token'),
              mock: headerValue(req.headers['x-lk-mock']),
              body,
            },
            Date.now() + emulator.clockOffsetMs,
          );
        } else if (rawPath.startsWith(CONTROL_PREFIX)) {
          reply = handleControlApi(emulator, {
            httpMethod: req.method ?? 'GET',
            path: rawPath,
            query: url.searchParams,
            body,
          });
        } else {
          reply = {
            kind: 'reply',
            status: 404,
            contentType: 'text/plain; charset=utf-8',
            body: '404 page not found\n',
          };
        }
        options.logger?.debug(
          { method: req.method, path: rawPath, reply: reply.kind },
          'emulator request',
        );
        respond(emulator, req, res, reply);
      })
      .catch((err: unknown) => {
        options.logger?.error({ err }, 'emulator request failed');
        if (!res.headersSent)
          write(res, {
            kind: 'reply',
            status: 500,
            contentType: 'application/json',
            body: '{"error":"internal","message":"internal error"}',
          });
      });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7880, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port =
    typeof address === 'object' && address !== null ? address.port : (options.port ?? 7880);
  const host = options.host ?? '127.0.0.1';
  const urlHost = host.includes(':') ? `[${host}]` : host;
  options.logger?.info({ port, host }, 'livekit emulator listening');
  return {
    url: `http://${urlHost}:${port}`,
    port,
    emulator,
    close: async () => {
      emulator.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function respond(
  emulator: Emulator,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  reply: ServiceReply,
): void {
  switch (reply.kind) {
    case 'reply':
      write(res, reply);
      return;
    case 'drop':
      req.socket.destroy();
      return;
    case 'hang':
      // Never answers unless a delay is set; the SDK's own 10 s timeout fires first either way.
      if (reply.afterMs !== undefined) {
        emulator.clock.setTimeout(() => {
          if (!res.destroyed) respond(emulator, req, res, reply.then);
        }, reply.afterMs);
      }
      return;
  }
}

/** Writes exactly the given Content-Type (no charset added: the SDK needs bare `application/json`). */
function write(res: http.ServerResponse, reply: Extract<ServiceReply, { kind: 'reply' }>): void {
  const body =
    typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : Buffer.from(reply.body);
  res.writeHead(reply.status, {
    'Content-Type': reply.contentType,
    'Content-Length': String(body.length),
  });
  res.end(body);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
