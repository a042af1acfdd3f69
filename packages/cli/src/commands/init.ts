import type { Command } from 'commander';
import { initProject, ProjectExists } from '@boottorrent/project';
import { CliError } from '../errors.js';
import { color } from '../output.js';
import { resolveUserPath } from '../paths.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a project folder: Boottorrent.yaml (every key commented) and oss/')
    .argument('<dir>', 'folder to create (must be empty or missing)')
    .option('--force', 'overwrite Boottorrent.yaml and oss/README.md in a folder that is not empty')
    .option('--address <ipv4>', 'master.address: this machine\'s address on the boot network')
    .option('--interface <name>', 'master.interface: the network interface facing the nodes')
    .action(async (dirArg: string, options: { force?: boolean; address?: string; interface?: string }) => {
      const dir = resolveUserPath(dirArg);
      try {
        await initProject(dir, {
          force: options.force ?? false,
          master: { ...(options.address ? { address: options.address } : {}), ...(options.interface ? { interface: options.interface } : {}) },
        });
      } catch (err) {
        if (err instanceof ProjectExists) {
          throw new CliError(`${dir} is not empty.`, `choose a new folder, or run \`boottorrent init ${dirArg} --force\` to rewrite Boottorrent.yaml there`);
        }
        throw err;
      }
      process.stdout.write(
        [
          `${color.green('created')} ${dir}`,
          `  Boottorrent.yaml   settings, every key commented (set master.address and master.interface)`,
          `  oss/README.md      how to add an operating system`,
          '',
          'Next: add an OS folder under oss/ (kernel, initrd, config.yaml), then run',
          `  boottorrent check --project ${dirArg}`,
          '',
        ].join('\n'),
      );
    });
}
