import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/dialects.js';
import { T0, makeCycle, useMigratedStore } from './use-store.js';

describeEachDialect('store room pages', (dialect) => {
  const ctx = useMigratedStore(dialect);

  const seed = async () => {
    await ctx.store.saveCycles([
      makeCycle({ sid: 'PA_b2', identity: 'bob' }),
      makeCycle({ sid: 'PA_a1', identity: 'alice', joinedAtMs: T0 + 5 }),
      makeCycle({ sid: 'PA_b1', identity: 'bob', joinedAtMs: null }),
      makeCycle({ sid: 'PA_c1', identity: 'carol' }),
      makeCycle({ sid: 'PA_a2', identity: 'alice' }),
      makeCycle({ sid: 'PA_x1', identity: 'alice', room: 'other-room' }),
    ]);
  };
  const sids = (cycles: { identity: string; sid: string }[]) =>
    cycles.map((c) => `${c.identity}/${c.sid}`);

  it('lists one room by identity, then sid, in pages that continue after an (identity, sid) cursor', async () => {
    await seed();
    const first = await ctx.store.listRoomCyclesPage('room-a', null, 3);
    expect(sids(first)).toEqual(['alice/PA_a1', 'alice/PA_a2', 'bob/PA_b1']);
    const second = await ctx.store.listRoomCyclesPage(
      'room-a',
      { identity: 'bob', sid: 'PA_b1' },
      3,
    );
    expect(sids(second)).toEqual(['bob/PA_b2', 'carol/PA_c1']);
  });

  it('continues after every cycle of an identity when the cursor has no sid', async () => {
    await seed();
    expect(sids(await ctx.store.listRoomCyclesPage('room-a', { identity: 'alice' }, 10))).toEqual([
      'bob/PA_b1',
      'bob/PA_b2',
      'carol/PA_c1',
    ]);
    expect(await ctx.store.listRoomCyclesPage('room-a', { identity: 'carol' }, 10)).toEqual([]);
  });

  it('returns whole cycles, as getCycles does', async () => {
    await seed();
    const [page] = await ctx.store.listRoomCyclesPage(
      'room-a',
      { identity: 'bob', sid: 'PA_b1' },
      1,
    );
    expect(page).toEqual((await ctx.store.getCycles(['PA_b2']))[0]);
  });
});
