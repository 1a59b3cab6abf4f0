import { Command, CommanderError } from 'commander';
import { CONFIG_VARIABLES } from '../config/index.js';
import { describeFailure } from './common.js';
import type { Composition } from './composition.js';
import { registerEmulatorCommand } from './emulator-command.js';
import { registerMigrateCommand } from './migrate-command.js';
import { registerOutboxCommand } from './outbox-command.js';
import { registerRebuildCommand } from './rebuild-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerSessionCommands } from './session-commands.js';
import { registerVerifyCommand } from './verify-command.js';

export type { Composition } from './composition.js';

function envHelp(): string {
  const lines = CONFIG_VARIABLES.map(
    (v) => `  ${v.name.padEnd(28)} ${v.description}${v.default ? ` (default: ${v.default})` : ''}`,
  );
  return `\nEnvironment variables:\n${lines.join('\n')}\n`;
}

/** Runs the `livekit-attendance` command line; resolves to the process exit code. */
export async function runCli(argv: readonly string[], composition: Composition): Promise<number> {
  const program = new Command('livekit-attendance')
    .description(
      'Truthful attendance for LiveKit meetings: verified webhooks, reconciled with RoomService.',
    )
    .version(composition.version)
    .exitOverride()
    .addHelpText('after', envHelp());
  const exit = { code: 0 };
  registerServeCommand(program, composition, exit);
  registerMigrateCommand(program, composition, exit);
  registerRebuildCommand(program, composition, exit);
  registerVerifyCommand(program, composition, exit);
  registerSessionCommands(program, composition, exit);
  registerOutboxCommand(program, composition, exit);
  registerEmulatorCommand(program, exit);
  try {
    await program.parseAsync([...argv]);
    return exit.code;
  } catch (e: unknown) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander.
      return e.exitCode;
    }
    console.error(`livekit-attendance: ${describeFailure(e)}`);
    return 1;
  }
}
