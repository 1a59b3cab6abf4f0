import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { AttendanceError, parseInstant, type Session } from '../core/index.js';
import { reportCsv, reportJson, sessionJson, type Runtime } from '../service/index.js';
import { CliError, commandLogger, configuredLiveKit, loadCliConfig } from './common.js';
import type { Composition } from './composition.js';
import { formatTable } from './table.js';

/** Sessions `sessions list` prints at most (newest first). */
const LIST_LIMIT = 500;

async function withRuntime<T>(c: Composition, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const config = loadCliConfig(process.env);
  const rt = await c.createRuntime({
    config,
    logger: commandLogger(config),
    livekit: configuredLiveKit(config),
  });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/** The session, or one line for the user when there is none (exit 1). */
export async function sessionOrFail(rt: Runtime, id: string): Promise<Session> {
  try {
    return await rt.sessions.get(id);
  } catch (e: unknown) {
    if (e instanceof AttendanceError && e.code === 'session_not_found') {
      throw new CliError(`no session "${id}" in this database`);
    }
    throw e;
  }
}

function instantOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseInstant(value);
  if (ms === null) {
    throw new CliError(
      `${flag} must be an ISO 8601 date-time with an offset, e.g. 2026-12-01T00:00:00Z`,
    );
  }
  return ms;
}

export function registerSessionCommands(
  program: Command,
  c: Composition,
  _exit: { code: number },
): void {
  program
    .command('report')
    .description("a session's attendance report, as the API gives it (JSON or CSV)")
    .requiredOption('--session <id>', 'the session id')
    .addOption(
      new Option('--format <format>', 'output format').choices(['json', 'csv']).default('json'),
    )
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (opts: { session: string; format: 'json' | 'csv'; out?: string }) => {
      await withRuntime(c, async (rt) => {
        await sessionOrFail(rt, opts.session);
        const report = await rt.sessions.report(opts.session);
        const text =
          opts.format === 'csv'
            ? reportCsv(report)
            : `${JSON.stringify(reportJson(report), null, 2)}\n`;
        if (opts.out === undefined) {
          process.stdout.write(text);
          return;
        }
        try {
          await writeFile(opts.out, text);
        } catch (e: unknown) {
          throw new CliError(
            `cannot write ${opts.out}: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
        const people = report.participants.length;
        console.error(
          `wrote ${opts.format.toUpperCase()} for session "${opts.session}" (${people} ${people === 1 ? 'person' : 'people'}${report.final ? '' : ', not final yet'}) to ${opts.out}`,
        );
      });
    });

  const sessions = program.command('sessions').description('list the sessions in the database');
  sessions
    .command('list')
    .description('sessions overlapping [--from, --to], newest first')
    .option('--from <time>', 'ISO 8601 with an offset')
    .option('--to <time>', 'ISO 8601 with an offset')
    .option('--tag <tag>', 'only sessions with this tag')
    .option('--json', 'print JSON', false)
    .action(async (opts: { from?: string; to?: string; tag?: string; json: boolean }) => {
      const fromMs = instantOption(opts.from, '--from');
      const toMs = instantOption(opts.to, '--to');
      await withRuntime(c, async (rt) => {
        const list = await rt.sessions.list({
          ...(fromMs === undefined ? {} : { fromMs }),
          ...(toMs === undefined ? {} : { toMs }),
          ...(opts.tag === undefined ? {} : { tag: opts.tag }),
          limit: LIST_LIMIT,
        });
        if (opts.json) {
          // As the API lists them.
          console.log(
            JSON.stringify(
              list.map((s) => sessionJson(s, rt.sessions.state(s))),
              null,
              2,
            ),
          );
          return;
        }
        if (list.length === 0) {
          console.log('No sessions match.');
          return;
        }
        console.log(
          formatTable(
            ['ID', 'STATE', 'STARTS', 'ENDS', 'ROOMS', 'ROSTER', 'TITLE'],
            list.map((s) => [
              s.id,
              rt.sessions.state(s),
              new Date(s.startsAtMs).toISOString(),
              new Date(s.endsAtMs).toISOString(),
              s.rooms.join(','),
              String(s.roster.length),
              s.title ?? '',
            ]),
          ),
        );
        if (list.length === LIST_LIMIT) {
          console.log(`(the newest ${LIST_LIMIT}; narrow with --from, --to or --tag)`);
        }
      });
    });
}
