import type { Command } from 'commander';
import { loadProject, toDesiredState } from '@boottorrent/project';
import { CliError } from '../errors.js';
import { color, countBySeverity, printProblems } from '../output.js';
import { resolveProjectDir } from '../paths.js';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('validate a project: every problem as file:line:col with its fix (exit 2 on errors)')
    .option('-p, --project <dir>', 'project folder (default: $BT_PROJECT or the current folder)')
    .option('--json', 'print the problems (and a summary) as JSON')
    .action(async (options: { project?: string; json?: boolean }) => {
      const dir = resolveProjectDir(options.project);
      const { project, problems } = await loadProject(dir);
      const { errors, warnings } = countBySeverity(problems);
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ok: project !== null, projectDir: dir, problems }, null, 2)}\n`);
        if (!project) process.exitCode = 2;
        return;
      }
      printProblems(problems, dir);
      if (!project) {
        throw new CliError(
          `${dir} has ${errors} error${errors === 1 ? '' : 's'}${warnings ? ` and ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}.`,
          'correct each line above as its fix says, then run `boottorrent check` again',
        );
      }
      const desired = toDesiredState(project);
      const lines = [
        `${color.green('ok')} ${dir}${project.sourceVersion === 0 ? color.yellow(' (original BootTorrent format, version 0: `boottorrent migrate` rewrites it as version 1)') : ''}`,
        `  boot API   ${desired.network.api.url}`,
        `  DHCP       ${desired.dhcp.mode}${desired.dhcp.mode === 'off' ? '' : ` on ${desired.dhcp.interface}`}${desired.dhcp.range ? ` (${desired.dhcp.range.start}-${desired.dhcp.range.end})` : ''}`,
        `  tracker    ${desired.network.tracker.enabled ? desired.network.tracker.announceUrls.join(' ') : 'off'}`,
        `  OSes       ${project.oses.length === 0 ? '(none)' : project.oses.map((os) => `${os.name}${os.name === desired.policy.menu.defaultOs ? '*' : ''}`).join(', ')}`,
        `  nodes      ${project.nodes.length} pinned`,
      ];
      if (warnings) lines.push(color.yellow(`  ${warnings} warning${warnings === 1 ? '' : 's'} above`));
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
