// How webhooks reach the receiver in the truth benchmark: each event LiveKit generates is lost
// with probability `lossRate` (LiveKit drops events after 30 s of queueing or 5 failed attempts
// and never resends them: livekit-reference §1.6), else delivered after a short delay; some are
// held back long enough to arrive after later events of their room (reordering), some are sent
// twice (a retry after a lost response, same id). Drawn from the seed in generation order, so
// every variant at one loss rate sees the same fates.
import { chance, substream, uniform } from './random.js';

export const REORDER_RATE = 0.1;
export const DUPLICATE_RATE = 0.1;

/** @returns {(event, atMs) => { lost: boolean, arrivals: number[] }} */
export function createDelivery({ seed, lossRate }) {
  const rand = substream(seed, `delivery-${lossRate}`);
  return (_event, atMs) => {
    // Every die is cast for every event, so the fates do not depend on which ones are lost.
    const lost = chance(rand, lossRate);
    let delay = uniform(rand, 20, 300);
    if (chance(rand, REORDER_RATE)) delay += uniform(rand, 1_000, 20_000);
    const duplicate = chance(rand, DUPLICATE_RATE);
    const again = uniform(rand, 1_000, 30_000);
    if (lost) return { lost: true, arrivals: [] };
    const arrivals = [Math.round(atMs + delay)];
    if (duplicate) arrivals.push(Math.round(atMs + delay + again));
    return { lost: false, arrivals };
  };
}
