import type { z } from 'zod';
import { parseDhcpRange } from './fields.js';
import { DEFAULT_LINGER_MAX_SECONDS, DEFAULT_NETMASK, type ProjectFileV0, type ProjectFileV1 } from './schema.js';

/** A version-1 file as written (before defaults are applied). */
type V1Input = z.input<typeof ProjectFileV1>;

/** A remark about how a version-0 setting was carried over, shown by `migrate`. */
export interface MigrationNote {
  from: string;
  to: string;
  note: string;
}

/**
 * Where each version-1 setting came from in a version-0 file, so that a problem found after
 * migration still points at the line the user wrote.
 */
export const v0SourceOf: Readonly<Record<string, readonly string[]>> = {
  'master.address': ['boottorrent', 'host_ip'],
  'master.interface': ['dnsmasq', 'interface'],
  'master.netmask': ['dnsmasq', 'dhcp_range'],
  'dhcp.mode': ['dnsmasq', 'enable_dhcp'],
  'dhcp.range': ['dnsmasq', 'dhcp_range'],
  'dhcp.tftp': ['dnsmasq', 'enable_tftp'],
  'dhcp.user': ['dnsmasq', 'user'],
  'boot.timeout': ['boottorrent', 'timeout'],
  'boot.default_os': ['boottorrent', 'default_os'],
  'boot.menu': ['display_oss'],
  'tracker.enabled': ['opentracker', 'enable'],
  'tracker.port': ['opentracker', 'port'],
  'linger.min_seconds': ['boottorrent', 'seed_time'],
  'phase1.peer_exchange': ['aria2', 'enable_peer_exchange'],
  'phase1.local_peer_discovery': ['aria2', 'bt_enable_lpd'],
  'phase1.log_level': ['aria2', 'console_log_level'],
};

/** Maps a version-1 path to the version-0 path it came from (or the closest section). */
export function v0PathFor(path: readonly PropertyKey[]): readonly PropertyKey[] {
  for (let length = path.length; length > 0; length--) {
    const source = v0SourceOf[path.slice(0, length).join('.')];
    if (source) return source;
  }
  return [];
}

/** Translates the original project's Boottorrent.yaml into this project's version 1. Pure. */
export function migrateV0(v0: ProjectFileV0): { file: V1Input; notes: MigrationNote[] } {
  const notes: MigrationNote[] = [];
  const range = parseDhcpRange(v0.dnsmasq.dhcp_range);
  const netmask = typeof range === 'string' || range.netmask === null ? DEFAULT_NETMASK : range.netmask;

  if (!v0.dnsmasq.enable_dhcp) {
    notes.push({
      from: 'dnsmasq.enable_dhcp: False',
      to: 'dhcp.mode: proxy',
      note: 'an existing DHCP server hands out addresses; BootTorrent answers only the PXE boot requests (proxyDHCP)',
    });
  }
  if (!v0.dnsmasq.bind_interfaces) {
    notes.push({
      from: 'dnsmasq.bind_interfaces: False',
      to: '(always on)',
      note: 'dnsmasq now always binds to master.interface only, so it never answers on other networks',
    });
  }
  const seedTime = Math.max(0, v0.boottorrent.seed_time);
  notes.push({
    from: `boottorrent.seed_time: ${v0.boottorrent.seed_time}`,
    to: `linger.min_seconds: ${seedTime}`,
    note: 'nodes now also keep seeding while the tracker reports leechers (linger.until_swarm_done), up to linger.max_seconds',
  });

  const file: V1Input = {
    version: 1,
    master: { address: v0.boottorrent.host_ip, interface: v0.dnsmasq.interface, netmask },
    dhcp: {
      mode: v0.dnsmasq.enable_dhcp ? 'full' : 'proxy',
      range: v0.dnsmasq.dhcp_range,
      tftp: v0.dnsmasq.enable_tftp,
      user: v0.dnsmasq.user ?? null,
    },
    boot: {
      timeout: v0.boottorrent.timeout,
      default_os: v0.boottorrent.default_os ?? null,
      menu: v0.display_oss ?? [],
    },
    tracker: { enabled: v0.opentracker.enable, port: v0.opentracker.port },
    linger: {
      min_seconds: seedTime,
      max_seconds: Math.max(DEFAULT_LINGER_MAX_SECONDS, seedTime),
    },
    phase1: {
      peer_exchange: v0.aria2.enable_peer_exchange,
      local_peer_discovery: v0.aria2.bt_enable_lpd,
      log_level: v0.aria2.console_log_level,
    },
  };
  return { file, notes };
}

