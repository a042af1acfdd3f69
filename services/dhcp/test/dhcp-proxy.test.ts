import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runPxeClient, waitFor, type Netns } from '@boottorrent/testing';
import { BIOS_VENDOR_CLASS, proxyDesired, UEFI_VENDOR_CLASS } from './fixtures.js';
import { configureAddress, find, startDhcpLab, tftpGet, udhcpc, type DhcpLab } from './lab.js';

/*
 * Proxy mode beside an existing DHCP server (busybox udhcpd on 10.77.0.2, handing out
 * .100-.120). PXE clients collect both offers, as firmware does: the address comes from
 * udhcpd, the boot information from our dnsmasq. busybox udhcpc cannot play that part (it
 * takes the first offer, usually our address-less proxy offer), so a PXE client from
 * packages/testing does; udhcpc shows that ordinary clients are left to the other server.
 */

const URL = 'http://10.77.0.1:8080/boot.ipxe';
const OTHER_SERVER = '10.77.0.2';

function inOtherServersPool(ip: string | undefined): boolean {
  const octet = Number(ip?.split('.')[3]);
  return ip?.startsWith('10.77.0.') === true && octet >= 100 && octet <= 120;
}

describe('dhcp service, proxy mode beside udhcpd (namespaces)', { timeout: 120_000 }, () => {
  let lab: DhcpLab;
  let router: Netns;

  before(async () => {
    lab = await startDhcpLab();
    router = await lab.lab.attach({ hostOctet: 2, nsPrefix: 'btrouter' });
    const conf = join(lab.workDir, 'udhcpd.conf');
    await writeFile(join(lab.workDir, 'udhcpd.leases'), '');
    await writeFile(
      conf,
      [
        'start 10.77.0.100',
        'end 10.77.0.120',
        'interface eth0',
        `lease_file ${join(lab.workDir, 'udhcpd.leases')}`,
        `pidfile ${join(lab.workDir, 'udhcpd.pid')}`,
        'option subnet 255.255.255.0',
        'option lease 600',
        '',
      ].join('\n'),
    );
    // -a 100: a short ARP probe before each offer, so the test does not wait 2 s per client.
    const udhcpd = router.spawn('udhcpd', 'busybox', ['udhcpd', '-f', '-a', '100', conf]);
    await udhcpd.waitForLine(/udhcpd: started/);
    await lab.putDesired(proxyDesired());
    await waitFor(() => lab.service.readiness().ready, { what: 'the service to be ready' });
  });

  after(async () => {
    await lab?.dispose();
  });

  it('runs dnsmasq as a proxy: no address pool of its own', async () => {
    assert.match(lab.service.readiness().detail, /dnsmasq proxy on br0/);
    const config = await readFile(join(lab.stateDir, 'dnsmasq.conf'), 'utf8');
    assert.match(config, /^dhcp-range=10\.77\.0\.0,proxy,255\.255\.255\.0$/m);
  });

  it('BIOS PXE: address from the other server, undionly.kpxe from our boot server, fetched over TFTP', async () => {
    const node = await lab.client('52:54:00:b8:00:01');
    const result = await runPxeClient(node, { arch: 0, vendorClass: BIOS_VENDOR_CLASS });
    assert.equal(result.lease?.server, OTHER_SERVER);
    assert.ok(inOtherServersPool(result.lease?.ip), `address ${result.lease?.ip} from udhcpd's pool`);
    const ours = result.offers.find((offer) => offer.server === '10.77.0.1');
    assert.equal(ours?.yiaddr, '0.0.0.0', 'our offer carries no address');
    assert.deepEqual(result.boot, { file: 'undionly.kpxe', server: '10.77.0.1', via: 'boot-server' });

    const fetched = await tftpGet(node, lab.workDir, 'undionly.kpxe');
    assert.ok(fetched.equals(await readFile('/usr/lib/ipxe/undionly.kpxe')));

    const offer = await find(lab.observations, (o) => o.mac === '52:54:00:b8:00:01' && o.kind === 'offer', 'the proxy offer event');
    assert.deepEqual([offer.mode, offer.clientArch, offer.ip], ['proxy', 0, null]);
    const answer = await find(lab.observations, (o) => o.mac === '52:54:00:b8:00:01' && o.kind === 'ack', 'the boot server event');
    assert.deepEqual([answer.ip, answer.bootFile], [result.lease?.ip, 'undionly.kpxe']);
    await find(lab.observations, (o) => o.mac === '52:54:00:b8:00:01' && o.kind === 'tftp', 'the tftp event');
  });

  for (const arch of [7, 9]) {
    it(`UEFI PXE (client-arch ${arch}): address from the other server, ipxe.efi via port 4011, fetched over TFTP`, async () => {
      const node = await lab.client(`52:54:00:b8:00:0${arch}`);
      const result = await runPxeClient(node, { arch, vendorClass: UEFI_VENDOR_CLASS.replace('00007', `0000${arch}`) });
      assert.equal(result.lease?.server, OTHER_SERVER);
      assert.ok(inOtherServersPool(result.lease?.ip));
      assert.deepEqual(result.boot, { file: 'ipxe.efi', server: '10.77.0.1', via: 'proxy-4011' });
      const fetched = await tftpGet(node, lab.workDir, 'ipxe.efi');
      assert.ok(fetched.equals(await readFile('/usr/lib/ipxe/ipxe.efi')));
    });
  }

  for (const arch of [0, 7]) {
    it(`iPXE (client-arch ${arch}, option 175 + user class): the proxy offer itself carries the boot script URL`, async () => {
      const mac = `52:54:00:b8:01:7${arch}`;
      const node = await lab.client(mac);
      const vendorClass = arch === 0 ? BIOS_VENDOR_CLASS : UEFI_VENDOR_CLASS;
      const result = await runPxeClient(node, { arch, vendorClass, ipxe: true });
      assert.equal(result.lease?.server, OTHER_SERVER);
      assert.ok(inOtherServersPool(result.lease?.ip));
      assert.deepEqual(result.boot, { file: URL, server: '10.77.0.1', via: 'proxy-offer' });
      const offer = await find(lab.observations, (o) => o.mac === mac && o.kind === 'offer', 'the proxy offer event');
      assert.deepEqual([offer.ipxe, offer.bootFile, offer.clientArch], [true, URL, arch]);
    });
  }

  it('an ordinary DHCP client (not PXE, even sending option 175) is left to the other server', async () => {
    const node = await lab.client('52:54:00:b8:00:a1');
    const lease = await udhcpc(node, lab.workDir, ['-x', '0x5d:0000', '-x', '0xaf:01']);
    assert.equal(lease.serverid, OTHER_SERVER);
    assert.ok(inOtherServersPool(lease.ip));
    assert.equal(lease.boot_file, undefined);
    await configureAddress(node, lease.ip ?? '');
    await new Promise((resolve) => setTimeout(resolve, 300)); // longer than the parser's flush delay
    assert.ok(!lab.observations.some((o) => o.mac === '52:54:00:b8:00:a1'), 'dnsmasq did not answer it');
  });

  it('switching the UEFI binary to snponly.efi restarts dnsmasq and UEFI PXE gets it', async () => {
    await lab.putDesired(proxyDesired({ uefiBootFile: 'snponly.efi' }));
    await waitFor(() => lab.service.readiness().ready, { what: 'ready again' });
    const node = await lab.client('52:54:00:b8:00:e7');
    const result = await runPxeClient(node, { arch: 7, vendorClass: UEFI_VENDOR_CLASS });
    assert.equal(result.boot?.file, 'snponly.efi');
  });
});
