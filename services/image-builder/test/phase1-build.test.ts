import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '@boottorrent/testing';
import { readManifest, sha256File, verifyArtifacts, type Phase1Manifest } from '../src/artifacts.js';
import { REPO_ROOT } from '../src/config.js';
import { ensurePhase1, recipeHash, unpackInitrd } from './helpers/phase1.js';

/*
 * images/phase1/build.sh's output: kernel + initrd + manifest within the size budget, an
 * initrd holding what the agent needs (static binaries: no loader, no libraries), and the
 * same digests when `boottorrent build phase1` builds it again from the same inputs.
 */

const MiB = 1024 * 1024;
/** Every node pulls kernel + initrd from the master: the budget for the cloud flavour. */
const BUDGET = 20 * MiB;
const CLI = join(REPO_ROOT, 'packages', 'cli', 'dist', 'src', 'main.js');

const PT_DYNAMIC = 2;
const PT_INTERP = 3;

/** The p_type of every program header of a 64-bit little-endian ELF file. */
function programHeaderTypes(elf: Buffer): number[] {
  assert.equal(elf.toString('latin1', 1, 4), 'ELF');
  const offset = Number(elf.readBigUInt64LE(0x20));
  const size = elf.readUInt16LE(0x36);
  const count = elf.readUInt16LE(0x38);
  return Array.from({ length: count }, (_, i) => elf.readUInt32LE(offset + i * size));
}

describe('phase-1 image build', { timeout: 1_800_000 }, () => {
  let dir: string;
  let manifest: Phase1Manifest;
  let root: string;

  before(async () => {
    ({ dir, manifest } = await ensurePhase1());
    root = await unpackInitrd(join(dir, 'initrd'));
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('writes vmlinuz, initrd and a manifest whose sizes and sha256 match, within 20 MiB', async () => {
    await verifyArtifacts(dir, manifest);
    assert.equal(manifest.flavour, 'cloud');
    assert.match(manifest.kernelVersion, /^6\.1\.0-\d+-cloud-amd64$/);
    assert.equal(manifest.recipeHash, await recipeHash());
    for (const name of [`linux-image-${manifest.kernelVersion}`, 'busybox-static', 'aria2 (source)', 'kexec-tools (source)']) {
      assert.ok(manifest.packages[name], `manifest names the version of ${name}`);
    }
    const total = manifest.files.reduce((sum, file) => sum + file.size, 0);
    assert.ok(total <= BUDGET, `kernel + initrd = ${(total / MiB).toFixed(1)} MiB, budget 20 MiB`);
    const initrd = await readFile(join(dir, 'initrd'));
    assert.deepEqual([...initrd.subarray(0, 6)], [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz-compressed');
  });

  it('holds the agent, busybox, a static aria2c with BitTorrent and a static kexec', async () => {
    for (const path of ['init', 'usr/bin/bt-agent', 'usr/lib/bt/udhcpc.script', 'bin/busybox', 'bin/sh', 'sbin/modprobe', 'usr/bin/wget', 'sbin/udhcpc']) {
      assert.ok(((await stat(join(root, path))).mode & 0o111) !== 0, `${path} is executable`);
    }
    for (const lib of ['common', 'http', 'report', 'net', 'manifest', 'aria2', 'download', 'boot']) await access(join(root, 'usr/lib/bt', `${lib}.sh`));
    for (const binary of ['usr/bin/aria2c', 'usr/sbin/kexec', 'bin/busybox']) {
      assert.deepEqual(programHeaderTypes(await readFile(join(root, binary))).filter((type) => type === PT_INTERP || type === PT_DYNAMIC), [], `${binary} is static`);
    }
    assert.equal(manifest.contents.aria2c, (await stat(join(root, 'usr/bin/aria2c'))).size);
    // They run as they are, with an empty environment.
    const aria2 = await run(join(root, 'usr/bin/aria2c'), ['--version'], { env: {} });
    assert.match(aria2, /Enabled Features: .*BitTorrent/);
    assert.match(await run(join(root, 'usr/sbin/kexec'), ['--version'], { env: {} }), /kexec-tools 2\./);
  });

  it('carries the NIC modules with their dependencies and a modules.dep busybox modprobe reads', async () => {
    const modules = join(root, 'lib/modules', manifest.kernelVersion);
    const dep = await readFile(join(modules, 'modules.dep'), 'utf8');
    for (const module of ['virtio_net', 'virtio_pci', 'net_failover', 'failover', 'vmxnet3', 'hv_netvsc', 'ena', 'gve']) {
      assert.match(dep, new RegExp(`/${module}\\.ko:`), `${module} in modules.dep`);
    }
    for (const line of dep.trim().split('\n')) {
      for (const path of line.replace(':', '').split(' ')) await access(join(modules, path));
    }
    assert.match(await readFile(join(modules, 'modules.alias'), 'utf8'), /alias virtio:d00000001v\* virtio_net/);
  });

  it('builds the same initrd again from the same inputs (boottorrent build phase1 --force)', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bt-phase1-again-'));
    try {
      const output = await run(process.execPath, [CLI, 'build', 'phase1', '--out', out, '--force'], { timeout: 1_800_000, env: { ...process.env, NO_COLOR: '1' } });
      assert.match(output, /==> pack initrd/);
      assert.match(output, /built phase-1 cloud \(kernel 6\.1\.0-\d+-cloud-amd64\)/);
      assert.match(output, /total +\d+\.\d MiB/);
      const again = await readManifest(out);
      assert.ok(again);
      for (const name of ['vmlinuz', 'initrd']) {
        assert.equal(await sha256File(join(out, name)), await sha256File(join(dir, name)), `${name} is bit for bit the same`);
      }
      assert.deepEqual(again.files, manifest.files);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
