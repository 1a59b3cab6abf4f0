import http from 'node:http';
import https from 'node:https';

export type PostResult =
  | { kind: 'response'; status: number; retryAfter: string | undefined }
  | { kind: 'transport'; error: string };

/**
 * One webhook POST. No overall timeout, like LiveKit's go-cleanhttp client: a receiver that
 * accepts and never answers stalls its room queue until the sender is closed.
 */
export function postOnce(input: {
  url: URL;
  body: string;
  headers: Record<string, string>;
  agents: { http: http.Agent; https: https.Agent };
}): Promise<PostResult> {
  return new Promise((resolve) => {
    const isHttps = input.url.protocol === 'https:';
    const payload = Buffer.from(input.body, 'utf8');
    const request = (isHttps ? https : http).request(input.url, {
      method: 'POST',
      agent: isHttps ? input.agents.https : input.agents.http,
      headers: { ...input.headers, 'Content-Length': String(payload.length) },
    });
    request.on('response', (response) => {
      const header: string | string[] | undefined = response.headers['retry-after'];
      const retryAfter = typeof header === 'string' ? header : undefined;
      response.resume();
      const done = (): void =>
        resolve({
          kind: 'response',
          status: response.statusCode ?? 0,
          retryAfter,
        });
      response.on('end', done);
      response.on('error', done);
    });
    request.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ kind: 'transport', error: err.code ?? err.message }),
    );
    request.end(payload);
  });
}
