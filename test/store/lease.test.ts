import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import type { AttendanceStore } from '../../src/store/index.js';
import { describeEachDialect } from '../helpers/dialects.js';
import { T0, useMigratedStore } from './use-store.js';

const TTL = 30_000;

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

  it('lets one holder take a free lease and refuses another until it expires', async () => {
    const { store } = ctx;
    expect(await store.tryAcquireLease('reconciler', 'A', T0, TTL)).toBe(true);
    expect(await other.tryAcquireLease('reconciler', 'B', T0 + 1, TTL)).toBe(false);
    expect(await other.tryAcquireLease('reconciler', 'B', T0 + TTL - 1, TTL)).toBe(false);
    expect(await other.tryAcquireLease('reconciler', 'B', T0 + TTL, TTL)).toBe(true);
    expect(await store.tryAcquireLease('reconciler', 'A', T0 + TTL + 1, TTL)).toBe(false);
  });

  it('lets the holder renew, which pushes expiry out', async () => {
    const { store } = ctx;
    expect(await store.tryAcquireLease('reconciler', 'A', T0, TTL)).toBe(true);
    expect(await store.tryAcquireLease('reconciler', 'A', T0 + 20_000, TTL)).toBe(true);
    expect(await other.tryAcquireLease('reconciler', 'B', T0 + TTL + 1, TTL)).toBe(false);
    expect(await other.tryAcquireLease('reconciler', 'B', T0 + 20_000 + TTL, TTL)).toBe(true);
  });

  it('frees a lease on release by its holder only', async () => {
    const { store } = ctx;
    expect(await store.tryAcquireLease('reconciler', 'A', T0, TTL)).toBe(true);
    await other.releaseLease('reconciler', 'B');
    expect(await other.tryAcquireLease('reconciler', 'B', T0 + 1, TTL)).toBe(false);
    await store.releaseLease('reconciler', 'A');
    expect(await other.tryAcquireLease('reconciler', 'B', T0 + 2, TTL)).toBe(true);
  });

  it('keeps leases of different names independent', async () => {
    const { store } = ctx;
    expect(await store.tryAcquireLease('reconciler', 'A', T0, TTL)).toBe(true);
    expect(await other.tryAcquireLease('rebuild', 'B', T0, TTL)).toBe(true);
  });

  it('grants a contended lease to exactly one of many racing holders', async () => {
    const { store } = ctx;
    const attempts = Array.from({ length: 20 }, (_, i) =>
      (i % 2 === 0 ? store : other).tryAcquireLease('reconciler', `H${i}`, T0, TTL),
    );
    const won = await Promise.all(attempts);
    expect(won.filter(Boolean).length).toBe(1);
  });
});
