import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DhcpObservation } from '@boottorrent/contracts';
import { DnsmasqLogParser, type ServingMode } from '../src/log-parser.js';

/* Lines as dnsmasq 2.90 prints them with log-dhcp and log-facility=- (captured in a lab netns). */

const MAC = 'ae:07:92:28:29:c4';

const fullBiosExchange = `
dnsmasq-dhcp[21835]: 1517765452 available DHCP range: 10.77.0.50 -- 10.77.0.150
dnsmasq-dhcp[21835]: 1517765452 vendor class: udhcp 1.35.0
dnsmasq-dhcp[21835]: 1517765452 DHCPDISCOVER(br0) ${MAC} 
dnsmasq-dhcp[21835]: 1517765452 tags: arch0, br0
dnsmasq-dhcp[21835]: 1517765452 DHCPOFFER(br0) 10.77.0.145 ${MAC} 
dnsmasq-dhcp[21835]: 1517765452 requested options: 1:netmask, 3:router, 6:dns-server, 12:hostname, 
dnsmasq-dhcp[21835]: 1517765452 bootfile name: undionly.kpxe
dnsmasq-dhcp[21835]: 1517765452 next server: 10.77.0.1
dnsmasq-dhcp[21835]: 1517765452 sent size:  1 option: 53 message-type  2
dnsmasq-dhcp[21835]: 1517765452 sent size:  4 option: 54 server-identifier  10.77.0.1
dnsmasq-dhcp[21835]: 1517765452 available DHCP range: 10.77.0.50 -- 10.77.0.150
dnsmasq-dhcp[21835]: 1517765452 vendor class: udhcp 1.35.0
dnsmasq-dhcp[21835]: 1517765452 client provides name: node7
dnsmasq-dhcp[21835]: 1517765452 DHCPREQUEST(br0) 10.77.0.145 ${MAC} 
dnsmasq-dhcp[21835]: 1517765452 tags: arch0, br0
dnsmasq-dhcp[21835]: 1517765452 DHCPACK(br0) 10.77.0.145 ${MAC} node7
dnsmasq-dhcp[21835]: 1517765452 bootfile name: undionly.kpxe
dnsmasq-dhcp[21835]: 1517765452 next server: 10.77.0.1
dnsmasq-dhcp[21835]: 1517765452 sent size:  1 option: 53 message-type  5
dnsmasq-tftp[21835]: sent /var/lib/boottorrent/dhcp/tftp/undionly.kpxe to 10.77.0.145
`;

const fullIpxeExchange = `
dnsmasq-dhcp[21835]: 4093943331 vendor class: PXEClient:Arch:00007:UNDI:003016
dnsmasq-dhcp[21835]: 4093943331 user class: iPXE
dnsmasq-dhcp[21835]: 4093943331 DHCPREQUEST(br0) 10.77.0.145 ${MAC} 
dnsmasq-dhcp[21835]: 4093943331 tags: ipxe, arch7, br0
dnsmasq-dhcp[21835]: 4093943331 DHCPACK(br0) 10.77.0.145 ${MAC} 
dnsmasq-dhcp[21835]: 4093943331 bootfile name: http://10.77.0.1:8080/boot.ipxe
dnsmasq-dhcp[21835]: 4093943331 next server: 10.77.0.1
dnsmasq-dhcp[21835]: 4093943331 sent size:  1 option: 53 message-type  5
`;

const proxyBiosExchange = `
dnsmasq-dhcp[31375]: 213842851 vendor class: PXEClient:Arch:00000:UNDI:002001
dnsmasq-dhcp[31375]: 213842851 PXE(br0) ${MAC} proxy
dnsmasq-dhcp[31375]: 213842851 tags: arch0, br0
dnsmasq-dhcp[31375]: 213842851 broadcast response
dnsmasq-dhcp[31375]: 213842851 sent size:  1 option: 53 message-type  2
dnsmasq-dhcp[31375]: 213842851 sent size: 50 option: 43 vendor-encap  06:01:03:08:07:80:00:01:0a:4d:00:01:09:15...
dnsmasq-dhcp[31375]: 213842851 vendor class: PXEClient:Arch:00000:UNDI:002001
dnsmasq-dhcp[31375]: 213842851 vendor class: PXEClient:Arch:00000:UNDI:002001
dnsmasq-dhcp[31375]: 213842851 PXE(br0) 10.77.0.107 ${MAC} undionly.kpxe
dnsmasq-dhcp[31375]: 213842851 tags: arch0, br0
dnsmasq-dhcp[31375]: 213842851 bootfile name: undionly.kpxe
dnsmasq-dhcp[31375]: 213842851 next server: 10.77.0.1
dnsmasq-dhcp[31375]: 213842851 sent size:  1 option: 53 message-type  5
dnsmasq-tftp[31375]: sent /srv/tftp/undionly.kpxe to 10.77.0.107
`;

const proxyUefiIpxeOffer = `
dnsmasq-dhcp[31375]: 733059160 vendor class: PXEClient:Arch:00007:UNDI:003016
dnsmasq-dhcp[31375]: 733059160 user class: iPXE
dnsmasq-dhcp[31375]: 733059160 PXE(br0) ${MAC} proxy
dnsmasq-dhcp[31375]: 733059160 tags: ipxe, arch7, br0
dnsmasq-dhcp[31375]: 733059160 bootfile name: http://10.77.0.1:8080/boot.ipxe
dnsmasq-dhcp[31375]: 733059160 next server: 10.77.0.1
dnsmasq-dhcp[31375]: 733059160 broadcast response
dnsmasq-dhcp[31375]: 733059160 sent size:  1 option: 53 message-type  2
`;

function parse(text: string, mode: ServingMode = 'full', parser = new DnsmasqLogParser(mode)) {
  const lines = text.split('\n').filter((line) => line !== '');
  const out = lines.flatMap((line, index) => parser.push(line, 1_000 + index));
  out.push(...parser.flush());
  for (const observation of out) DhcpObservation.parse(observation); // every one must pass the contract
  return out;
}

describe('DnsmasqLogParser', () => {
  it('full mode, BIOS: discover, offer, request, ack with boot file, then the TFTP transfer by MAC', () => {
    const out = parse(fullBiosExchange);
    assert.deepEqual(
      out.map((o) => [o.kind, o.ip, o.bootFile, o.clientArch]),
      [
        ['discover', null, null, 0],
        ['offer', '10.77.0.145', 'undionly.kpxe', 0],
        ['request', '10.77.0.145', null, 0],
        ['ack', '10.77.0.145', 'undionly.kpxe', 0],
        ['tftp', '10.77.0.145', 'undionly.kpxe', 0],
      ],
    );
    assert.ok(out.every((o) => o.mac === MAC && o.mode === 'full' && o.ipxe === false));
    assert.equal(out[3]?.hostname, 'node7');
    assert.equal(out[3]?.at, 1_015, 'time of the packet line, not of the last line');
  });

  it('an iPXE client (user class + ipxe tag) is flagged and its boot file is the script URL; arch from the vendor class', () => {
    const out = parse(fullIpxeExchange);
    const ack = out.find((o) => o.kind === 'ack');
    assert.deepEqual(
      ack && { ipxe: ack.ipxe, bootFile: ack.bootFile, clientArch: ack.clientArch },
      { ipxe: true, bootFile: 'http://10.77.0.1:8080/boot.ipxe', clientArch: 7 },
    );
  });

  it('proxy mode, BIOS: the proxy offer, the boot server\'s answer with address and file, TFTP by that address', () => {
    const out = parse(proxyBiosExchange, 'proxy');
    assert.deepEqual(
      out.map((o) => [o.kind, o.ip, o.bootFile, o.clientArch, o.mode]),
      [
        ['offer', null, null, 0, 'proxy'],
        ['ack', '10.77.0.107', 'undionly.kpxe', 0, 'proxy'],
        ['tftp', '10.77.0.107', 'undionly.kpxe', 0, 'proxy'],
      ],
    );
  });

  it('proxy mode, iPXE on UEFI: the offer carries the boot script URL', () => {
    const [offer, ...rest] = parse(proxyUefiIpxeOffer, 'proxy');
    assert.equal(rest.length, 0);
    assert.deepEqual(offer && [offer.kind, offer.bootFile, offer.ipxe, offer.clientArch], ['offer', 'http://10.77.0.1:8080/boot.ipxe', true, 7]);
  });

  it('completes an observation only when its transaction is over (next packet, other xid, other line or flush)', () => {
    const parser = new DnsmasqLogParser('full');
    const lines = fullBiosExchange.split('\n').filter((line) => line !== '');
    const offerLine = lines.findIndex((line) => line.includes('DHCPOFFER'));
    const before = lines.slice(0, offerLine + 1).flatMap((line) => parser.push(line, 0));
    assert.deepEqual(before.map((o) => o.kind), ['discover'], 'the offer waits for its boot file line');
    const bootFile = parser.push(lines[offerLine + 2] ?? '', 0);
    assert.deepEqual(bootFile, []);
    assert.deepEqual(parser.flush().map((o) => [o.kind, o.bootFile]), [['offer', 'undionly.kpxe']]);
    assert.deepEqual(parser.flush(), []);
  });

  it('interleaved transactions of two clients stay apart', () => {
    const other = 'de:ad:be:ef:00:01';
    const text = `
dnsmasq-dhcp[1]: 100 vendor class: PXEClient:Arch:00000:UNDI:002001
dnsmasq-dhcp[1]: 100 DHCPDISCOVER(br0) ${MAC}
dnsmasq-dhcp[1]: 100 tags: arch0, br0
dnsmasq-dhcp[1]: 200 vendor class: PXEClient:Arch:00007:UNDI:003016
dnsmasq-dhcp[1]: 200 DHCPDISCOVER(br0) ${other}
dnsmasq-dhcp[1]: 200 tags: arch7, br0
dnsmasq-dhcp[1]: 100 DHCPOFFER(br0) 10.77.0.60 ${MAC}
dnsmasq-dhcp[1]: 100 bootfile name: undionly.kpxe
dnsmasq-dhcp[1]: 200 DHCPOFFER(br0) 10.77.0.61 ${other}
dnsmasq-dhcp[1]: 200 bootfile name: ipxe.efi
`;
    const offers = parse(text).filter((o) => o.kind === 'offer');
    assert.deepEqual(
      offers.map((o) => [o.mac, o.ip, o.bootFile, o.clientArch]),
      [
        [MAC, '10.77.0.60', 'undionly.kpxe', 0],
        [other, '10.77.0.61', 'ipxe.efi', 7],
      ],
    );
  });

  it('ignores lifecycle lines, TFTP errors, proxy-ignored packets and transfers to unknown addresses', () => {
    const text = `
dnsmasq[5]: started, version 2.90 DNS disabled
dnsmasq-dhcp[5]: DHCP, IP range 10.77.0.50 -- 10.77.0.150, lease time 12h
dnsmasq-tftp[5]: TFTP root is /srv/tftp secure mode
dnsmasq-tftp[5]: cannot access /srv/tftp/../secret: Permission denied
dnsmasq-tftp[5]: sent /srv/tftp/ipxe.efi to 10.77.0.99
dnsmasq-dhcp[5]: 300 PXE(br0) ${MAC} proxy-ignored
not a dnsmasq line at all
`;
    assert.deepEqual(parse(text, 'proxy'), []);
  });

  it('reads lines with a syslog-style timestamp prefix too', () => {
    const out = parse(`Nov 21 20:42:01 dnsmasq-dhcp[7]: 9 DHCPDISCOVER(br0) ${MAC}\n`);
    assert.deepEqual(out.map((o) => o.kind), ['discover']);
  });
});
