import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OsManifest, type DesiredState, type OsDesired } from '@boottorrent/contracts';
import { buildManifest, manifestEnv, torrentMismatch } from '../src/manifest.js';
import { toShellEnv } from '../src/shell-env.js';
import { createTestProject, desiredOf, torrentFor, type TestProject } from './helpers/fixtures.js';

/** Runs busybox sh (the phase-1 agent's shell): sources the env text, then prints each named variable on a line. */
function sourced(env: string, names: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'bt-env-'));
  try {
    writeFileSync(join(dir, 'x.env'), env);
    const script = `. ./x.env && ${names.map((name) => `printf '%s\\n--\\n' "$${name}"`).join(' && ')}`;
    return execFileSync('busybox', ['sh', '-c', script], { cwd: dir }).toString().split('\n--\n').slice(0, names.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('toShellEnv', () => {
  test('any value survives sourcing in busybox sh unchanged, and nothing in it runs', () => {
    const hostile = ["it's", '$(touch /tmp/bt-pwned)', '`id`', 'a\nb', "'; rm -rf / #", '\\n $HOME ${PATH}', ''];
    const record = Object.fromEntries(hostile.map((value, index) => [`BT_V${index}`, value]));
    const out = sourced(toShellEnv(record), Object.keys(record));
    assert.deepEqual(out, hostile);
  });

  test('lists, booleans, numbers and null', () => {
    const env = toShellEnv({ BT_LIST: ['a', 'b c'], BT_YES: true, BT_NO: false, BT_N: 1.5, BT_NONE: null, BT_EMPTY: [] });
    assert.equal(env, "BT_LIST='a,b c'\nBT_YES='1'\nBT_NO='0'\nBT_N='1.5'\nBT_NONE=''\nBT_EMPTY=''\n");
    assert.deepEqual(sourced(env, ['BT_LIST', 'BT_YES', 'BT_NONE']), ['a,b c', '1', '']);
  });

  test('refuses names that are not shell variables (a bug, not input)', () => {
    assert.throws(() => toShellEnv({ 'BT-X': 'a' }));
    assert.throws(() => toShellEnv({ 'X;rm': 'a' }));
  });
});

describe('buildManifest', () => {
  let project: TestProject;
  let desired: DesiredState;
  let debian: OsDesired;
  before(async () => {
    project = await createTestProject({});
    desired = await desiredOf(project.dir);
    debian = desired.oses.oses.find((os) => os.name === 'debian')!;
  });
  after(() => project.remove());

  test('combines the OS, its torrent, the network and the policy into a valid OsManifest', () => {
    const torrent = torrentFor(debian, desired);
    const result = buildManifest(debian, torrent, desired.network, desired.policy);
    assert.ok(result.ok);
    assert.ok(OsManifest.safeParse(result.manifest).success);
    assert.equal(result.manifest.name, 'debian');
    assert.deepEqual(result.manifest.files, [
      { path: 'initrd.img', length: 8192 },
      { path: 'vmlinuz', length: 4096 },
    ]);
    assert.equal(result.manifest.cmdline, 'console=ttyS0 quiet');
    assert.deepEqual(result.manifest.linger, { untilSwarmDone: true, minSeconds: 5, maxSeconds: 90, maxRatio: 1.5 });
    assert.equal(result.manifest.client.listenPort, 6881);
  });

  test('env: every variable docs/boot-flow.md names, in its order', () => {
    const result = buildManifest(debian, torrentFor(debian, desired), desired.network, desired.policy);
    assert.ok(result.ok);
    assert.deepEqual(Object.keys(manifestEnv(result.manifest)), [
      'BT_OS', 'BT_DISPNAME', 'BT_INFOHASH', 'BT_TORRENT_URL', 'BT_TRACKERS', 'BT_WEBSEEDS', 'BT_NAME', 'BT_FILE_COUNT', 'BT_LENGTH',
      'BT_PIECE_LENGTH', 'BT_KERNEL', 'BT_INITRD', 'BT_CMDLINE', 'BT_LINGER_UNTIL_DONE', 'BT_LINGER_MIN', 'BT_LINGER_MAX',
      'BT_LINGER_RATIO', 'BT_PEX', 'BT_LPD', 'BT_LOG_LEVEL', 'BT_LISTEN_PORT', 'BT_WEBSEED_AFTER', 'BT_API',
    ]);
    const values = sourced(toShellEnv(manifestEnv(result.manifest)), ['BT_FILE_COUNT', 'BT_LENGTH', 'BT_INITRD', 'BT_PEX', 'BT_LPD']);
    assert.deepEqual(values, ['2', '12288', 'initrd.img', '1', '0']);
  });

  test('no web seeds when seeder.web_seed is off', () => {
    const network = { ...desired.network, seeder: { ...desired.network.seeder, webSeed: false } };
    const result = buildManifest(debian, torrentFor(debian, desired), network, desired.policy);
    assert.ok(result.ok);
    assert.deepEqual(result.manifest.webSeeds, []);
  });

  test('not ready: no torrent yet, or one made from other files', () => {
    assert.deepEqual(buildManifest(debian, null, desired.network, desired.policy), { ok: false, why: 'no seeder has published it yet' });
    const stale = torrentFor({ ...debian, files: debian.files.map((file) => ({ ...file, length: file.length + 1 })) }, desired);
    const result = buildManifest(debian, stale, desired.network, desired.policy);
    assert.equal(result.ok, false);
    assert.match(torrentMismatch(debian, stale) ?? '', /still hashing/);
    const extra = { ...torrentFor(debian, desired), files: [...debian.files, { path: 'more', length: 1, mtimeMs: 0 }] };
    assert.notEqual(torrentMismatch(debian, extra), null);
    assert.notEqual(torrentMismatch(debian, { ...torrentFor(debian, desired), os: 'alpine' }), null);
  });
});
