import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@boottorrent/runtime';
import { prepareTftpRoot, tftpOwner } from '../src/tftp-root.js';

/* The TFTP root from Debian's real ipxe package (/usr/lib/ipxe). */

const logger = createLogger('dhcp', { level: 'silent' });

describe('TFTP root', () => {
  let work = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'bt-dhcp-tftp-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('holds exactly the three iPXE binaries, byte-identical, world-readable, owned by dnsmasq\'s user', async () => {
    const tftpRoot = join(work, 'state', 'tftp');
    await mkdir(join(tftpRoot, 'stray-dir'), { recursive: true });
    await writeFile(join(tftpRoot, 'pxelinux.cfg'), 'left over');
    const owner = await tftpOwner('nobody');
    await prepareTftpRoot({ ipxeDir: '/usr/lib/ipxe', tftpRoot, owner, logger });

    assert.deepEqual((await readdir(tftpRoot)).sort(), ['ipxe.efi', 'snponly.efi', 'undionly.kpxe']);
    for (const name of ['ipxe.efi', 'snponly.efi', 'undionly.kpxe']) {
      const file = join(tftpRoot, name);
      assert.ok((await readFile(file)).equals(await readFile(join('/usr/lib/ipxe', name))), `${name} copied (symlink followed)`);
      const info = await stat(file);
      assert.ok(info.isFile());
      assert.equal(info.mode & 0o777, 0o644);
      if (owner) assert.equal(info.uid, owner.uid);
    }
    assert.equal((await stat(tftpRoot)).mode & 0o777, 0o755);
  });

  it('is idempotent (prepared again over itself)', async () => {
    const tftpRoot = join(work, 'again', 'tftp');
    await prepareTftpRoot({ ipxeDir: '/usr/lib/ipxe', tftpRoot, owner: null, logger });
    await prepareTftpRoot({ ipxeDir: '/usr/lib/ipxe', tftpRoot, owner: null, logger });
    assert.deepEqual((await readdir(tftpRoot)).sort(), ['ipxe.efi', 'snponly.efi', 'undionly.kpxe']);
  });

  it('names the missing binaries and the package to install', async () => {
    const empty = join(work, 'no-ipxe');
    await mkdir(empty);
    await assert.rejects(prepareTftpRoot({ ipxeDir: empty, tftpRoot: join(work, 'x', 'tftp'), owner: null, logger }), (err: { code?: string; message?: string; fix?: string }) => {
      assert.equal(err.code, 'BT_DHCP_IPXE_MISSING');
      assert.match(err.message ?? '', /undionly\.kpxe, ipxe\.efi, snponly\.efi/);
      assert.match(err.fix ?? '', /apt-get install ipxe/);
      return true;
    });
  });

  it('refuses a dnsmasq user that does not exist (tests run as root)', async () => {
    await assert.rejects(tftpOwner('bt-no-such-user'), { code: 'BT_DHCP_UNKNOWN_USER' });
  });
});
