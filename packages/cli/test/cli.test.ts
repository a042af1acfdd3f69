import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ORIGINAL_V0_FILE } from '@boottorrent/testing';

const cli = fileURLToPath(new URL('../src/main.js', import.meta.url));

function boottorrent(args: string[], cwd?: string) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', INIT_CWD: cwd ?? process.cwd() } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}


async function addTestOs(project: string, name = 'testos', dispname = 'TestOS'): Promise<void> {
  await mkdir(join(project, 'oss', name), { recursive: true });
  await writeFile(join(project, 'oss', name, 'config.yaml'), `dispname: ${dispname}\nmethod: kexec\nkernel: vmlinuz\ninitrd: initramfs.img\ncmdline: break\n`);
  await writeFile(join(project, 'oss', name, 'vmlinuz'), 'kernel');
  await writeFile(join(project, 'oss', name, 'initramfs.img'), 'initrd');
}

describe('boottorrent CLI', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'bt-cli-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('init creates a commented project that check accepts once an OS is added', async () => {
    const created = boottorrent(['init', 'lab1'], work);
    assert.equal(created.code, 0, created.stderr);
    const project = join(work, 'lab1');
    const yaml = await readFile(join(project, 'Boottorrent.yaml'), 'utf8');
    assert.match(yaml, /^version: 1$/m);
    assert.match(yaml, /# Required\. IPv4 address of the master/);
    assert.ok((await stat(join(project, 'oss', 'README.md'))).isFile());

    await addTestOs(project);
    const checked = boottorrent(['check', '--project', 'lab1'], work);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /^ok /);
    assert.match(checked.stdout, /OSes\s+testos\*/);
  });

  it('init refuses a folder that is not empty, with the fix, exit 2', async () => {
    const again = boottorrent(['init', 'lab1'], work);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /error: .*lab1 is not empty\.\n\s+fix: .*--force/);
    const forced = boottorrent(['init', 'lab1', '--force', '--address', '10.9.0.1', '--interface', 'br9'], work);
    assert.equal(forced.code, 0, forced.stderr);
    const yaml = await readFile(join(work, 'lab1', 'Boottorrent.yaml'), 'utf8');
    assert.match(yaml, /address: 10\.9\.0\.1/);
    assert.match(yaml, /range: "10\.9\.0\.100,10\.9\.0\.199,12h"/);
    assert.ok((await stat(join(work, 'lab1', 'oss', 'testos', 'vmlinuz'))).isFile(), '--force leaves OS files alone');
  });

  it('check prints file:line:col problems with fixes and exits 2', async () => {
    const project = join(work, 'broken');
    boottorrent(['init', 'broken'], work);
    await addTestOs(project, 'a', 'Same');
    await addTestOs(project, 'b', 'Same');
    await rm(join(project, 'oss', 'a', 'vmlinuz'));
    const yaml = (await readFile(join(project, 'Boottorrent.yaml'), 'utf8')).replace('default_os: null', 'default_os: nope');
    await writeFile(join(project, 'Boottorrent.yaml'), yaml);
    const result = boottorrent(['check'], project);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Boottorrent\.yaml:\d+:\d+: error: default_os "nope" is not a folder under oss\/\n\s+fix: use one of: b/);
    assert.match(result.stderr, /oss\/a\/config\.yaml:3:9: error: kernel file "vmlinuz" does not exist/);
    assert.match(result.stderr, /oss\/b\/config\.yaml:1:11: error: dispname "Same" is also used by oss\/a/);
    assert.match(result.stderr, /error: .* has 3 errors\.\n\s+fix: /);
  });

  it('check --json reports problems for scripts', async () => {
    const result = boottorrent(['check', '--json', '--project', join(work, 'broken')]);
    assert.equal(result.code, 2);
    const report = JSON.parse(result.stdout) as { ok: boolean; problems: Array<{ code: string }> };
    assert.equal(report.ok, false);
    assert.equal(report.problems.length, 3);
  });

  it('loads an original-format project, and migrate writes a version-1 file that also passes', async () => {
    const project = join(work, 'original');
    await mkdir(project);
    await writeFile(join(project, 'Boottorrent.yaml'), ORIGINAL_V0_FILE);
    await addTestOs(project);
    const before = boottorrent(['check'], project);
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, /original BootTorrent format/);

    const migrated = boottorrent(['migrate'], project);
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.equal(await readFile(join(project, 'Boottorrent.yaml.v0'), 'utf8'), ORIGINAL_V0_FILE, 'the original is kept');
    const yaml = await readFile(join(project, 'Boottorrent.yaml'), 'utf8');
    assert.match(yaml, /^version: 1$/m);
    assert.match(yaml, /port: 10001/);
    assert.match(yaml, /min_seconds: 30/);

    const after = boottorrent(['check'], project);
    assert.equal(after.code, 0, after.stderr);
    assert.doesNotMatch(after.stdout, /original BootTorrent format/);
    const again = boottorrent(['migrate'], project);
    assert.match(again.stdout, /already version 1/);
  });

  it('says what to do when run outside a project', async () => {
    const result = boottorrent(['check'], work);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no Boottorrent\.yaml in .*\n\s+fix: run `boottorrent init/);
  });

  it('has --help on every command and exits 2 on unknown commands or options', async () => {
    const top = boottorrent(['--help']);
    assert.equal(top.code, 0);
    const commands = [...top.stdout.matchAll(/^\s{2}([a-z][a-z-]*)\b/gm)].map((match) => match[1]!).filter((name) => name !== 'help');
    assert.ok(commands.includes('init') && commands.includes('check') && commands.includes('migrate'), top.stdout);
    for (const command of commands) {
      const help = boottorrent([command, '--help']);
      assert.equal(help.code, 0, `${command} --help`);
      assert.match(help.stdout, /Usage: boottorrent/);
    }
    assert.equal(boottorrent(['frobnicate']).code, 2);
    assert.equal(boottorrent(['check', '--bogus']).code, 2);
  });
});

