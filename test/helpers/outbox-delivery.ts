import { expect } from 'vitest';
import type { EventReceiver } from './event-receiver.js';
import { rawQuery } from './raw-sql.js';
import { waitUntil } from './service-process.js';

/** `select count(*) as n` → the number. */
export const count = (rows: { n: number | string }[]) => Number(rows[0]!.n);

/**
 * The fault tests' outbound promise: waits (up to `ms`) until the outbox at `url` has delivered
 * every row, then holds that there are `rows` of them, that the receiver verified every request,
 * that every row's webhook-id reached it, and that each id came with one body only (a retry is the
 * same event, byte for byte). Returns how many ids arrived and how many deliveries repeated one.
 */
export async function expectOutboxDelivered(
  url: string,
  receiver: EventReceiver,
  opts: { rows: number; ms: number },
): Promise<{ ids: number; duplicates: number }> {
  await waitUntil(
    'every outbound event to be delivered',
    async () =>
      count(
        await rawQuery<{ n: number }>(
          url,
          "select count(*) as n from outbox where status <> 'delivered'",
        ),
      ) === 0
        ? true
        : undefined,
    { ms: opts.ms },
  );
  const outbox = await rawQuery<{ id: string }>(url, 'select id from outbox');
  expect(outbox).toHaveLength(opts.rows);
  expect(receiver.received.filter((r) => r.verifyError !== null)).toEqual([]);
  const byId = new Map<string, string[]>();
  for (const r of receiver.accepted()) byId.set(r.id, [...(byId.get(r.id) ?? []), r.payload]);
  expect(outbox.filter((r) => !byId.has(r.id))).toEqual([]);
  let duplicates = 0;
  for (const [id, payloads] of byId) {
    duplicates += payloads.length - 1;
    expect(new Set(payloads).size, id).toBe(1);
  }
  return { ids: byId.size, duplicates };
}
