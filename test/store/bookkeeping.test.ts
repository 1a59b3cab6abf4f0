import { expect, it } from 'vitest';
import type { WebhookTally } from '../../src/store/index.js';
import { describeEachDialect } from '../helpers/dialects.js';
import { T0, makeAudit, makeCycle, useMigratedStore } from './use-store.js';

const MINUTE = 60_000;

describeEachDialect('store webhook tallies', (dialect) => {
  const ctx = useMigratedStore(dialect);
  const tally = (room: string, minute: number, received: number, duplicates = 0): WebhookTally => ({
    room,
    minuteMs: T0 + minute * MINUTE,
    received,
    duplicates,
  });

  it('adds to the counts of a room and minute, also twice in one batch', async () => {
    const { store } = ctx;
    expect(await store.sumWebhookTallies(['room-a'], T0, T0 + 10 * MINUTE)).toEqual({
      received: 0,
      duplicates: 0,
    });
    await store.addWebhookTallies([tally('room-a', 0, 2, 1), tally('room-a', 0, 3)]);
    await store.transaction((tx) => tx.addWebhookTallies([tally('room-a', 0, 1, 4)]));
    await store.addWebhookTallies([]);
    expect(await store.sumWebhookTallies(['room-a'], T0, T0)).toEqual({
      received: 6,
      duplicates: 5,
    });
  });

  it('sums the minutes of the rooms asked for within [fromMs, toMs]', async () => {
    const { store } = ctx;
    await store.addWebhookTallies([
      tally('room-a', -1, 100, 100),
      tally('room-a', 0, 1),
      tally('room-a', 5, 2, 1),
      tally('room-a', 10, 4),
      tally('room-a', 11, 100, 100),
      tally('room-b', 3, 8, 2),
      tally('room-c', 3, 100, 100),
    ]);
    expect(await store.sumWebhookTallies(['room-a', 'room-b'], T0, T0 + 10 * MINUTE)).toEqual({
      received: 15,
      duplicates: 3,
    });
    expect(await store.sumWebhookTallies(['room-a'], T0 + 1, T0 + 10 * MINUTE - 1)).toEqual({
      received: 2,
      duplicates: 1,
    });
    expect(await store.sumWebhookTallies([], T0, T0 + 10 * MINUTE)).toEqual({
      received: 0,
      duplicates: 0,
    });
  });

  it("writes a transaction's audit records and tallies with it, seen by its own reads", async () => {
    const { store } = ctx;
    const seen = await store.transaction(async (tx) => {
      await tx.appendAudit([makeAudit({ room: 'room-a', sid: 'PA_1' })]);
      await tx.addWebhookTallies([tally('room-a', 0, 2, 1)]);
      await tx.saveCycles([makeCycle({ sid: 'PA_1' })]);
      await tx.appendAudit([makeAudit({ room: 'room-a', sid: 'PA_2' })]);
      await tx.addWebhookTallies([tally('room-a', 0, 1), tally('room-b', 1, 1)]);
      return {
        audit: (await tx.listAudit({ room: 'room-a', limit: 10 })).map((a) => a.sid),
        tallies: await tx.sumWebhookTallies(['room-a'], T0, T0),
      };
    });
    expect(seen).toEqual({ audit: ['PA_1', 'PA_2'], tallies: { received: 3, duplicates: 1 } });
    expect((await store.listAudit({ room: 'room-a', limit: 10 })).map((a) => a.sid)).toEqual([
      'PA_1',
      'PA_2',
    ]);
    expect(await store.sumWebhookTallies(['room-a', 'room-b'], T0, T0 + MINUTE)).toEqual({
      received: 4,
      duplicates: 1,
    });
  });

  it('rolls back audit records and tallies with a transaction that fails', async () => {
    const { store } = ctx;
    await expect(
      store.transaction(async (tx) => {
        await tx.appendAudit([makeAudit({ room: 'room-a' })]);
        await tx.addWebhookTallies([tally('room-a', 0, 2)]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.listAudit({ room: 'room-a', limit: 10 })).toEqual([]);
    expect(await store.sumWebhookTallies(['room-a'], T0, T0)).toEqual({
      received: 0,
      duplicates: 0,
    });
  });
});

describeEachDialect('store completed passes', (dialect) => {
  const ctx = useMigratedStore(dialect);

  it('keeps the pass that started last, whenever it completed', async () => {
    const { store } = ctx;
    expect(await store.getLastCompletedPass()).toBe(null);
    await store.recordCompletedPass({ startedAtMs: T0, completedAtMs: T0 + 900 });
    expect(await store.getLastCompletedPass()).toEqual({
      startedAtMs: T0,
      completedAtMs: T0 + 900,
    });
    await store.recordCompletedPass({ startedAtMs: T0 + 1_000, completedAtMs: T0 + 1_200 });
    // Started earlier, completed later: an older view of LiveKit; kept out.
    await store.recordCompletedPass({ startedAtMs: T0 + 500, completedAtMs: T0 + 5_000 });
    // Started at the same time: not later.
    await store.recordCompletedPass({ startedAtMs: T0 + 1_000, completedAtMs: T0 + 9_000 });
    expect(await store.getLastCompletedPass()).toEqual({
      startedAtMs: T0 + 1_000,
      completedAtMs: T0 + 1_200,
    });
    await store.transaction((tx) =>
      tx.recordCompletedPass({ startedAtMs: T0 + 2_000, completedAtMs: T0 + 2_100 }),
    );
    expect(await store.getLastCompletedPass()).toEqual({
      startedAtMs: T0 + 2_000,
      completedAtMs: T0 + 2_100,
    });
  });
});
