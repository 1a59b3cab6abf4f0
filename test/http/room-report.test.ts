import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/dialects.js';
import { useHarness } from '../helpers/harness.js';
import type { Cycle } from '../../src/core/index.js';

const T0 = Date.UTC(2026, 0, 5, 9);

function cycle(identity: string, sid: string, joinedAtMs: number, leftAtMs: number | null): Cycle {
  return {
    sid,
    room: 'big-class',
    roomSid: 'RM_big',
    roomSidRank: Number.MAX_SAFE_INTEGER,
    identity,
    name: identity.toUpperCase(),
    nameVersion: 1,
    kind: 'STANDARD',
    joinedAtMs,
    connected: true,
    joinSeen: true,
    observed: false,
    webhookEndedAtMs: leftAtMs,
    roomFinishedAtMs: null,
    lastAbsentAtMs: null,
    openedBy: 'webhook',
    endedAtMs: leftAtMs,
    endedBy: leftAtMs === null ? null : 'webhook',
    estimatedLeftAtMs: null,
    lastSeenAtMs: null,
  };
}

describeEachDialect('GET /api/v1/rooms/{room}/attendance pages', (dialect) => {
  const h = useHarness(dialect);

  /** 7 identities, u0 … u6; u3 has 1,200 cycles (more than one store page). */
  const seed = async () => {
    const cycles: Cycle[] = [];
    for (let i = 0; i < 7; i++) cycles.push(cycle(`u${i}`, `PA_u${i}`, T0, T0 + 60_000));
    for (let k = 0; k < 1_200; k++) {
      const at = T0 + 120_000 + k * 1_000;
      cycles.push(cycle('u3', `PA_u3_${String(k).padStart(4, '0')}`, at, at + 500));
    }
    await h.rt.store.saveCycles(cycles);
  };

  it('answers pages of `limit` identities with a nextCursor, null on the last page', async () => {
    await seed();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const res = await h.api(`/api/v1/rooms/big-class/attendance?limit=3${qs}`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.json)).toEqual(['room', 'generatedAt', 'participants', 'nextCursor']);
      seen.push(...res.json.participants.map((p: { identity: string }) => p.identity));
      cursor = res.json.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6']);
  });

  it('keeps every cycle of an identity in its row across store pages', async () => {
    await seed();
    const res = await h.api('/api/v1/rooms/big-class/attendance?limit=4');
    const u3 = res.json.participants.find((p: { identity: string }) => p.identity === 'u3');
    expect(u3).toEqual({
      identity: 'u3',
      name: 'U3',
      attendedMs: 60_000 + 1_200 * 500,
      inMeeting: false,
      firstJoinedAt: new Date(T0).toISOString(),
      lastLeftAt: new Date(T0 + 120_000 + 1_199 * 1_000 + 500).toISOString(),
      cycleCount: 1_201,
    });
    expect(res.json.participants).toHaveLength(4);
    expect(res.json.nextCursor).toEqual(expect.any(String));
  });

  it('defaults to 500 identities a page and refuses a limit over 5000 or a forged cursor', async () => {
    await seed();
    const all = await h.api('/api/v1/rooms/big-class/attendance');
    expect(all.json.participants).toHaveLength(7);
    expect(all.json.nextCursor).toBeNull();
    expect((await h.api('/api/v1/rooms/big-class/attendance?limit=5001')).status).toBe(400);
    expect((await h.api('/api/v1/rooms/big-class/attendance?limit=0')).status).toBe(400);
    const forged = await h.api('/api/v1/rooms/big-class/attendance?cursor=not-a-cursor');
    expect(forged.status).toBe(400);
    expect(forged.json).toEqual({
      error: 'invalid_request',
      message: 'querystring/cursor is not a cursor this API gave out',
    });
  });

  it('streams every row as CSV whatever the limit, read from the store page by page', async () => {
    await seed();
    const res = await h.api('/api/v1/rooms/big-class/attendance?format=csv&limit=2');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = res.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe('identity,name,attendedMs,inMeeting,firstJoinedAt,lastLeftAt,cycleCount');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual([
      'u0',
      'u1',
      'u2',
      'u3',
      'u4',
      'u5',
      'u6',
    ]);
    expect(lines[4]).toContain(',1201');
  });

  it('answers an empty room with no rows and no next page', async () => {
    const res = await h.api('/api/v1/rooms/nobody-here/attendance');
    expect(res.json).toMatchObject({ room: 'nobody-here', participants: [], nextCursor: null });
    const csv = await h.api('/api/v1/rooms/nobody-here/attendance?format=csv');
    expect(csv.body).toBe(
      'identity,name,attendedMs,inMeeting,firstJoinedAt,lastLeftAt,cycleCount\r\n',
    );
  });
});
