export { openStore } from './open-store.js';
export type { OpenStoreOptions } from './open-store.js';
export { parseDatabaseUrl } from './parse-database-url.js';
export type { DatabaseTarget } from './parse-database-url.js';
export type { StoreLogger } from './store-driver.js';
export type * from './store.js';
