import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import {
  startSimulatedClass,
  DEMO_ROOM,
  DEMO_ROSTER,
  DEMO_TEACHER,
  type SimulatedClass,
} from '../demo/index.js';
import { startEmulatorServer, type EmulatorServer } from '../emulator/index.js';
import type { Runtime } from '../service/index.js';
import { createLogger } from '../telemetry/index.js';
import { redactDatabaseUrl } from '../telemetry/index.js';
import { CliError, configuredLiveKit, loadCliConfig } from './common.js';
import { recordDemoLiveKit } from './demo-livekit.js';
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
      const demo = config.runsDemo;
      // The development pair devkey/secret is public: outside demo mode it would let anyone who can
      // reach the port forge attendance.
      if (!demo && config.livekit.apiKey === null) {
        throw new CliError(
          'LIVEKIT_API_KEY and LIVEKIT_API_SECRET are not set (DEMO=off): set them (or LIVEKIT_KEYS) to the key pair LiveKit signs webhooks with, or DEMO=on to run the demo.',
        );
      }
      if (demo && config.demo !== 'on' && !config.databaseUrl.startsWith('sqlite:')) {
        throw new CliError(
          'no LiveKit is configured, so serve would run the demo and write its simulated class into the PostgreSQL database in DATABASE_URL: set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET, or DEMO=on to run the demo there anyway.',
        );
      }
      const logger = createLogger({ level: config.logLevel, pretty: process.stdout.isTTY });

      let emulator: EmulatorServer | null = null;
      let forgetDemo: () => void = () => undefined;
      let livekit = configuredLiveKit(config);
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
        // So that `verify-livekit` from this directory finds the demo's LiveKit (README example).
        forgetDemo = recordDemoLiveKit(emulator.url);
        logger.warn(
          {
            emulator: emulator.url,
            database: redactDatabaseUrl(config.databaseUrl),
            host: config.host,
          },
          'DEMO MODE: attendance comes from a built-in LiveKit emulator running a simulated class, verified with the public development key pair. Set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET to use your LiveKit (or DEMO=off).',
        );
      } else if (config.livekit.url === null) {
        logger.warn(
          'LIVEKIT_URL is not set: webhooks are verified with LIVEKIT_API_KEY, but the reconciler cannot ask LiveKit who is in the room until LIVEKIT_URL is set.',
        );
      }

      const rt = await c.createRuntime({ config, logger, livekit, processMetrics: true });
      // Before listening: once the service says it listens, the demo session is there to read.
      if (emulator) await putDemoSession(rt);
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
          { room: DEMO_ROOM, session: DEMO_SESSION_ID },
          `demo class running: curl -H "Authorization: Bearer $API_TOKEN" http://127.0.0.1:${port}/api/v1/sessions/${DEMO_SESSION_ID}/attendance`,
        );
      }
      if (livekit.url) rt.scheduler.start();
      rt.outbound?.start();
      rt.retention.start(); // INBOX_RETENTION_DAYS=0: does nothing

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
              forgetDemo();
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

/** The demo class as a session, so that `npm start` shows statuses at once. */
export const DEMO_SESSION_ID = 'demo-class';
const MINUTE = 60_000;

/**
 * Written at every start: a two-minute class that starts with the service (nobody can have
 * attended it any earlier), so that the mix of statuses a finished class has shows before it
 * ends and its report is final a few minutes after `npm start`. A live session's statuses are
 * those of the time so far against the whole window, so a longer class would read "partial" for
 * everyone for most of its length. The thresholds are short to match: the students who connect
 * in the first seconds are on time and the later ones late (lateness from the teacher's arrival,
 * `lateFrom: host`); one never comes, one dials in by phone.
 */
export async function putDemoSession(rt: Runtime): Promise<void> {
  const now = Math.floor(rt.clock.now() / 1000) * 1000;
  await rt.sessions.put(DEMO_SESSION_ID, {
    title: 'Demo class: Analytical Engines 101',
    rooms: [DEMO_ROOM],
    startsAtMs: now,
    endsAtMs: now + 2 * MINUTE,
    timezone: 'UTC',
    hosts: [DEMO_TEACHER.identity],
    roster: DEMO_ROSTER.map((m) => ({
      identity: m.identity,
      name: m.name,
      role: 'student',
      aliases: [...m.aliases],
    })),
    tags: ['demo'],
    policy: {
      lateAfterMinutes: 0.25,
      leftEarlyMinutes: 0.5,
      presentPercent: 75,
      absentBelowMinutes: 0.5,
      lateFrom: 'host',
    },
  });
}
