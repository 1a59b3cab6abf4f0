import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { reconcileReportJson, type ReconcileReport } from '../service/index.js';
import { CliError, commandLogger, configuredLiveKit, loadCliConfig } from './common.js';
import type { Composition } from './composition.js';
import { findDemoLiveKit } from './demo-livekit.js';
import { sessionOrFail } from './session-commands.js';
import { formatTable } from './table.js';

/** Passes over fewer rooms finish too fast for a progress bar to help. */
const PROGRESS_MIN_ROOMS = 20;

/** Exit code when LiveKit could not be asked about at least one room. */
export const EXIT_UNVERIFIED = 2;

function iso(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString();
}

export function formatReport(r: ReconcileReport, scopeName?: string): string {
  const out: string[] = [];
  const scope = scopeName ?? (r.room ? `room "${r.room}"` : 'all rooms');
  out.push(
    `${r.dryRun ? 'DRY RUN: nothing was changed. ' : ''}Reconcile pass over ${scope}: ${r.outcome}`,
  );
  out.push('');
  if (r.error) {
    out.push(`LiveKit could not be asked for its rooms (${r.error.kind}): ${r.error.reason}`);
    out.push('Nothing was closed. Check LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET.');
    out.push('');
  }
  if (r.actions.length > 0) {
    out.push(
      formatTable(
        ['ROOM', 'IDENTITY', 'SID', 'ACTION', 'AT'],
        r.actions.map((a) => [a.room, a.identity, a.sid, a.action, iso(a.atMs)]),
      ),
    );
  } else {
    out.push('No participants to confirm, open or close.');
  }
  if (r.unverified.length > 0) {
    out.push('');
    out.push('Could not verify (nothing was closed there):');
    out.push(
      formatTable(
        ['ROOM', 'PROBLEM', 'REASON'],
        r.unverified.map((u) => [u.room, u.kind, u.reason]),
      ),
    );
  }
  const s = r.summary;
  out.push('');
  out.push(
    `confirmed ${s.confirmed}, opened ${s.opened}, reopened ${s.reopened}, closed ${s.closed}, unverified rooms ${s.unverified}` +
      ` — ${r.roomsChecked} room(s), ${r.apiCalls} LiveKit call(s), ${r.durationMs} ms`,
  );
  return out.join('\n');
}

export function registerVerifyCommand(
  program: Command,
  c: Composition,
  exit: { code: number },
): void {
  program
    .command('verify-livekit')
    .description(
      "compare stored attendance with LiveKit's participant lists now (one reconcile pass)",
    )
    .option('--room <name>', 'only this room')
    .option('--session <id>', "only this session's rooms")
    .option('--dry-run', 'show what would change, change nothing', false)
    .option('--json', 'print the report as JSON', false)
    .action(async (opts: { room?: string; session?: string; dryRun: boolean; json: boolean }) => {
      if (opts.room !== undefined && opts.session !== undefined) {
        throw new CliError('give --room or --session, not both');
      }
      const config = loadCliConfig(process.env);
      let livekit = configuredLiveKit(config);
      if (config.livekit.url === null && config.runsDemo) {
        // Demo mode: the LiveKit of the demo `serve` running from this directory.
        const found = findDemoLiveKit({
          apiKey: c.devApiKey,
          apiSecret: c.devApiSecret,
          timeoutMs: config.livekit.timeoutMs,
        });
        if (found === null) {
          throw new CliError(
            'LIVEKIT_URL is not set and no demo is running here: start `livekit-attendance serve` (demo mode) from this directory first, or set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET to verify against LiveKit.',
          );
        }
        livekit = found;
      } else if (config.livekit.url === null) {
        throw new CliError(
          'LIVEKIT_URL is not set: set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET to verify against LiveKit.',
        );
      }
      const logger = commandLogger(config);
      const rt = await c.createRuntime({ config, logger, livekit });
      // A progress bar on a terminal (stderr, so --json output stays clean) for passes over many rooms.
      let bar: SingleBar | null = null;
      if (process.stderr.isTTY) {
        rt.events.on('reconcile:pass:progress', ({ done, total }) => {
          if (bar === null && total >= PROGRESS_MIN_ROOMS) {
            bar = new SingleBar(
              {
                format: 'verify [{bar}] {value}/{total} rooms | ETA {eta}s',
                stream: process.stderr,
                clearOnComplete: true,
              },
              Presets.shades_classic,
            );
            bar.start(total, 0);
          }
          bar?.update(done);
        });
      }
      try {
        const session = opts.session === undefined ? null : await sessionOrFail(rt, opts.session);
        const report = await rt.reconciler.runPass({
          room: opts.room ?? null,
          ...(session === null ? {} : { rooms: session.rooms }),
          dryRun: opts.dryRun,
          trigger: 'cli',
        });
        (bar as SingleBar | null)?.stop();
        if (!report)
          throw new CliError('another instance is running a reconcile pass; try again shortly');
        console.log(
          opts.json
            ? JSON.stringify(reconcileReportJson(report), null, 2)
            : formatReport(
                report,
                session === null
                  ? undefined
                  : `session "${session.id}" (${session.rooms.length} room(s))`,
              ),
        );
        if (report.outcome !== 'ok') exit.code = EXIT_UNVERIFIED;
      } finally {
        await rt.close();
      }
    });
}
