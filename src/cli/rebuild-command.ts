import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { rebuildFromJournal } from '../service/index.js';
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
      const rt = await c.createRuntime({ config, logger, livekit: configuredLiveKit(config) });
      try {
        let bar: SingleBar | null = null;
        const started = Date.now();
        const result = await rebuildFromJournal({
          writer: rt.writer,
          logger,
          now: () => rt.clock.now(),
          outbound: rt.outbound?.recorder ?? null,
          onStart: (total) => {
            if (!process.stderr.isTTY) return;
            bar = new SingleBar(
              {
                format: 'rebuild [{bar}] {percentage}% | {value}/{total} events | ETA {eta}s',
                stream: process.stderr,
              },
              Presets.shades_classic,
            );
            bar.start(total, 0);
          },
          onProgress: (done) => bar?.update(done),
        });
        (bar as SingleBar | null)?.stop();
        console.log(
          `rebuilt cycles from ${result.applied} of ${result.total} stored events in ${Date.now() - started} ms` +
            (result.unprocessed > 0
              ? `; ${result.unprocessed} could not be applied (see the log)`
              : '') +
            (result.keptCycles > 0
              ? `; ${result.keptCycles} cycle(s) older than the retained inbox (INBOX_RETENTION_DAYS) kept as they were`
              : '') +
            (result.failedRooms.length > 0
              ? `; ${result.failedRooms.length} room(s) kept their previous cycles: ${result.failedRooms.join(', ')}`
              : ''),
        );
      } finally {
        await rt.close();
      }
    });
}
