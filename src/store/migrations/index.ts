import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-status-read-index.js';
import * as m0003 from './0003-evidence-and-journal.js';
import * as m0004 from './0004-sessions.js';
import * as m0005 from './0005-outbox.js';
import * as m0006 from './0006-inbox-retention.js';
import * as m0007 from './0007-audit-entry-tables.js';

/**
 * Every migration, in order, listed statically so `tsx` and `dist/` run the same set (a folder
 * scan would differ between `.ts` and `.js`). Names are stored in `kysely_migration`: never rename.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-initial': m0001,
  '0002-status-read-index': m0002,
  '0003-evidence-and-journal': m0003,
  '0004-sessions': m0004,
  '0005-outbox': m0005,
  '0006-inbox-retention': m0006,
  '0007-audit-entry-tables': m0007,
});

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...MIGRATIONS }),
};
