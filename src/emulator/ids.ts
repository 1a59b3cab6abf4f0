import { randomInt } from 'node:crypto';

/** shortuuid's base57 alphabet, which LiveKit's `guid.New` uses for sids and event ids. */
export const BASE57_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** A source of uniform floats in [0, 1). */
export type RandomSource = () => number;

/** Cryptographic randomness, the default when no seed is given. */
// randomInt allows a range of at most 2^48 - 1.
export const secureRandom: RandomSource = () => randomInt(0, 2 ** 47) / 2 ** 47;

/** mulberry32: a small deterministic PRNG for reproducible fault injection and ids. */
export function createSeededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `prefix` + 12 base57 characters, e.g. `RM_hycBMAjmt6Ub`. */
export function newId(prefix: 'RM_' | 'PA_' | 'EV_' | 'TR_', random: RandomSource): string {
  let out = prefix;
  for (let i = 0; i < 12; i++) {
    out += BASE57_ALPHABET[Math.floor(random() * BASE57_ALPHABET.length)] ?? '2';
  }
  return out;
}
