import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { commandLogger, configuredLiveKit, loadCliConfig } from './common.js';
import type { Composition } from './composition.js';

export function registerRebuildCommand(
  program: Command,
  c: Composition,
  _exit: { code: number },
): void {
  program
    .command('rebuild')
    .description(
      'recompute every cycle from the stored raw events (webhooks and reconciler decisions)',
    )
    .action(async () => {
      const config = loadCliConfig(process.env);
      const logger = commandLogger(config);
      const rt = await c.createRuntime({ config, logger, livekit: configuredLiveKit(config, c) });
      try {
        await rt.store.resetDerivedState();
        const { total } = await rt.store.countInbox();
        const bar = process.stderr.isTTY
          ? new SingleBar(
              {
                format: 'rebuild [{bar}] {percentage}% | {value}/{total} events | ETA {eta}s',
                stream: process.stderr,
              },
              Presets.shades_classic,
            )
          : null;
        bar?.start(total, 0);
        const started = Date.now();
        const applied = await rt.inbox.drain((done) => bar?.update(done));
        bar?.update(applied);
        bar?.stop();
        const { unprocessed } = await rt.store.countInbox();
        console.log(
          `rebuilt cycles from ${applied} of ${total} stored events in ${Date.now() - started} ms` +
            (unprocessed > 0 ? `; ${unprocessed} could not be applied (see the log)` : ''),
        );
      } finally {
        await rt.close();
      }
    });
}
