import assert from 'node:assert/strict';
import { readFile, stat, writeFile, chown } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@boottorrent/testing';
import { configureAddress, find, startDhcpLab, tftpGet, udhcpc, type DhcpLab } from './lab.js';
import { fullDesired } from './fixtures.js';

/*
 * Full mode against the real thing: the service renders and runs dnsmasq in a lab namespace,
 * busybox udhcpc clients in their own namespaces ask as BIOS, UEFI and iPXE, busybox tftp
 * fetches the boot files, and the service's node events arrive over NATS.
 */

const URL = 'http://10.77.0.1:8080/boot.ipxe';
const OPTION_175 = ['-x', '0xaf:01'];
const USER_CLASS_IPXE = ['-x', `0x4d:${Buffer.from('iPXE').toString('hex')}`];

describe('dhcp service, full mode (dnsmasq + udhcpc + tftp in namespaces)', { timeout: 120_000 }, () => {
  let lab: DhcpLab;

  before(async () => {
    lab = await startDhcpLab();
    await lab.putDesired(
      fullDesired({ hosts: [{ mac: '52:54:00:b7:00:20', address: '10.77.0.20', hostname: 'pinned' }] }),
    );
    await waitFor(() => lab.service.readiness().ready, { what: 'the service to be ready' });
  });

  after(async () => {
    await lab?.dispose();
  });

  it('is ready and says what it serves; the lease file is in the state dir', async () => {
    const readiness = lab.service.readiness();
    assert.equal(readiness.ready, true);
    assert.match(readiness.detail, /dnsmasq full on br0, pid \d+/);
    await stat(join(lab.stateDir, 'dnsmasq.leases'));
  });

  it('listens only inside the lab namespace, on the bridge (DHCP 67, TFTP 69)', async () => {
    const pid = lab.service.status().supervisor.pid;
    const sockets = (await lab.lab.ns.exec('ss', ['-ulnpH'])).split('\n').filter((line) => line.includes(`pid=${pid},`));
    assert.ok(sockets.length > 0, 'dnsmasq has sockets in the lab namespace');
    for (const socket of sockets) {
      const local = socket.trim().split(/\s+/)[3] ?? '';
      assert.match(local, /^(0\.0\.0\.0%br0|10\.77\.0\.1):(67|69)$/, `unexpected socket ${local}`);
    }
  });

  it('BIOS (client-arch 0) gets undionly.kpxe from the master, an address from the range, and a node event', async () => {
    const node = await lab.client('52:54:00:b7:00:01');
    const lease = await udhcpc(node, lab.workDir, ['-x', '0x5d:0000']);
    assert.equal(lease.boot_file, 'undionly.kpxe');
    assert.equal(lease.siaddr, '10.77.0.1');
    assert.equal(lease.serverid, '10.77.0.1');
    const octet = Number(lease.ip?.split('.')[3]);
    assert.ok(lease.ip?.startsWith('10.77.0.') && octet >= 50 && octet <= 150, `address ${lease.ip} from the range`);

    const ack = await find(lab.observations, (o) => o.mac === '52:54:00:b7:00:01' && o.kind === 'ack', 'an ack event');
    assert.deepEqual(
      { ip: ack.ip, clientArch: ack.clientArch, bootFile: ack.bootFile, ipxe: ack.ipxe, mode: ack.mode },
      { ip: lease.ip, clientArch: 0, bootFile: 'undionly.kpxe', ipxe: false, mode: 'full' },
    );
    assert.ok(lab.observations.some((o) => o.mac === '52:54:00:b7:00:01' && o.kind === 'discover'));
    assert.ok(Math.abs(ack.at - Date.now()) < 60_000);
  });

  for (const arch of ['0007', '0009']) {
    it(`UEFI (client-arch ${Number(arch)}) gets ipxe.efi`, async () => {
      const mac = `52:54:00:b7:00:${arch === '0007' ? '07' : '09'}`;
      const node = await lab.client(mac);
      const lease = await udhcpc(node, lab.workDir, ['-x', `0x5d:${arch}`]);
      assert.equal(lease.boot_file, 'ipxe.efi');
      assert.equal(lease.siaddr, '10.77.0.1');
      const ack = await find(lab.observations, (o) => o.mac === mac && o.kind === 'ack', 'an ack event');
      assert.equal(ack.clientArch, Number(arch));
      assert.equal(ack.bootFile, 'ipxe.efi');
    });
  }

  for (const [how, args] of [
    ['option 175', OPTION_175],
    ['user class "iPXE"', USER_CLASS_IPXE],
  ] as const) {
    it(`a client already running iPXE (${how}) gets the boot script URL, not iPXE again`, async () => {
      const mac = how === 'option 175' ? '52:54:00:b7:01:75' : '52:54:00:b7:00:77';
      const node = await lab.client(mac);
      const lease = await udhcpc(node, lab.workDir, ['-x', '0x5d:0000', ...args]);
      assert.equal(lease.boot_file, URL);
      const ack = await find(lab.observations, (o) => o.mac === mac && o.kind === 'ack', 'an ack event');
      assert.equal(ack.ipxe, true);
      assert.equal(ack.bootFile, URL);
    });
  }

  it('a pinned MAC gets its pinned address', async () => {
    const node = await lab.client('52:54:00:b7:00:20');
    const lease = await udhcpc(node, lab.workDir, ['-x', '0x5d:0000']);
    assert.equal(lease.ip, '10.77.0.20');
  });

  it('a lab powering on at once: 8 clients get their leases concurrently (no 3 s ping stall per client)', async () => {
    const nodes = await Promise.all(Array.from({ length: 8 }, (_, i) => lab.client(`52:54:00:b7:02:${String(i).padStart(2, '0')}`)));
    // Each udhcpc gives up after 4 discovers 1 s apart: a queue behind ping checks makes some fail.
    const leases = await Promise.all(nodes.map((node) => udhcpc(node, lab.workDir, ['-x', '0x5d:0000'])));
    assert.equal(new Set(leases.map((lease) => lease.ip)).size, 8, 'eight distinct addresses');
    assert.ok(leases.every((lease) => lease.boot_file === 'undionly.kpxe'));
  });

  it('TFTP serves byte-identical copies of Debian\'s iPXE binaries, and reports the transfer by MAC', async () => {
    const mac = '52:54:00:b7:00:f1';
    const node = await lab.client(mac);
    const lease = await udhcpc(node, lab.workDir, ['-x', '0x5d:0000']);
    await configureAddress(node, lease.ip ?? '');
    for (const file of ['undionly.kpxe', 'ipxe.efi', 'snponly.efi']) {
      const fetched = await tftpGet(node, lab.workDir, file);
      assert.ok(fetched.equals(await readFile(join('/usr/lib/ipxe', file))), `${file} differs from Debian's`);
    }
    const sent = await find(lab.observations, (o) => o.mac === mac && o.kind === 'tftp' && o.bootFile === 'undionly.kpxe', 'a tftp event');
    assert.equal(sent.ip, lease.ip);
  });

  it('TFTP never serves outside its root', async () => {
    // A world-readable file owned by dnsmasq's user right beside the root: only the ".." rule stops it.
    const secret = join(lab.stateDir, 'secret.txt');
    await writeFile(secret, 'not for nodes\n', { mode: 0o644 });
    await chown(secret, 65534, 65534);
    const node = await lab.client('52:54:00:b7:00:f2');
    const lease = await udhcpc(node, lab.workDir, ['-x', '0x5d:0000']);
    await configureAddress(node, lease.ip ?? '');
    for (const remote of ['../secret.txt', `${lab.stateDir}/secret.txt`, '/etc/passwd']) {
      await assert.rejects(tftpGet(node, lab.workDir, remote), /server error/, `${remote} must not be served`);
    }
  });

  it('a desired-state change restarts dnsmasq with the new configuration (snponly.efi for UEFI)', async () => {
    const before = lab.service.status().supervisor.pid;
    await lab.putDesired(fullDesired({ uefiBootFile: 'snponly.efi' }));
    await waitFor(() => lab.service.readiness().ready, { what: 'ready again' });
    assert.notEqual(lab.service.status().supervisor.pid, before, 'a new dnsmasq process');
    const node = await lab.client('52:54:00:b7:00:e7');
    const lease = await udhcpc(node, lab.workDir, ['-x', '0x5d:0007']);
    assert.equal(lease.boot_file, 'snponly.efi');
    const config = await readFile(join(lab.stateDir, 'dnsmasq.conf'), 'utf8');
    assert.match(config, /tag:arch7,snponly\.efi/);
  });

  it('the same desired state published again does not restart dnsmasq', async () => {
    const before = lab.service.status().supervisor.pid;
    await lab.putDesired(fullDesired({ uefiBootFile: 'snponly.efi' }));
    assert.equal(lab.service.status().supervisor.pid, before);
  });
});
