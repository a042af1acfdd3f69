import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { initProject, loadProject, toDesiredState } from '@boottorrent/project';
import { renderBootScript } from '@boottorrent/service-config/render';

/* `boottorrent render ipxe` as a user runs it: the same script the boot API serves. */

const cli = fileURLToPath(new URL('../src/main.js', import.meta.url));

function boottorrent(args: string[], env: Record<string, string> = {}) {
  const { BT_PHASE1_KERNEL_ARGS: _ignored, ...inherited } = process.env;
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...inherited, NO_COLOR: '1', ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function addOs(project: string, name: string, dispname: string): Promise<void> {
  const dir = join(project, 'oss', name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'vmlinuz'), 'kernel');
  await writeFile(join(dir, 'initrd.img'), 'initrd');
  await writeFile(join(dir, 'config.yaml'), `dispname: ${dispname}\nkernel: vmlinuz\ninitrd: initrd.img\n`);
}

describe('boottorrent render ipxe', () => {
  let work = '';
  let project = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'bt-cli-render-ipxe-'));
    project = await initProject(join(work, 'lab'));
    await addOs(project, 'debian', 'Debian 12');
    await addOs(project, 'alpine', 'Alpine Linux');
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('prints the menu script a new node would get, identical to the renderer the boot API uses', async () => {
    const result = boottorrent(['render', 'ipxe', '--mac', '52-54-00-00-00-01', '--project', project]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^#!ipxe\n/);
    assert.match(result.stdout, /^item bt_os_alpine Alpine Linux$/m);
    assert.match(result.stdout, /^item bt_os_debian Debian 12$/m);
    assert.match(result.stdout, /^choose --timeout 30000 --default bt_os_alpine bt_choice /m);
    const loaded = await loadProject(project);
    assert.ok(loaded.project);
    const expected = renderBootScript({ desired: toDesiredState(loaded.project), mac: '52:54:00:00:00:01', platform: 'pcbios', kernelArgs: 'console=tty0 console=ttyS0,115200n8' });
    assert.equal(result.stdout, expected);
  });

  it('--platform efi and a pinned node: straight to its OS with initrd=initrd', async () => {
    const file = join(project, 'Boottorrent.yaml');
    const yaml = await readFile(file, 'utf8');
    assert.match(yaml, /^nodes: \{\}$/m, 'the template has no nodes');
    await writeFile(file, yaml.replace(/^nodes: \{\}$/m, 'nodes:\n  "52:54:00:00:00:02":\n    os: debian'));
    const result = boottorrent(['render', 'ipxe', '--mac', '52:54:00:00:00:02', '--platform', 'efi', '--project', project], { BT_PHASE1_KERNEL_ARGS: 'console=ttyS1' });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /^menu /m);
    assert.match(result.stdout, /^kernel http:\/\/192\.168\.1\.1:8080\/phase1\/kernel bt\.api=http:\/\/192\.168\.1\.1:8080 bt\.os=debian bt\.node=52:54:00:00:00:02 initrd=initrd console=ttyS1 \|\| goto bt_failed$/m);
  });

  it('bad input exits 2 with a sentence and a fix', () => {
    const badMac = boottorrent(['render', 'ipxe', '--mac', 'nope', '--project', project]);
    assert.equal(badMac.code, 2);
    assert.match(badMac.stderr, /"nope" is not a MAC address/);
    assert.match(badMac.stderr, /fix: /);
    assert.equal(badMac.stdout, '');
    assert.equal(boottorrent(['render', 'ipxe', '--project', project]).code, 2, '--mac is required');
    assert.equal(boottorrent(['render', 'ipxe', '--mac', '52:54:00:00:00:01', '--platform', 'arm', '--project', project]).code, 2);
    assert.equal(boottorrent(['render', 'ipxe', '--mac', '52:54:00:00:00:01', '--kernel-args', 'a || reboot', '--project', project]).code, 2);
    const noProject = boottorrent(['render', 'ipxe', '--mac', '52:54:00:00:00:01', '--project', join(work, 'missing')]);
    assert.equal(noProject.code, 2);
    assert.match(noProject.stderr, /Boottorrent\.yaml/);
  });
});
