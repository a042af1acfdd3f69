import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultProjectFile, loadProject, migrateV0, ProjectFileV0, renderProjectFile } from '../src/index.js';
import { ORIGINAL_V0_FILE, makeProject, osFiles } from './fixtures.js';
import { parse } from 'yaml';

const created: string[] = [];
after(async () => {
  await Promise.all(created.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('migrateV0', () => {
  it('maps every original setting and explains the changed ones', () => {
    const v0 = ProjectFileV0.parse(parse(ORIGINAL_V0_FILE));
    const { file, notes } = migrateV0(v0);
    assert.deepEqual(file.master, { address: '192.168.1.1', interface: 'eth0', netmask: '255.255.255.0' });
    assert.equal(file.dhcp?.mode, 'full');
    assert.equal(file.tracker?.port, 10001);
    assert.equal(file.linger?.min_seconds, 30);
    assert.ok(notes.some((note) => note.from.startsWith('boottorrent.seed_time')));
  });

  it('carries a negative seed_time as 0 (the original: load as soon as possible)', () => {
    const v0 = ProjectFileV0.parse(parse(ORIGINAL_V0_FILE.replace('seed_time: 30', 'seed_time: -5')));
    assert.equal(migrateV0(v0).file.linger?.min_seconds, 0);
  });
});

describe('renderProjectFile', () => {
  it('renders the defaults as a file that loads back to the same configuration', async () => {
    const config = defaultProjectFile();
    const text = renderProjectFile(config);
    const dir = await makeProject({ 'Boottorrent.yaml': text, ...osFiles('testos') });
    created.push(dir);
    const { project, problems } = await loadProject(dir);
    assert.deepEqual(problems, []);
    assert.deepEqual(project?.config, config);
  });

  it('comments every key', () => {
    const lines = renderProjectFile(defaultProjectFile()).split('\n');
    lines.forEach((line, index) => {
      if (/^\s*[a-z_]+:/.test(line) && !/^version:/.test(line)) {
        assert.match(lines[index - 1] ?? '', /^\s*#|^\s*[a-z_]+:$|^$/, `key without a comment above it: ${line}`);
      }
    });
  });

  it('turns an original project into a version-1 file that loads with the same meaning', async () => {
    const dir = await makeProject({ 'Boottorrent.yaml': ORIGINAL_V0_FILE, ...osFiles('testos') });
    created.push(dir);
    const original = await loadProject(dir);
    assert.ok(original.project);
    await writeFile(join(dir, 'Boottorrent.yaml'), renderProjectFile(original.project.config));
    const migrated = await loadProject(dir);
    assert.deepEqual(migrated.problems, []);
    assert.equal(migrated.project?.sourceVersion, 1);
    assert.deepEqual(migrated.project?.config, original.project.config);
  });

  it('keeps pinned nodes when rendering', async () => {
    const config = defaultProjectFile();
    config.nodes = { '52:54:00:00:00:01': { os: 'testos', address: null, hostname: 'n1' } };
    const dir = await makeProject({ 'Boottorrent.yaml': renderProjectFile(config), ...osFiles('testos') });
    created.push(dir);
    const { project } = await loadProject(dir);
    assert.deepEqual(project?.nodes, [{ mac: '52:54:00:00:00:01', os: 'testos', address: null, hostname: 'n1' }]);
  });
});
