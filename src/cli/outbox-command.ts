import type { Command } from 'commander';
import { commandLogger, configuredLiveKit, loadCliConfig } from './common.js';
import type { Composition } from './composition.js';

export function registerOutboxCommand(
  program: Command,
  c: Composition,
  _exit: { code: number },
): void {
  const outbox = program
    .command('outbox')
    .description('outbound attendance events (EVENT_WEBHOOK_URLS)');
  outbox
    .command('retry')
    .description(
      'send failed outbound events again: back to pending, with the same webhook-id, retried for another 24 hours by serve',
    )
    .action(async () => {
      const config = loadCliConfig(process.env);
      const rt = await c.createRuntime({
        config,
        logger: commandLogger(config),
        livekit: configuredLiveKit(config),
      });
      try {
        const n = await rt.outbox.retryFailed();
        const what = n === 1 ? '1 failed outbound event' : `${n} failed outbound events`;
        console.log(
          n === 0
            ? 'no failed outbound events'
            : `${what} set to pending; serve delivers ${n === 1 ? 'it' : 'them'}`,
        );
      } finally {
        await rt.close();
      }
    });
}
