import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ORIGINAL_OS_CONFIG } from '@boottorrent/testing';

export { ORIGINAL_OS_CONFIG, ORIGINAL_V0_FILE } from '@boottorrent/testing';

export const MINIMAL_V1_FILE = `version: 1
master:
  address: 10.77.0.1
  interface: br0
`;

/** Writes `files` (path -> content) into a fresh temporary folder and returns its path. */
export async function makeProject(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bt-project-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

/** An OS folder's files: a config.yaml and small kernel/initrd stand-ins. */
export function osFiles(name: string, config = ORIGINAL_OS_CONFIG): Record<string, string> {
  return {
    [`oss/${name}/config.yaml`]: config,
    [`oss/${name}/vmlinuz`]: 'kernel bytes',
    [`oss/${name}/initramfs.img`]: 'initrd bytes',
  };
}
