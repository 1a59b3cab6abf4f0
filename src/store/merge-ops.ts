/** `A & B & …` of a tuple of object types. */
type Intersection<T extends readonly object[]> = T extends readonly [
  infer Head,
  ...infer Rest extends readonly object[],
]
  ? Head & Intersection<Rest>
  : unknown;

/**
 * One object with the members of every part (later parts win), as `{ ...a, ...b }` gives. Store
 * operations are merged once per transaction, and V8's object spread is slow for objects of many
 * function-valued members: spreading the twelve groups of StoreOps (~70 members) measured ~200 µs
 * per transaction on the bench machine, Object.assign ~4 µs.
 */
export function mergeOps<T extends readonly object[]>(...parts: T): Intersection<T> {
  return Object.assign({}, ...parts) as Intersection<T>;
}
