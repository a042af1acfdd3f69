import { Command, CommanderError } from 'commander';
import { commandRegistrations } from './commands/index.js';
import { CliError, EXIT_BAD_INPUT, EXIT_FAILURE } from './errors.js';
import { color } from './output.js';

export const VERSION = '0.1.0';

export function createProgram(): Command {
  const program = new Command('boottorrent')
    .description('Network-boot whole labs and clusters at once: PXE, iPXE, a BitTorrent swarm and kexec.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of commandRegistrations) register(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI and returns the exit code; errors become one sentence plus the fix. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit through here too, with code 0.
      return err.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    if (err instanceof CliError) {
      process.stderr.write(`${color.red('error:')} ${err.message}\n  ${color.bold('fix:')} ${err.fix}\n`);
      return err.exitCode;
    }
    process.stderr.write(`${color.red('error:')} ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.BT_DEBUG) process.stderr.write(`${err instanceof Error ? err.stack : ''}\n`);
    return EXIT_FAILURE;
  }
}
