import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Snapshots live with the test sources (test/snapshots), not in dist, so they are reviewed and committed. */
const SNAPSHOT_DIR = fileURLToPath(new URL('../../../test/snapshots/', import.meta.url));

/**
 * Compares text with test/snapshots/<name>. A missing snapshot fails the test; run with
 * UPDATE_SNAPSHOTS=1 to write it, then read the file before committing it.
 */
export async function matchSnapshot(name: string, actual: string): Promise<void> {
  const file = join(SNAPSHOT_DIR, name);
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    await mkdir(SNAPSHOT_DIR, { recursive: true });
    await writeFile(file, actual);
    return;
  }
  const expected = await readFile(file, 'utf8').catch(() => null);
  assert.ok(expected !== null, `snapshot ${file} is missing; run the test with UPDATE_SNAPSHOTS=1 and review it`);
  assert.equal(actual, expected, `output differs from snapshot ${name}`);
}
