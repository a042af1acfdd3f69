import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadProject, renderProjectFile } from '@boottorrent/project';
import { CliError } from '../errors.js';
import { color, printProblems } from '../output.js';
import { resolveProjectDir, resolveUserPath } from '../paths.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('rewrite an original (version 0) Boottorrent.yaml as version 1; the old file is kept as Boottorrent.yaml.v0')
    .option('-p, --project <dir>', 'project folder (default: $BT_PROJECT or the current folder)')
    .option('-o, --output <file>', 'write the version-1 file here instead of replacing Boottorrent.yaml')
    .option('--stdout', 'print the version-1 file instead of writing it')
    .action(async (options: { project?: string; output?: string; stdout?: boolean }) => {
      const dir = resolveProjectDir(options.project);
      const { project, problems } = await loadProject(dir);
      if (!project) {
        printProblems(problems, dir);
        throw new CliError(`${dir} does not load, so it cannot be migrated.`, 'fix the errors above first (`boottorrent check` lists them)');
      }
      if (project.sourceVersion === 1) {
        process.stdout.write(`${project.file} is already version 1; nothing to do.\n`);
        return;
      }
      const text = renderProjectFile(project.config, {
        header: [`Migrated from the original BootTorrent format (version 0) on ${new Date().toISOString().slice(0, 10)}.`, ''],
      });
      if (options.stdout) {
        process.stdout.write(text);
        return;
      }
      let target = project.file;
      if (options.output) {
        target = resolveUserPath(options.output);
      } else {
        const backup = `${project.file}.v0`;
        if (await stat(backup).catch(() => null)) {
          const same = (await readFile(backup, 'utf8')) === (await readFile(project.file, 'utf8'));
          if (!same) throw new CliError(`${backup} already exists.`, 'move it away (it may be an earlier backup), then run migrate again');
        } else {
          await copyFile(project.file, backup);
        }
        process.stdout.write(`kept the original as ${backup}\n`);
      }
      await writeFile(target, text);
      process.stdout.write(`${color.green('wrote')} ${target} (version 1)\n`);
      for (const note of project.migrationNotes) {
        process.stdout.write(`  ${note.from} -> ${note.to}: ${note.note}\n`);
      }
    });
}
