import { z } from 'zod';
import { Ipv4 } from '@boottorrent/contracts';

const yamlTrue = new Set(['y', 'yes', 'true', 'on']);
const yamlFalse = new Set(['n', 'no', 'false', 'off']);

/**
 * A boolean as YAML 1.1 spelled it (True, yes, on, ...). Accepted only where a boolean is
 * expected, so projects written for the original BootTorrent load unchanged.
 */
export const YamlBool = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const lower = value.toLowerCase();
  if (yamlTrue.has(lower)) return true;
  if (yamlFalse.has(lower)) return false;
  return value;
}, z.boolean({ error: 'expected true or false' }));

export const Port = z.number({ error: 'expected a port number' }).int().min(1, 'ports start at 1').max(65535, 'ports end at 65535');

const leaseTime = /^(\d+[smhdw]?|infinite)$/;

export interface ParsedRange {
  start: string;
  end: string;
  netmask: string | null;
  leaseTime: string;
}

export const DEFAULT_LEASE_TIME = '12h';

/** Parses dnsmasq's "start,end[,netmask][,lease]" form (the original project's dhcp_range). */
export function parseDhcpRange(text: string): ParsedRange | string {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length < 2 || parts.length > 4) return 'expected "start,end,lease", e.g. "192.168.1.50,192.168.1.150,12h"';
  const [start = '', end = '', ...rest] = parts;
  if (!Ipv4.safeParse(start).success) return `"${start}" is not an IPv4 address (the range start)`;
  if (!Ipv4.safeParse(end).success) return `"${end}" is not an IPv4 address (the range end)`;
  let netmask: string | null = null;
  let lease = DEFAULT_LEASE_TIME;
  for (const part of rest) {
    if (Ipv4.safeParse(part).success && netmask === null) netmask = part;
    else if (leaseTime.test(part)) lease = part;
    else return `"${part}" is neither a netmask nor a lease time (like 12h, 30m, 3600 or infinite)`;
  }
  if (ipToInt(start) > ipToInt(end)) return `the range starts (${start}) after it ends (${end})`;
  return { start, end, netmask, leaseTime: lease };
}

export const DhcpRangeText = z.string({ error: 'expected a string "start,end,lease"' }).superRefine((text, ctx) => {
  const parsed = parseDhcpRange(text);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: `invalid dhcp range: ${parsed}` });
});

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function intToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

export function networkAddress(address: string, netmask: string): string {
  return intToIp((ipToInt(address) & ipToInt(netmask)) >>> 0);
}

export function isValidNetmask(netmask: string): boolean {
  const bits = ipToInt(netmask);
  const inverted = ~bits >>> 0;
  return (inverted & (inverted + 1)) === 0;
}

/**
 * The pool used when dhcp.range is not set: .100-.199 of the master's network when it is a
 * /24 or larger, otherwise the upper half of its host addresses. Skips the master's address.
 */
export function defaultDhcpRange(address: string, netmask: string): string {
  const mask = ipToInt(netmask);
  const network = (ipToInt(address) & mask) >>> 0;
  const broadcast = (network | (~mask >>> 0)) >>> 0;
  const hosts = broadcast - network - 1;
  let start = hosts >= 254 ? network + 100 : network + 1 + Math.floor(hosts / 2);
  let end = hosts >= 254 ? network + 199 : broadcast - 1;
  const master = ipToInt(address);
  if (master >= start && master <= end) {
    if (master < end) start = master + 1;
    else end = master - 1;
  }
  return `${intToIp(start)},${intToIp(end)},${DEFAULT_LEASE_TIME}`;
}
