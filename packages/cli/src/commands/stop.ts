import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, EXIT_FAILURE } from '../errors.js';
import { resolveProjectDir, resolveUserPath } from '../paths.js';
import { stateLayout } from '../supervisor/layout.js';
import { isAlive, runningPid } from '../supervisor/pidfile.js';

/** The master stops its children in order (each gets 10 s); this bounds the whole. */
export const STOP_TIMEOUT_MS = 90_000;

export function registerStop(program: Command): void {
  program
    .command('stop')
    .description('stop a master started with `boottorrent start` (foreground or --detach)')
    .option('-p, --project <dir>', 'project folder (default: $BT_PROJECT or the current folder)')
    .option('--state-dir <dir>', 'state folder given to start (default: <project>/.boottorrent)')
    .action(async (options: { project?: string; stateDir?: string }) => {
      const dir = resolveProjectDir(options.project);
      const layout = stateLayout(dir, options.stateDir ? resolveUserPath(options.stateDir) : undefined);
      const pid = await runningPid(layout.pidFile);
      if (pid === null) {
        process.stdout.write(`no BootTorrent master is running for ${dir}\n`);
        return;
      }
      process.kill(pid, 'SIGTERM');
      process.stdout.write(`stopping the master (pid ${pid})...\n`);
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (isAlive(pid)) {
        if (Date.now() > deadline) {
          throw new CliError(`the master (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s.`, `see ${layout.logFile}; kill -9 ${pid} if it hangs`, EXIT_FAILURE);
        }
        await sleep(200);
      }
      process.stdout.write('stopped\n');
    });
}
