import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactDatabaseUrl } from '../../src/telemetry/index.js';

/** A destination that keeps every line written to it. */
function memoryStream(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== ''),
  };
}

const SECRET = 'sk_live_do-not-print-me';

describe('createLogger', () => {
  it.each<[string, Record<string, unknown>]>([
    ['a request authorization header', { req: { headers: { authorization: `Bearer ${SECRET}` } } }],
    ['a bare headers object', { headers: { authorization: `Bearer ${SECRET}` } }],
    ['the LiveKit API secret inside a config', { livekit: { apiSecret: SECRET } }],
    ['a whole config object', { config: { livekit: { apiSecret: SECRET }, apiToken: SECRET } }],
    ['the API token', { apiToken: SECRET }],
    [
      'LiveKit key pairs inside a config',
      { livekit: { keys: [{ apiKey: 'k', apiSecret: SECRET }] } },
    ],
    ['the LIVEKIT_KEYS variable', { env: { LIVEKIT_KEYS: `k: ${SECRET}` } }],
    ['a webhook JWT', { token: SECRET }],
    ['a password', { password: SECRET }],
    ['a database URL', { databaseUrl: `postgres://u:${SECRET}@db/x` }],
  ])('redacts %s', (_what, fields) => {
    const { stream, lines } = memoryStream();
    createLogger({ level: 'info', destination: stream }).info(fields, 'started');
    const [line, ...rest] = lines();
    expect(rest).toEqual([]);
    expect(line).toBeDefined();
    expect(line).not.toContain(SECRET);
    expect(line).toContain('"[redacted]"');
    expect(JSON.parse(line ?? '{}')).toMatchObject({ level: 30, msg: 'started' });
  });

  it('keeps fields that are not secret', () => {
    const { stream, lines } = memoryStream();
    createLogger({ level: 'info', destination: stream })
      .child({ area: 'reconciler' })
      .info({ room: 'math-101', durationMs: 12 }, 'pass complete');
    expect(JSON.parse(lines()[0] ?? '{}')).toMatchObject({
      area: 'reconciler',
      room: 'math-101',
      durationMs: 12,
      msg: 'pass complete',
    });
  });

  it('drops lines below the configured level', () => {
    const { stream, lines } = memoryStream();
    const logger = createLogger({ level: 'warn', destination: stream });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown']);
  });

  it('redacts in pretty mode too', () => {
    const { stream, lines } = memoryStream();
    createLogger({ level: 'info', pretty: true, destination: stream }).info(
      { apiToken: SECRET },
      'pretty line',
    );
    const text = lines().join('\n');
    expect(text).toContain('pretty line');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(SECRET);
  });
});

describe('redactDatabaseUrl', () => {
  it.each([
    ['postgres://att:s3cret@db:5432/attendance', 'postgres://att:[redacted]@db:5432/attendance'],
    ['postgresql://att:p@ss/w@db/x', 'postgresql://att:[redacted]@db/x'],
    [
      'postgres://db/x?user=att&password=s3cret&ssl=true',
      'postgres://db/x?user=att&password=[redacted]&ssl=true',
    ],
    ['postgres://att@db/x', 'postgres://att@db/x'],
    ['sqlite:./data/attendance.db', 'sqlite:./data/attendance.db'],
  ])('turns %s into %s', (url, expected) => {
    expect(redactDatabaseUrl(url)).toBe(expected);
  });
});
