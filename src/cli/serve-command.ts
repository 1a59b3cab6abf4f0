import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { startSimulatedClass, DEMO_ROOM, type SimulatedClass } from '../demo/index.js';
import { startEmulatorServer, type EmulatorServer } from '../emulator/index.js';
import { createLogger } from '../telemetry/index.js';
import { redactDatabaseUrl } from '../telemetry/index.js';
import { configuredLiveKit, loadCliConfig } from './common.js';
import type { Composition } from './composition.js';

/** How often stored-but-unapplied inbox entries are retried. */
const INBOX_RETRY_MS = 10_000;

export function registerServeCommand(
  program: Command,
  c: Composition,
  _exit: { code: number },
): void {
  program
    .command('serve', { isDefault: true })
    .description('run the service: webhooks, attendance API and the reconciler (default command)')
    .option('--port <port>', 'listen port (env PORT)')
    .option('--host <host>', 'listen address (env HOST)')
    .action(async (opts: { port?: string; host?: string }) => {
      const config = loadCliConfig(process.env, { PORT: opts.port, HOST: opts.host });
      const logger = createLogger({ level: config.logLevel, pretty: process.stdout.isTTY });
      // auto: demo only when no LiveKit variable at all is set. An operator who set a key but forgot
      // the URL gets their own key pair (and a warning), never the public development pair.
      const noLiveKit =
        config.livekit.url === null &&
        config.livekit.apiKey === null &&
        config.livekit.apiSecret === null;
      const demo = config.demo === 'on' || (config.demo === 'auto' && noLiveKit);

      let emulator: EmulatorServer | null = null;
      let livekit = configuredLiveKit(config, c);
      if (demo) {
        emulator = await startEmulatorServer({
          port: 0,
          host: '127.0.0.1',
          apiKey: c.devApiKey,
          apiSecret: c.devApiSecret,
        });
        livekit = {
          url: emulator.url,
          apiKey: c.devApiKey,
          apiSecret: c.devApiSecret,
          timeoutMs: config.livekit.timeoutMs,
        };
        logger.warn(
          { emulator: emulator.url },
          'DEMO MODE: no LIVEKIT_URL is set, so attendance comes from a built-in LiveKit emulator running a simulated class. Set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET to use your LiveKit (or DEMO=off).',
        );
      } else if (config.livekit.url === null && config.livekit.apiKey !== null) {
        logger.warn(
          'LIVEKIT_URL is not set: webhooks are verified with LIVEKIT_API_KEY, but the reconciler cannot ask LiveKit who is in the room until LIVEKIT_URL is set.',
        );
      } else if (config.livekit.url === null) {
        logger.warn(
          'No LiveKit configured (LIVEKIT_URL unset, DEMO=off): webhooks are verified with the development key pair devkey/secret (livekit-server --dev), and the reconciler cannot verify anything until LIVEKIT_URL is set.',
        );
      }

      const rt = await c.createRuntime({ config, logger, livekit, processMetrics: true });
      let apiToken = config.apiToken;
      if (apiToken === null) {
        apiToken = randomBytes(24).toString('base64url');
        // Printed once, to the terminal only: never through the logger.
        process.stderr.write(
          `\nNo API_TOKEN set; generated one for this run (set API_TOKEN to keep it stable):\n\n    API_TOKEN=${apiToken}\n\n`,
        );
      }
      const app = await c.buildRuntimeApp(rt, apiToken);
      await app.listen({ port: config.port, host: config.host });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      logger.info(
        {
          port,
          host: config.host,
          database: redactDatabaseUrl(config.databaseUrl),
          livekit: livekit.url ?? null,
          reconcileIntervalSeconds: config.reconcileIntervalMs / 1000,
        },
        'livekit-attendance listening',
      );

      let draining: Promise<unknown> = Promise.resolve();
      const drain = () =>
        (draining = rt.inbox
          .drain()
          .then(async (n) => {
            if (n > 0) logger.info({ applied: n }, 'applied stored webhooks from the inbox');
            // Bounded and index-backed: a count over the whole inbox would scan it every 10 s.
            const unprocessed = await rt.store.countUnprocessed(1_000);
            rt.metrics.inboxUnprocessed.set(unprocessed);
            if (unprocessed > 0) {
              logger.warn({ unprocessed }, 'inbox entries could not be applied yet; retrying');
            }
          })
          .catch((err: unknown) => logger.error({ err }, 'inbox retry failed')));
      void drain(); // a crash between storing and applying loses nothing: apply what is left
      const inboxTimer = setInterval(() => void drain(), INBOX_RETRY_MS);
      inboxTimer.unref();

      let simulation: SimulatedClass | null = null;
      if (emulator) {
        emulator.emulator.setWebhookUrls([`http://127.0.0.1:${port}/webhooks/livekit`]);
        simulation = startSimulatedClass(emulator.emulator);
        logger.info(
          { room: DEMO_ROOM },
          `demo class running: curl -H "Authorization: Bearer $API_TOKEN" http://127.0.0.1:${port}/api/v1/rooms/${DEMO_ROOM}/attendance`,
        );
      }
      if (livekit.url) rt.scheduler.start();

      await new Promise<void>((resolve) => {
        let stopping = false;
        const shutdown = (signal: string) => {
          if (stopping) return;
          stopping = true;
          logger.info({ signal }, 'shutting down: finishing in-flight requests');
          clearInterval(inboxTimer);
          simulation?.stop();
          void (async () => {
            try {
              await app.close();
              await draining;
              await rt.close();
              await emulator?.close();
              logger.info('stopped');
            } catch (err) {
              logger.error({ err }, 'error during shutdown');
              process.exitCode = 1;
            }
            resolve();
          })();
        };
        process.once('SIGTERM', () => shutdown('SIGTERM'));
        process.once('SIGINT', () => shutdown('SIGINT'));
      });
    });
}
