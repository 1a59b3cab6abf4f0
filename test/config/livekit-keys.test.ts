import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseLivekitKeys } from '../../src/config/index.js';

type Env = Record<string, string | undefined>;

function problemsOf(env: Env): { variable: string; rule: string; received: string }[] {
  try {
    loadConfig(env);
  } catch (e: unknown) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error('loadConfig did not throw');
}

const OLD = { apiKey: 'APIold', apiSecret: 'old-secret-0123456789abcdef0123' };
const NEW = { apiKey: 'APInew', apiSecret: 'new-secret-0123456789abcdef0123' };
const HINT = 'must be "key: secret" pairs, one per line, including the space after the colon';

describe('parseLivekitKeys (livekit-server format)', () => {
  it.each<[string, string, { apiKey: string; apiSecret: string }[]]>([
    ['one pair', 'APIold: s1', [{ apiKey: 'APIold', apiSecret: 's1' }]],
    [
      'one pair per line, blank lines, comments and CRLF',
      '# rotation\r\n  APIold:   s1  # retiring\r\n\r\nAPInew: s2\n',
      [
        { apiKey: 'APIold', apiSecret: 's1' },
        { apiKey: 'APInew', apiSecret: 's2' },
      ],
    ],
    [
      'the flow form on one line, with a trailing comma',
      '{APIold: s1, APInew: s2,}',
      [
        { apiKey: 'APIold', apiSecret: 's1' },
        { apiKey: 'APInew', apiSecret: 's2' },
      ],
    ],
    [
      'quoted secrets (YAML escapes, a colon and a hash inside)',
      `APIold: 'it''s: #1'\nAPInew: "tab\\there"\nAPIthree: '123'`,
      [
        { apiKey: 'APIold', apiSecret: "it's: #1" },
        { apiKey: 'APInew', apiSecret: 'tab\there' },
        { apiKey: 'APIthree', apiSecret: '123' },
      ],
    ],
    ['a hash not after a space, kept', 'APIold: s#1', [{ apiKey: 'APIold', apiSecret: 's#1' }]],
  ])('reads %s', (_name, text, pairs) => {
    expect(parseLivekitKeys(text)).toEqual({ ok: true, pairs });
  });

  it.each<[string, string, string]>([
    ['no space after the colon', 'APIold:s1', `${HINT} (line 1 is not)`],
    ['a nested mapping', 'APIold: a: b', `${HINT} (line 1 is not)`],
    ['a list item', '- APIold: s1', `${HINT} (line 1 is not)`],
    ['an unclosed flow mapping', '{APIold: s1', HINT],
    ['only comments', '# nothing here', HINT],
    ['a key twice', 'APIold: s1\nAPIold: s2', 'lists the same key twice (line 2)'],
    [
      'an empty secret',
      'APIold:',
      'line 1: the secret is empty, or YAML reads it as null, a boolean or a number (quote it)',
    ],
    [
      'a number (livekit-server would drop the key silently)',
      'APIold: s1\nAPInew: 12345',
      'line 2: the secret is empty, or YAML reads it as null, a boolean or a number (quote it)',
    ],
    [
      'a boolean in the flow form',
      '{APIold: true}',
      'pair 1: the secret is empty, or YAML reads it as null, a boolean or a number (quote it)',
    ],
  ])('refuses %s', (_name, text, message) => {
    expect(parseLivekitKeys(text)).toEqual({ ok: false, message });
  });
});

describe('loadConfig with LIVEKIT_KEYS', () => {
  const KEYS = `${OLD.apiKey}: ${OLD.apiSecret}\n${NEW.apiKey}: ${NEW.apiSecret}`;

  it('uses the first pair for RoomService and every pair for webhooks when only LIVEKIT_KEYS is set', () => {
    const config = loadConfig({ LIVEKIT_URL: 'https://lk.example.com', LIVEKIT_KEYS: KEYS });
    expect(config.livekit).toEqual({
      url: 'https://lk.example.com',
      apiKey: OLD.apiKey,
      apiSecret: OLD.apiSecret,
      keys: [OLD, NEW],
      timeoutMs: 10_000,
    });
    expect(config.runsDemo).toBe(false);
  });

  it('lets LIVEKIT_API_KEY pick the RoomService pair from LIVEKIT_KEYS', () => {
    const config = loadConfig({ LIVEKIT_KEYS: KEYS, LIVEKIT_API_KEY: NEW.apiKey });
    expect(config.livekit.apiKey).toBe(NEW.apiKey);
    expect(config.livekit.apiSecret).toBe(NEW.apiSecret);
    expect(config.livekit.keys).toEqual([NEW, OLD]);
  });

  it('verifies webhooks with LIVEKIT_API_KEY/SECRET beside LIVEKIT_KEYS, each key once', () => {
    const config = loadConfig({
      LIVEKIT_API_KEY: 'APIthird',
      LIVEKIT_API_SECRET: 'third-secret',
      LIVEKIT_KEYS: `${KEYS}\nAPIthird: third-secret`,
    });
    expect(config.livekit.apiKey).toBe('APIthird');
    expect(config.livekit.keys).toEqual([
      { apiKey: 'APIthird', apiSecret: 'third-secret' },
      OLD,
      NEW,
    ]);
  });

  it('turns demo mode off when only LIVEKIT_KEYS is set', () => {
    expect(loadConfig({ LIVEKIT_KEYS: KEYS })).toMatchObject({
      runsDemo: false,
      host: '0.0.0.0',
    });
  });

  it.each<[string, Env, { variable: string; rule: string }[]]>([
    [
      'LIVEKIT_URL with no key from either source',
      { LIVEKIT_URL: 'https://lk.example.com' },
      [
        { variable: 'LIVEKIT_API_KEY', rule: 'is required when LIVEKIT_URL is set' },
        { variable: 'LIVEKIT_API_SECRET', rule: 'is required when LIVEKIT_URL is set' },
      ],
    ],
    [
      'LIVEKIT_API_KEY that LIVEKIT_KEYS does not list, without its secret',
      { LIVEKIT_KEYS: KEYS, LIVEKIT_API_KEY: 'APIother' },
      [
        {
          variable: 'LIVEKIT_API_SECRET',
          rule: 'is required when LIVEKIT_API_KEY is set and LIVEKIT_KEYS does not list that key',
        },
      ],
    ],
    [
      'LIVEKIT_API_SECRET without LIVEKIT_API_KEY',
      { LIVEKIT_KEYS: KEYS, LIVEKIT_API_SECRET: 'x' },
      [{ variable: 'LIVEKIT_API_KEY', rule: 'is required when LIVEKIT_API_SECRET is set' }],
    ],
    [
      'a key given two different secrets',
      { LIVEKIT_KEYS: KEYS, LIVEKIT_API_KEY: OLD.apiKey, LIVEKIT_API_SECRET: 'another-secret' },
      [
        {
          variable: 'LIVEKIT_KEYS',
          rule: 'gives LIVEKIT_API_KEY a different secret than LIVEKIT_API_SECRET',
        },
      ],
    ],
    [
      'LIVEKIT_KEYS that does not parse, beside LIVEKIT_URL',
      { LIVEKIT_URL: 'https://lk.example.com', LIVEKIT_KEYS: `${OLD.apiKey}:${OLD.apiSecret}` },
      [{ variable: 'LIVEKIT_KEYS', rule: `${HINT} (line 1 is not)` }],
    ],
  ])('refuses %s', (_name, env, expected) => {
    expect(problemsOf(env).map(({ variable, rule }) => ({ variable, rule }))).toEqual(expected);
  });

  it('never echoes a secret of LIVEKIT_KEYS in an error', () => {
    const problems = problemsOf({
      LIVEKIT_KEYS: `${OLD.apiKey}: ${OLD.apiSecret}\n${NEW.apiKey}:${NEW.apiSecret}`,
    });
    expect(problems).toEqual([
      { variable: 'LIVEKIT_KEYS', rule: `${HINT} (line 2 is not)`, received: '(hidden)' },
    ]);
    const message = new ConfigError(problems).message;
    expect(message).not.toContain('secret-0123');
  });
});
