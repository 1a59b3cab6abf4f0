import { afterEach, beforeEach } from 'vitest';

/**
 * Opens a resource before and closes it after every test of the enclosing describe. The returned
 * function gives the current test's resource; `name` says who asked when it is called outside one.
 */
export function usePerTest<T extends { close(): Promise<void> }>(
  name: string,
  open: () => Promise<T>,
): () => T {
  let current: T | undefined;
  beforeEach(async () => {
    current = await open();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return () => {
    if (current === undefined) throw new Error(`${name}: used outside a test`);
    return current;
  };
}
