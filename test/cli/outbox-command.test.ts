import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { DIALECTS, useTestDatabase } from '../helpers/dialects.js';
import { runCliCaptured } from './run-cli.js';

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;
const T0 = Date.UTC(2027, 2, 1, 9, 0, 0);

describe('livekit-attendance outbox retry', () => {
  const db = useTestDatabase(sqlite);

  it('puts failed outbound events back to pending and says how many', async () => {
    const store = await openStore(db.url);
    try {
      await store.migrate();
      await store.insertOutbox(
        ['msg_a', 'msg_b'].map((id) => ({
          id,
          type: 'participant.joined',
          stream: 'room-a',
          room: 'room-a',
          sessionId: null,
          payload: '{}',
          createdAtMs: T0,
          nextAttemptAtMs: T0,
          deadlineAtMs: T0,
        })),
      );
      for (const row of await store.claimOutbox('test', T0, 60_000, 10)) {
        await store.finishOutboxAttempt({
          seq: row.seq,
          holder: 'test',
          atMs: T0,
          status: 'failed',
          nextAttemptAtMs: T0,
          lastStatus: 410,
          lastError: 'HTTP 410',
          ackedTargets: [],
        });
      }
    } finally {
      await store.close();
    }
    const r = await runCliCaptured(['outbox', 'retry'], { DATABASE_URL: db.url });
    expect(r).toMatchObject({
      code: 0,
      stdout: '1 failed outbound event set to pending; serve delivers it',
    });
    const again = await runCliCaptured(['outbox', 'retry'], { DATABASE_URL: db.url });
    expect(again.stdout).toBe('no failed outbound events');
    const check = await openStore(db.url);
    try {
      const pending = await check.listOutbox({ status: 'pending', limit: 10 });
      expect(pending.map((p) => [p.id, p.attempts, p.lastError])).toEqual([
        ['msg_a', 0, 'HTTP 410'],
        ['msg_b', 0, null],
      ]);
    } finally {
      await check.close();
    }
  });
});
