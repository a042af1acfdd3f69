import { loadProject, type LoadedProject } from '@boottorrent/project';
import { CliError } from './errors.js';
import { countBySeverity, printProblems } from './output.js';

/**
 * Loads the project a command works on: prints every problem (warnings too) as
 * file:line:col with its fix, and stops with exit 2 when any is an error. `consequence`
 * finishes the sentence, e.g. "so there is nothing to render".
 */
export async function loadValidProject(dir: string, consequence: string): Promise<LoadedProject> {
  const { project, problems } = await loadProject(dir);
  printProblems(problems, dir);
  if (!project) {
    const { errors } = countBySeverity(problems);
    throw new CliError(`${dir} has ${errors} error${errors === 1 ? '' : 's'}, ${consequence}.`, 'correct each line above as its fix says (`boottorrent check` lists them)');
  }
  return project;
}
