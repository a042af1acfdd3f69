import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DhcpDesired } from '@boottorrent/contracts';
import { renderDnsmasqConfig } from '../src/render.js';
import { dnsmasqTest, fullDesired, optionLines, proxyDesired, testPaths } from './fixtures.js';

function render(desired: DhcpDesired): string[] {
  const text = renderDnsmasqConfig(desired, testPaths);
  assert.ok(text !== null);
  return optionLines(text);
}

describe('renderDnsmasqConfig: every mode', () => {
  for (const desired of [fullDesired(), proxyDesired()]) {
    it(`${desired.mode}: no DNS, listens only on the boot interface, logs DHCP to stderr, leases in the state dir`, () => {
      const lines = render(desired);
      for (const line of ['port=0', 'bind-interfaces', 'interface=br0', 'except-interface=lo', 'log-facility=-', 'log-dhcp', 'pid-file=', `dhcp-leasefile=${testPaths.leaseFile}`, 'user=nobody']) {
        assert.ok(lines.includes(line), `missing ${line}`);
      }
      assert.equal(lines.filter((line) => line.startsWith('interface=')).length, 1);
    });

    it(`${desired.mode}: TFTP confined to the root holding the iPXE binaries`, () => {
      const lines = render(desired);
      assert.ok(lines.includes('enable-tftp'));
      assert.ok(lines.includes(`tftp-root=${testPaths.tftpRoot}`));
      assert.ok(lines.includes('tftp-secure'));
    });

    it(`${desired.mode}: client arch 0, 7 and 9 tagged, iPXE tagged by option 175 and user class`, () => {
      const lines = render(desired);
      for (const arch of [0, 7, 9]) assert.ok(lines.includes(`dhcp-match=set:arch${arch},option:client-arch,${arch}`));
      assert.ok(lines.includes('dhcp-match=set:ipxe,175'));
      assert.ok(lines.includes('dhcp-userclass=set:ipxe,iPXE'));
    });

    it(`${desired.mode}: iPXE clients get the boot script URL, never iPXE again`, () => {
      const lines = render(desired);
      assert.ok(lines.includes('dhcp-boot=tag:ipxe,http://10.77.0.1:8080/boot.ipxe,,10.77.0.1'), 'iPXE needs a next-server to accept a proxy answer');
      for (const line of lines.filter((l) => /\.(kpxe|efi)\b/.test(l))) assert.match(line, /tag:!ipxe/);
      assert.ok(!lines.some((line) => line.includes('${')), 'no iPXE variables in dnsmasq config');
    });
  }

  it('renders nothing when DHCP is off', () => {
    assert.equal(renderDnsmasqConfig(fullDesired({ mode: 'off' }), testPaths), null);
  });

  it('is deterministic', () => {
    assert.equal(renderDnsmasqConfig(proxyDesired(), testPaths), renderDnsmasqConfig(proxyDesired(), testPaths));
  });

  it('leaves TFTP out when dhcp.tftp is false', () => {
    const lines = render(fullDesired({ tftp: false }));
    assert.ok(!lines.some((line) => line.startsWith('enable-tftp') || line.startsWith('tftp-')));
  });

  it('names the configured user', () => {
    assert.ok(render(fullDesired({ user: 'dnsmasq' })).includes('user=dnsmasq'));
  });
});

describe('renderDnsmasqConfig: full mode', () => {
  it('hands out the configured range with netmask and lease time, without the blocking ping check', () => {
    const lines = render(fullDesired());
    assert.ok(lines.includes('dhcp-range=10.77.0.50,10.77.0.150,255.255.255.0,12h'));
    assert.ok(lines.includes('no-ping'));
  });

  it('BIOS gets undionly.kpxe, UEFI (7 and 9) gets ipxe.efi, from the boot server address', () => {
    const lines = render(fullDesired());
    assert.ok(lines.includes('dhcp-boot=tag:!ipxe,tag:arch0,undionly.kpxe,,10.77.0.1'));
    assert.ok(lines.includes('dhcp-boot=tag:!ipxe,tag:arch7,ipxe.efi,,10.77.0.1'));
    assert.ok(lines.includes('dhcp-boot=tag:!ipxe,tag:arch9,ipxe.efi,,10.77.0.1'));
    assert.ok(!lines.some((line) => line.startsWith('pxe-')), 'no PXE menu in full mode');
  });

  it('UEFI gets snponly.efi when configured', () => {
    const lines = render(fullDesired({ uefiBootFile: 'snponly.efi' }));
    assert.ok(lines.includes('dhcp-boot=tag:!ipxe,tag:arch7,snponly.efi,,10.77.0.1'));
    assert.ok(lines.includes('dhcp-boot=tag:!ipxe,tag:arch9,snponly.efi,,10.77.0.1'));
    assert.ok(lines.includes('dhcp-boot=tag:!ipxe,tag:arch0,undionly.kpxe,,10.77.0.1'));
  });

  it('writes a host entry per pinned node', () => {
    const lines = render(
      fullDesired({
        hosts: [
          { mac: '52:54:00:00:00:01', address: '10.77.0.11', hostname: 'node1' },
          { mac: '52:54:00:00:00:02', address: '10.77.0.12', hostname: null },
          { mac: '52:54:00:00:00:03', address: null, hostname: 'node3' },
          { mac: '52:54:00:00:00:04', address: null, hostname: null },
        ],
      }),
    );
    assert.deepEqual(
      lines.filter((line) => line.startsWith('dhcp-host=')),
      ['dhcp-host=52:54:00:00:00:01,10.77.0.11,node1', 'dhcp-host=52:54:00:00:00:02,10.77.0.12', 'dhcp-host=52:54:00:00:00:03,node3'],
    );
  });
});

describe('renderDnsmasqConfig: proxy mode', () => {
  it('adds boot information to the existing server\'s subnet, hands out no addresses', () => {
    const lines = render(proxyDesired({ hosts: [{ mac: '52:54:00:00:00:01', address: '10.77.0.11', hostname: null }] }));
    assert.ok(lines.includes('dhcp-range=10.77.0.0,proxy,255.255.255.0'));
    assert.equal(lines.filter((line) => line.startsWith('dhcp-range=')).length, 1);
    assert.ok(!lines.some((line) => line.startsWith('dhcp-host=')));
  });

  it('offers a PXE menu booted at once: x86PC (0) -> undionly.kpxe, UEFI (7, 9) -> the UEFI binary', () => {
    const lines = render(proxyDesired({ uefiBootFile: 'snponly.efi' }));
    assert.ok(lines.includes('pxe-prompt="BootTorrent",0'));
    assert.ok(lines.includes('pxe-service=tag:!ipxe,0,"BootTorrent BIOS",undionly.kpxe,10.77.0.1'));
    assert.ok(lines.includes('pxe-service=tag:!ipxe,7,"BootTorrent UEFI",snponly.efi,10.77.0.1'));
    assert.ok(lines.includes('pxe-service=tag:!ipxe,9,"BootTorrent UEFI",snponly.efi,10.77.0.1'));
  });
});

describe('renderDnsmasqConfig: refuses values that would break the configuration', () => {
  const cases: [string, DhcpDesired][] = [
    ['an interface with a newline', fullDesired({ interface: 'br0\ndhcp-range=1.2.3.4,proxy' })],
    ['an interface with a space', fullDesired({ interface: 'br 0' })],
    ['a boot URL with a comma', fullDesired({ bootScriptUrl: 'http://10.77.0.1:8080/boot.ipxe?a=1,2' })],
    ['a boot URL longer than the BOOTP file field', fullDesired({ bootScriptUrl: `http://10.77.0.1:8080/${'x'.repeat(120)}` })],
    ['a lease time with a comma', fullDesired({ range: { start: '10.77.0.50', end: '10.77.0.150', leaseTime: '12h,proxy' } })],
    ['a hostname with a dot', fullDesired({ hosts: [{ mac: '52:54:00:00:00:01', address: null, hostname: 'a.b' }] })],
    ['a user with a space', fullDesired({ user: 'no body' })],
    ['full mode without a range', fullDesired({ range: null })],
    ['proxy mode without a network', proxyDesired({ proxyNetwork: null })],
  ];
  for (const [what, desired] of cases) {
    it(`throws BT_DHCP_INVALID_DESIRED for ${what}`, () => {
      assert.throws(() => renderDnsmasqConfig(desired, testPaths), { code: 'BT_DHCP_INVALID_DESIRED' });
    });
  }

  it('refuses a relative state path', () => {
    assert.throws(() => renderDnsmasqConfig(fullDesired(), { ...testPaths, leaseFile: 'leases' }), { code: 'BT_DHCP_INVALID_DESIRED' });
  });
});

describe('dnsmasq --test on every rendered variant (real dnsmasq)', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bt-dhcp-render-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const hosts = [
    { mac: '52:54:00:00:00:01', address: '10.77.0.11', hostname: 'node1' },
    { mac: '52:54:00:00:00:03', address: null, hostname: 'node3' },
  ];
  const variants: DhcpDesired[] = [];
  for (const base of [fullDesired, proxyDesired]) {
    for (const uefiBootFile of ['ipxe.efi', 'snponly.efi'] as const) {
      for (const tftp of [true, false]) variants.push(base({ uefiBootFile, tftp, hosts, user: tftp ? null : 'dnsmasq' }));
    }
  }

  for (const [index, desired] of variants.entries()) {
    it(`accepts ${desired.mode} / ${desired.uefiBootFile} / tftp ${desired.tftp}`, async () => {
      const file = join(dir, `variant-${index}.conf`);
      await writeFile(file, renderDnsmasqConfig(desired, testPaths) ?? '');
      assert.deepEqual(dnsmasqTest(file), { status: 0, output: 'dnsmasq: syntax check OK.' });
    });
  }

  it('rejects what dnsmasq does not understand (a lease time "forever"): the check has teeth', async () => {
    const file = join(dir, 'forever.conf');
    await writeFile(file, renderDnsmasqConfig(fullDesired({ range: { start: '10.77.0.50', end: '10.77.0.150', leaseTime: 'forever' } }), testPaths) ?? '');
    const result = dnsmasqTest(file);
    assert.notEqual(result.status, 0);
    assert.match(result.output, /bad dhcp-range/);
  });
});
