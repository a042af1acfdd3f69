import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { waitFor } from '@boottorrent/testing';
import { watchProject, type ProjectWatcher } from '../src/project-watcher.js';
import { captureLogger } from './helpers/fixtures.js';

/* The project watcher on a real folder: debounced, blind to state and dot-files, and following new folders. */

const DEBOUNCE_MS = 200;
let dir: string;
let stateDir: string;
let watcher: ProjectWatcher;
const calls: string[][] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bt-watch-'));
  stateDir = join(dir, 'state');
  await mkdir(join(dir, 'oss', 'debian'), { recursive: true });
  await mkdir(join(dir, '.boottorrent'));
  await mkdir(stateDir);
  watcher = watchProject({ dir, ignoreDirs: [stateDir], debounceMs: DEBOUNCE_MS, logger: captureLogger().logger, onChange: (paths) => void calls.push(paths) });
  // inotify watches are in place once fs.watch returns; give the recursive walk a moment.
  await sleep(100);
});
after(async () => {
  watcher.close();
  await rm(dir, { recursive: true, force: true });
});

test('a burst of writes is one reload', async () => {
  for (let i = 0; i < 5; i++) {
    await writeFile(join(dir, 'Boottorrent.yaml'), `version: 1 # ${i}\n`);
    await sleep(20);
  }
  await writeFile(join(dir, 'oss', 'debian', 'config.yaml'), 'dispname: D\n');
  await waitFor(() => calls.length === 1, { timeoutMs: 3000 });
  await sleep(DEBOUNCE_MS * 2);
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0], ['Boottorrent.yaml', 'oss/debian/config.yaml']);
});

test('the state dir, .boottorrent and dot-files do not trigger reloads', async () => {
  const before = calls.length;
  await writeFile(join(dir, '.boottorrent', 'nodes.json'), '{}');
  await writeFile(join(stateDir, 'lease'), 'x');
  await writeFile(join(dir, 'oss', 'debian', '.config.yaml.swp'), 'x');
  await sleep(DEBOUNCE_MS * 3);
  assert.equal(calls.length, before);
});

test('a folder created after the start is watched too', async () => {
  const before = calls.length;
  await mkdir(join(dir, 'oss', 'alpine'));
  await waitFor(() => calls.length === before + 1, { timeoutMs: 3000 });
  await sleep(DEBOUNCE_MS);
  await writeFile(join(dir, 'oss', 'alpine', 'config.yaml'), 'dispname: A\n');
  await waitFor(() => calls.length === before + 2, { timeoutMs: 3000 });
  assert.deepEqual(calls.at(-1), ['oss/alpine/config.yaml']);
});
