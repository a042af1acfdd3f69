import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OSS_DIR, PROJECT_FILE } from './loader.js';
import { defaultProjectFile, OSS_README, renderProjectFile } from './template.js';

export class ProjectExists extends Error {
  readonly code = 'BT_PROJECT_EXISTS';
  constructor(readonly dir: string) {
    super(`${dir} already holds a BootTorrent project (or other files)`);
  }
}

/**
 * Creates a project folder: Boottorrent.yaml with every key commented, and oss/ with a README.
 * Refuses a folder that exists and is not empty unless `force` is set (then only our two
 * files are overwritten; nothing else is touched).
 */
export async function initProject(targetDir: string, options: { force?: boolean; master?: { address?: string; interface?: string } } = {}): Promise<string> {
  const dir = resolve(targetDir);
  const existing = await stat(dir).catch(() => null);
  if (existing && !existing.isDirectory()) throw new ProjectExists(dir);
  if (existing && !options.force && (await readdir(dir)).length > 0) throw new ProjectExists(dir);
  const config = defaultProjectFile(options.master);
  await mkdir(join(dir, OSS_DIR), { recursive: true });
  await writeFile(join(dir, PROJECT_FILE), renderProjectFile(config));
  await writeFile(join(dir, OSS_DIR, 'README.md'), OSS_README);
  return dir;
}
