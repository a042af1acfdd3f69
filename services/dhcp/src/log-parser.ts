import { normalizeMac, type DhcpObservation } from '@boottorrent/contracts';
import { archFromTags, IPXE_TAG } from './client-arch.js';

/*
 * dnsmasq's log (with log-dhcp) -> DhcpObservations. One DHCP packet is logged over several
 * lines sharing its transaction id (xid): facts about the client come before the packet line
 * ("vendor class:", "user class:"), facts about our reply after it ("tags:", "bootfile name:",
 * "sent ... message-type"). dnsmasq is single-threaded, so a packet's lines are contiguous: an
 * observation is complete when the next packet line, a line of another transaction or a
 * non-DHCP line arrives, or when the caller flushes after a quiet moment.
 */

export type ServingMode = 'full' | 'proxy';
type Kind = DhcpObservation['kind'];

const LINE = /dnsmasq(?:-(dhcp|tftp))?\[\d+\]: (.*)$/;
const XID_LINE = /^(\d+) (.*)$/;
/** e.g. "DHCPACK(br0) 10.77.0.145 52:54:00:12:34:56 node1" or "PXE(br0) 52:54:00:12:34:56 proxy". */
const PACKET = /^(DHCPDISCOVER|DHCPOFFER|DHCPREQUEST|DHCPACK|DHCPNAK|DHCPINFORM|DHCPRELEASE|PXE)\(([^)]*)\) (.*)$/;
const TFTP_SENT = /^sent (\S+) to (\d+\.\d+\.\d+\.\d+)$/;
const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;
const ARCH_IN_VENDOR_CLASS = /^PXEClient:Arch:(\d{5})/;
/** DHCP message types (RFC 2132 option 53) of replies dnsmasq logs as "sent ... message-type N". */
const MESSAGE_TYPE_KIND: Record<string, Kind> = { '2': 'offer', '5': 'ack', '6': 'nak' };
const PACKET_KIND: Record<string, Kind> = {
  DHCPDISCOVER: 'discover',
  DHCPOFFER: 'offer',
  DHCPREQUEST: 'request',
  DHCPACK: 'ack',
  DHCPNAK: 'nak',
  DHCPINFORM: 'inform',
  DHCPRELEASE: 'release',
};
/** Transactions remembered at once; old ones are forgotten first. */
const MAX_TRANSACTIONS = 512;
const MAX_KNOWN_ADDRESSES = 4096;

/** What a transaction's client told about itself (constant across its packets). */
interface Client {
  vendorClass: string | null;
  userClass: string | null;
  tags: string[];
  hostname: string | null;
}

interface Pending {
  xid: string;
  kind: Kind;
  mac: string;
  ip: string | null;
  bootFile: string | null;
  hostname: string | null;
  /** A PXE line (proxy reply or boot-server answer) rather than a DHCP one. */
  pxe: boolean;
  at: number;
}

interface KnownClient {
  mac: string;
  clientArch: number | null;
}

export class DnsmasqLogParser {
  private readonly clients = new Map<string, Client>();
  private readonly byIp = new Map<string, KnownClient>();
  private pending: Pending | null = null;

  constructor(readonly mode: ServingMode) {}

  /** One line of dnsmasq's output; returns the observations it completed. */
  push(line: string, at: number): DhcpObservation[] {
    const match = LINE.exec(line);
    const facility = match?.[1];
    const text = match?.[2];
    if (text === undefined || facility !== 'dhcp') {
      const done = this.flush();
      if (facility === 'tftp' && text !== undefined) {
        const tftp = this.tftp(text, at);
        if (tftp) done.push(tftp);
      }
      return done;
    }
    const xidMatch = XID_LINE.exec(text);
    if (!xidMatch) return this.flush();
    const [, xid = '', body = ''] = xidMatch;
    const done = this.pending && this.pending.xid !== xid ? this.flush() : [];
    const client = this.client(xid);

    const packet = PACKET.exec(body);
    if (packet) {
      done.push(...this.flush());
      this.startPacket(xid, packet[1] ?? '', packet[3] ?? '', at);
      return done;
    }
    this.annotate(client, body);
    return done;
  }

  /** Completes the observation in progress, if any. */
  flush(): DhcpObservation[] {
    const pending = this.pending;
    this.pending = null;
    if (!pending) return [];
    const client = this.clients.get(pending.xid);
    const vendorArch = client?.vendorClass ? ARCH_IN_VENDOR_CLASS.exec(client.vendorClass) : null;
    const tags = client?.tags ?? [];
    const clientArch = vendorArch ? Number(vendorArch[1]) : archFromTags(tags);
    if (pending.ip) this.remember(pending.ip, { mac: pending.mac, clientArch });
    return [
      {
        mac: pending.mac,
        kind: pending.kind,
        ip: pending.ip,
        clientArch,
        bootFile: pending.bootFile,
        ipxe: tags.includes(IPXE_TAG) || client?.userClass === 'iPXE',
        hostname: pending.hostname ?? client?.hostname ?? null,
        mode: this.mode,
        at: pending.at,
      },
    ];
  }

  private client(xid: string): Client {
    let client = this.clients.get(xid);
    if (!client) {
      client = { vendorClass: null, userClass: null, tags: [], hostname: null };
      this.clients.set(xid, client);
      if (this.clients.size > MAX_TRANSACTIONS) this.clients.delete(this.clients.keys().next().value as string);
    }
    return client;
  }

  private startPacket(xid: string, name: string, rest: string, at: number): void {
    const words = rest.trim().split(/\s+/);
    const ip = words[0] && IPV4.test(words[0]) ? words.shift() ?? null : null;
    const mac = normalizeMac(words.shift() ?? '');
    if (!mac) return;
    if (name === 'PXE') {
      // "PXE(if) mac proxy": a proxy reply, offer or ack as its message type says.
      // "PXE(if) ip mac file": the boot server's answer to a menu choice.
      const detail = words[0] ?? '';
      if (detail === 'proxy-ignored') return;
      const bootFile = detail === 'proxy' || detail === '' ? null : detail;
      this.pending = { xid, kind: bootFile ? 'ack' : 'offer', mac, ip, bootFile, hostname: null, pxe: true, at };
      return;
    }
    const kind = PACKET_KIND[name] ?? 'discover';
    const hostname = kind === 'ack' && words[0] ? words[0] : null;
    this.pending = { xid, kind, mac, ip, bootFile: null, hostname, pxe: false, at };
  }

  private annotate(client: Client, body: string): void {
    const colon = body.indexOf(': ');
    if (colon === -1) return;
    const key = body.slice(0, colon);
    const value = body.slice(colon + 2).trim();
    if (key === 'vendor class') client.vendorClass = value;
    else if (key === 'user class') client.userClass = value;
    else if (key === 'client provides name') client.hostname = value;
    else if (key === 'tags') client.tags = value.split(',').map((tag) => tag.trim());
    else if (key === 'bootfile name' && this.pending) this.pending.bootFile = value;
    else if (key.startsWith('sent size') && this.pending?.pxe) {
      // Proxy replies carry no address; their kind comes from option 53 of what was sent.
      const type = /option: 53 message-type\s+(\d+)/.exec(body)?.[1];
      const kind = type ? MESSAGE_TYPE_KIND[type] : undefined;
      if (kind) this.pending.kind = kind;
    }
  }

  /**
   * "sent /srv/tftp/undionly.kpxe to 10.77.0.50": the MAC comes from an earlier packet with that
   * address. A UEFI client in proxy mode never shows its address to dnsmasq, so its transfer is
   * not reported.
   */
  private tftp(text: string, at: number): DhcpObservation | null {
    const sent = TFTP_SENT.exec(text);
    if (!sent) return null;
    const [, path = '', ip = ''] = sent;
    const known = this.byIp.get(ip);
    if (!known) return null;
    const bootFile = path.slice(path.lastIndexOf('/') + 1);
    return { mac: known.mac, kind: 'tftp', ip, clientArch: known.clientArch, bootFile, ipxe: false, hostname: null, mode: this.mode, at };
  }

  private remember(ip: string, client: KnownClient): void {
    this.byIp.delete(ip);
    this.byIp.set(ip, client);
    if (this.byIp.size > MAX_KNOWN_ADDRESSES) this.byIp.delete(this.byIp.keys().next().value as string);
  }
}
