// Seeded randomness and a small binary heap: everything the truth benchmark draws or orders goes
// through these, so one `--seed` gives one run.

/** mulberry32: a fast 32-bit PRNG; returns a function giving floats in [0, 1). */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An independent stream for one purpose: the same seed and label always give the same stream. */
export function substream(seed, label) {
  let h = 2166136261 ^ seed;
  for (const ch of label) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return seededRandom(h >>> 0);
}

export const uniform = (rand, lo, hi) => lo + (hi - lo) * rand();
export const chance = (rand, p) => rand() < p;

/** Min-heap of `{ atMs, seq, ... }` ordered by time, ties in insertion order. */
export class TimeHeap {
  #items = [];
  #seq = 0;

  get size() {
    return this.#items.length;
  }

  push(item) {
    const node = { ...item, seq: this.#seq++ };
    const a = this.#items;
    a.push(node);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  peek() {
    return this.#items[0];
  }

  pop() {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(x, y) {
  return x.atMs < y.atMs || (x.atMs === y.atMs && x.seq < y.seq);
}
