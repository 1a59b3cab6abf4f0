import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { openStore } from '../../src/store/index.js';
import type { AttendanceStore } from '../../src/store/index.js';
import { describeEachDialect } from '../helpers/dialects.js';
import { dbNowMsSql, rawQuery } from '../helpers/raw-sql.js';
import { useMigratedStore } from './use-store.js';

const TTL = 60_000;

describeEachDialect('store lease', (dialect) => {
  const ctx = useMigratedStore(dialect);
  // A second instance on the same database, as a second service process would have.
  let other: AttendanceStore;
  beforeEach(async () => {
    other = await openStore(ctx.url);
  });
  afterEach(async () => {
    await other.close();
  });

  /** Waits until the database's own clock has passed the lease's expiry. */
  const waitUntilExpired = (name: string) =>
    vi.waitFor(
      async () => {
        const rows = await rawQuery<{ expired: number | string }>(
          ctx.url,
          `select count(*) as expired from leases where name = '${name}' and expires_at_ms <= ${dbNowMsSql(dialect.name)}`,
        );
        expect(Number(rows[0]?.expired)).toBe(1);
      },
      { timeout: 5_000, interval: 20 },
    );

  it('lets one holder take a free lease and refuses another while it lives', async () => {
    expect(await ctx.store.tryAcquireLease('reconciler', 'A', TTL)).toBe(1);
    expect(await other.tryAcquireLease('reconciler', 'B', TTL)).toBe(null);
  });

  it('keeps the token on renewal and hands a new one to whoever takes it after expiry', async () => {
    expect(await ctx.store.tryAcquireLease('reconciler', 'A', 50)).toBe(1);
    await waitUntilExpired('reconciler');
    expect(await other.tryAcquireLease('reconciler', 'B', TTL)).toBe(2);
    expect(await other.tryAcquireLease('reconciler', 'B', TTL)).toBe(2);
    expect(await ctx.store.tryAcquireLease('reconciler', 'A', TTL)).toBe(null);
  });

  it('gives a holder a new token when its own lease expired in between', async () => {
    expect(await ctx.store.tryAcquireLease('reconciler', 'A', 50)).toBe(1);
    await waitUntilExpired('reconciler');
    // Nobody took it, but a pass that held token 1 may have been overtaken: the token says so.
    expect(await ctx.store.tryAcquireLease('reconciler', 'A', TTL)).toBe(2);
  });

  it('frees a lease on release by its holder only, and never reuses a token', async () => {
    expect(await ctx.store.tryAcquireLease('reconciler', 'A', TTL)).toBe(1);
    await other.releaseLease('reconciler', 'B');
    expect(await other.tryAcquireLease('reconciler', 'B', TTL)).toBe(null);
    await ctx.store.releaseLease('reconciler', 'A');
    expect(await other.tryAcquireLease('reconciler', 'B', TTL)).toBe(2);
    await other.releaseLease('reconciler', 'B');
    expect(await ctx.store.tryAcquireLease('reconciler', 'A', TTL)).toBe(3);
  });

  it('keeps leases of different names independent', async () => {
    expect(await ctx.store.tryAcquireLease('reconciler', 'A', TTL)).toBe(1);
    expect(await other.tryAcquireLease('rebuild', 'B', TTL)).toBe(1);
  });

  it('grants a contended lease to exactly one of many racing holders', async () => {
    const attempts = Array.from({ length: 20 }, (_, i) =>
      (i % 2 === 0 ? ctx.store : other).tryAcquireLease('reconciler', `H${i}`, TTL),
    );
    const won = await Promise.all(attempts);
    expect(won.filter((t) => t !== null)).toEqual([1]);
  });

  it('fences: nobody takes the lease between a holder’s check and its commit', async () => {
    const token = await ctx.store.tryAcquireLease('reconciler', 'A', 300);
    expect(token).toBe(1);
    const order: string[] = [];
    let commit!: () => void;
    const committed = new Promise<void>((r) => (commit = r));
    let checked!: () => void;
    const hasChecked = new Promise<void>((r) => (checked = r));
    const holder = ctx.store.transaction(async (tx) => {
      expect(await tx.holdsLease('reconciler', 'A', token!)).toBe(true);
      await tx.markRoomVerified('room-a', 1);
      checked();
      await committed;
      order.push('A committed');
    });
    await hasChecked;
    await waitUntilExpired('reconciler');
    // Expired by the database's clock, yet the takeover waits for A's transaction to end.
    const takeover = other.tryAcquireLease('reconciler', 'B', TTL).then((t) => {
      order.push('B took it');
      return t;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual([]);
    commit();
    await holder;
    expect(await takeover).toBe(2);
    expect(order).toEqual(['A committed', 'B took it']);
    // A's next write transaction sees it lost the lease.
    expect(await ctx.store.transaction((tx) => tx.holdsLease('reconciler', 'A', token!))).toBe(
      false,
    );
  });
});
