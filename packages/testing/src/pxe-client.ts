import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  BROADCAST_FLAG,
  decodeDhcp,
  decodePxeVendorOptions,
  DhcpMessageType,
  DhcpOption,
  encodeDhcp,
  encodePxeBootItem,
  messageTypeOf,
  optionIp,
  type DhcpPacket,
} from './dhcp-packet.js';
import type { Netns } from './netns.js';

/*
 * A PXE client as firmware behaves, for tests where busybox udhcpc cannot stand in: udhcpc
 * takes the first offer, and in proxyDHCP the first offer is often the proxy's (no address).
 * This client collects every offer, takes the address from the offer that has one, and the
 * boot file from the offer that carries it, asking the boot server (port 4011) like BIOS PXE
 * (menu item, option 43/71) or UEFI (redirect to 4011) firmware does when the offer has none.
 * It runs as its own process inside the client namespace (see runPxeClient).
 */

export interface PxeClientOptions {
  iface?: string;
  /** Option 93 (0 BIOS, 7/9 x86-64 UEFI); null sends none. */
  arch: number | null;
  /** Option 60; PXE firmware and iPXE send "PXEClient:Arch:0000N:UNDI:...". */
  vendorClass?: string;
  /** Identify as iPXE: option 175 and user class "iPXE". */
  ipxe?: boolean;
  /** How long to collect offers, at most (stops early once it has an address and boot information). */
  collectMs?: number;
}

export interface OfferSummary {
  server: string | null;
  yiaddr: string;
  siaddr: string;
  file: string;
  vendorClass: string | null;
  pxeMenu: { type: number; description: string }[];
}

export interface PxeClientResult {
  mac: string;
  offers: OfferSummary[];
  lease: { ip: string; server: string; netmask: string } | null;
  boot: { file: string; server: string; via: 'offer' | 'proxy-offer' | 'boot-server' | 'proxy-4011' } | null;
}

const REPLY_TIMEOUT_MS = 3000;
const DISCOVER_INTERVAL_MS = 1000;
const PXE_PORT = 4011;

const hasAddress = (offer: DhcpPacket) => offer.yiaddr !== '0.0.0.0';
const isProxy = (offer: DhcpPacket) => !hasAddress(offer) && offer.options.get(DhcpOption.vendorClass)?.toString('latin1').startsWith('PXEClient') === true;
const hasBootInfo = (offer: DhcpPacket) => offer.file !== '' || isProxy(offer);

function summarize(offer: DhcpPacket): OfferSummary {
  const vendor = offer.options.get(DhcpOption.vendorSpecific);
  return {
    server: optionIp(offer, DhcpOption.serverId),
    yiaddr: offer.yiaddr,
    siaddr: offer.siaddr,
    file: offer.file,
    vendorClass: offer.options.get(DhcpOption.vendorClass)?.toString('latin1') ?? null,
    pxeMenu: vendor && isProxy(offer) ? decodePxeVendorOptions(vendor).menu : [],
  };
}

class PxeSession {
  private readonly socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  private readonly received: DhcpPacket[] = [];
  private readonly listeners = new Set<() => void>();
  readonly xid = randomInt(1, 0x7fffffff);

  constructor(
    readonly mac: string,
    private readonly options: PxeClientOptions,
  ) {}

  async open(): Promise<void> {
    this.socket.on('message', (msg) => {
      const packet = decodeDhcp(msg);
      if (!packet || packet.op !== 2 || packet.xid !== this.xid || packet.chaddr !== this.mac) return;
      this.received.push(packet);
      for (const listener of [...this.listeners]) listener();
    });
    await new Promise<void>((resolve) => this.socket.bind(68, '0.0.0.0', resolve));
    this.socket.setBroadcast(true);
  }

  close(): void {
    this.socket.close();
  }

  /** The options every message of a PXE client carries. */
  private identity(): Map<number, Buffer> {
    const options = new Map<number, Buffer>();
    if (this.options.vendorClass) options.set(DhcpOption.vendorClass, Buffer.from(this.options.vendorClass, 'latin1'));
    if (this.options.arch !== null) options.set(DhcpOption.clientArch, Buffer.from([(this.options.arch >> 8) & 255, this.options.arch & 255]));
    options.set(DhcpOption.clientNdi, Buffer.from([1, 2, 1]));
    options.set(DhcpOption.clientUuid, Buffer.concat([Buffer.from([0]), Buffer.alloc(10), Buffer.from(this.mac.split(':').map((h) => Number.parseInt(h, 16)))]));
    if (this.options.ipxe) {
      options.set(DhcpOption.ipxeEncap, Buffer.from([0x13, 1, 1])); // iPXE's feature list (0x13: HTTP); dnsmasq matches its presence
      options.set(DhcpOption.userClass, Buffer.from('iPXE'));
    }
    options.set(DhcpOption.paramRequestList, Buffer.from([1, 3, 43, 60, 66, 67, 97, 175]));
    return options;
  }

  send(type: number, extra: Map<number, Buffer>, to: { address: string; port: number }, ciaddr = '0.0.0.0'): Promise<void> {
    const options = new Map<number, Buffer>([[DhcpOption.messageType, Buffer.from([type])], ...this.identity(), ...extra]);
    const packet = encodeDhcp({
      op: 1,
      xid: this.xid,
      flags: ciaddr === '0.0.0.0' ? BROADCAST_FLAG : 0,
      ciaddr,
      yiaddr: '0.0.0.0',
      siaddr: '0.0.0.0',
      chaddr: this.mac,
      sname: '',
      file: '',
      options,
    });
    return new Promise((resolve, reject) => this.socket.send(packet, to.port, to.address, (err) => (err ? reject(err) : resolve())));
  }

  /** Waits until `done` says the replies so far suffice, or the time is up. */
  async collect(done: (replies: DhcpPacket[]) => boolean, timeoutMs: number, resend?: () => Promise<void>): Promise<DhcpPacket[]> {
    const deadline = Date.now() + timeoutMs;
    let lastSent = Date.now();
    while (!done(this.received) && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          this.listeners.delete(finish);
          resolve();
        };
        const timer = setTimeout(finish, Math.max(0, Math.min(lastSent + DISCOVER_INTERVAL_MS, deadline) - Date.now()));
        this.listeners.add(finish);
      });
      // Like firmware, repeat the request only when a whole interval passed without enough answers.
      if (resend && !done(this.received) && Date.now() - lastSent >= DISCOVER_INTERVAL_MS && Date.now() < deadline) {
        lastSent = Date.now();
        await resend();
      }
    }
    return [...this.received];
  }

  replies(type: number): DhcpPacket[] {
    return this.received.filter((packet) => messageTypeOf(packet) === type);
  }
}

async function pxeBoot(options: PxeClientOptions): Promise<PxeClientResult> {
  const iface = options.iface ?? 'eth0';
  const mac = readFileSync(`/sys/class/net/${iface}/address`, 'utf8').trim();
  // Without any address, the kernel needs a route to send to the limited broadcast address.
  await promisify(execFile)('ip', ['route', 'replace', '255.255.255.255/32', 'dev', iface]);
  const session = new PxeSession(mac, options);
  await session.open();
  try {
    const broadcast = { address: '255.255.255.255', port: 67 };
    const discover = () => session.send(DhcpMessageType.discover, new Map(), broadcast);
    await discover();
    const offersDone = (replies: DhcpPacket[]) => replies.some(hasAddress) && replies.some(hasBootInfo);
    await session.collect(offersDone, options.collectMs ?? 4000, discover);
    const offers = session.replies(DhcpMessageType.offer);
    const result: PxeClientResult = { mac, offers: offers.map(summarize), lease: null, boot: null };

    const addressOffer = offers.find(hasAddress);
    if (addressOffer) {
      const server = optionIp(addressOffer, DhcpOption.serverId) ?? addressOffer.siaddr;
      const request = new Map([
        [DhcpOption.requestedIp, Buffer.from(addressOffer.yiaddr.split('.').map(Number))],
        [DhcpOption.serverId, Buffer.from(server.split('.').map(Number))],
      ]);
      await session.send(DhcpMessageType.request, request, broadcast);
      const ackFrom = (replies: DhcpPacket[]) => replies.some((r) => messageTypeOf(r) === DhcpMessageType.ack && r.yiaddr === addressOffer.yiaddr);
      const replies = await session.collect(ackFrom, REPLY_TIMEOUT_MS);
      const ack = replies.find((r) => messageTypeOf(r) === DhcpMessageType.ack && r.yiaddr === addressOffer.yiaddr);
      if (ack) {
        const netmask = optionIp(ack, DhcpOption.subnetMask) ?? '255.255.255.0';
        const prefix = netmask.split('.').reduce((bits, octet) => bits + Number(octet).toString(2).replaceAll('0', '').length, 0);
        await promisify(execFile)('ip', ['addr', 'replace', `${ack.yiaddr}/${prefix}`, 'dev', iface]);
        result.lease = { ip: ack.yiaddr, server, netmask };
        if (ack.file) result.boot = { file: ack.file, server: ack.siaddr, via: 'offer' };
      }
    }
    if (result.boot) return result;

    const proxy = offers.find(isProxy);
    if (!proxy) return result;
    const proxyServer = optionIp(proxy, DhcpOption.serverId) ?? proxy.siaddr;
    if (proxy.file) {
      // Real iPXE takes a ProxyDHCP answer only when it names a next-server as well as a file
      // (dhcp_has_pxeopts() in iPXE); otherwise it ignores the proxy and has nothing to boot.
      if (options.ipxe && proxy.siaddr === '0.0.0.0') return result;
      result.boot = { file: proxy.file, server: proxy.siaddr === '0.0.0.0' ? proxyServer : proxy.siaddr, via: 'proxy-offer' };
      return result;
    }
    if (!result.lease) return result; // the boot server is asked by unicast, from an address
    const vendor = proxy.options.get(DhcpOption.vendorSpecific);
    const pxe = vendor ? decodePxeVendorOptions(vendor) : null;
    const item = pxe?.menu[0];
    const extra = new Map<number, Buffer>();
    let server = proxy.siaddr !== '0.0.0.0' ? proxy.siaddr : proxyServer;
    let via: 'boot-server' | 'proxy-4011' = 'proxy-4011';
    if (item) {
      extra.set(DhcpOption.vendorSpecific, encodePxeBootItem(item.type));
      server = pxe?.bootServers.find((entry) => entry.type === item.type)?.addresses[0] ?? server;
      via = 'boot-server';
    }
    const before = session.replies(DhcpMessageType.ack).length;
    await session.send(DhcpMessageType.request, extra, { address: server, port: PXE_PORT }, result.lease.ip);
    const answered = (replies: DhcpPacket[]) => replies.filter((r) => messageTypeOf(r) === DhcpMessageType.ack).length > before;
    await session.collect(answered, REPLY_TIMEOUT_MS);
    const bootAck = session.replies(DhcpMessageType.ack)[before];
    if (bootAck?.file) result.boot = { file: bootAck.file, server: bootAck.siaddr === '0.0.0.0' ? server : bootAck.siaddr, via };
    return result;
  } finally {
    session.close();
  }
}

/** Runs the PXE client inside `ns` (as its own process) and returns what it was told. */
export async function runPxeClient(ns: Netns, options: PxeClientOptions): Promise<PxeClientResult> {
  const script = fileURLToPath(import.meta.url);
  const output = await ns.exec(process.execPath, [script, JSON.stringify(options)]);
  return JSON.parse(output) as PxeClientResult;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = JSON.parse(process.argv[2] ?? '{}') as PxeClientOptions;
  pxeBoot({ ...options, arch: options.arch ?? null }).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (err: unknown) => {
      process.stderr.write(`pxe-client: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
