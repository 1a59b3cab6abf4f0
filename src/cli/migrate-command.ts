import type { Command } from 'commander';
import { openStore } from '../store/index.js';
import { redactDatabaseUrl } from '../telemetry/index.js';
import { loadCliConfig } from './common.js';
import type { Composition } from './composition.js';

export function registerMigrateCommand(
  program: Command,
  _c: Composition,
  _exit: { code: number },
): void {
  program
    .command('migrate')
    .description('apply pending database migrations (serve also does this at start)')
    .action(async () => {
      const config = loadCliConfig(process.env);
      const store = await openStore(config.databaseUrl);
      try {
        const { applied } = await store.migrate();
        console.log(
          applied.length === 0
            ? `${redactDatabaseUrl(config.databaseUrl)}: schema is up to date`
            : `${redactDatabaseUrl(config.databaseUrl)}: applied ${applied.join(', ')}`,
        );
      } finally {
        await store.close();
      }
    });
}
