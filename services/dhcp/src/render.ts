import type { DhcpDesired } from '@boottorrent/contracts';
import { archRoutes, bootFileFor, IPXE_TAG } from './client-arch.js';
import { InvalidDesired } from './errors.js';

/*
 * Desired state -> dnsmasq configuration. Pure: the same input gives the same text, so the
 * service can tell whether a restart is needed, and `boottorrent render dnsmasq` shows exactly
 * what the service runs. Every value is checked before it is written, because a comma,
 * newline or '#' in a value would silently become another option.
 */

/** dnsmasq's own default user, named explicitly so the TFTP root can be owned by it (tftp-secure). */
export const DEFAULT_DNSMASQ_USER = 'nobody';
/** The BOOTP `file` field holds 128 bytes including the terminating NUL. */
export const BOOTP_FILE_MAX = 127;
/** Shown by PXE firmware while it boots (proxy mode); the timeout is 0, so nobody waits on it. */
export const PXE_MENU_TITLE = 'BootTorrent';

export interface RenderPaths {
  leaseFile: string;
  tftpRoot: string;
}

type Mode = 'full' | 'proxy';
type ServingDesired = DhcpDesired & { mode: Mode };

/** A value written as one field of an option: no separators, quotes, comments or whitespace. */
function field(name: string, value: string): string {
  if (value.length === 0) throw new InvalidDesired(name, 'it is empty');
  if (/[\s,#"'\\]/.test(value)) throw new InvalidDesired(name, `"${value}" contains a space, comma, quote, backslash or '#'`);
  return value;
}

function checkedPath(name: string, value: string): string {
  if (!value.startsWith('/')) throw new InvalidDesired(name, `"${value}" is not an absolute path`);
  return field(name, value);
}

function hostname(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/.test(value)) throw new InvalidDesired('hosts.hostname', `"${value}" is not a hostname (letters, digits and "-")`);
  return value;
}

function bootUrl(value: string): string {
  field('bootScriptUrl', value);
  if (value.length > BOOTP_FILE_MAX) {
    throw new InvalidDesired('bootScriptUrl', `"${value}" is longer than the ${BOOTP_FILE_MAX} characters of the BOOTP file field`);
  }
  return value;
}

function commonSection(desired: ServingDesired, paths: RenderPaths): string[] {
  return [
    '# No DNS: dnsmasq is only the DHCP (and TFTP) server of the boot network.',
    'port=0',
    '# Listen on the boot network\'s interface only, never anywhere else (not even loopback).',
    'bind-interfaces',
    `interface=${field('interface', desired.interface)}`,
    'except-interface=lo',
    '# Run in the foreground under the service, log to stderr (read by the service), no pid file.',
    'log-facility=-',
    'log-dhcp',
    'pid-file=',
    `dhcp-leasefile=${checkedPath('leaseFile', paths.leaseFile)}`,
    `user=${field('user', desired.user ?? DEFAULT_DNSMASQ_USER)}`,
    '# Keep the BOOTP file and server-name fields for boot information only.',
    'dhcp-no-override',
  ];
}

function clientSection(): string[] {
  return [
    '# Client architecture, DHCP option 93.',
    ...archRoutes.flatMap((route) => [`# ${route.arch}: ${route.label}`, `dhcp-match=set:${route.tag},option:client-arch,${route.arch}`]),
    '# Clients already running iPXE (option 175, or user class "iPXE") get the boot script, not iPXE again.',
    `dhcp-match=set:${IPXE_TAG},175`,
    `dhcp-userclass=set:${IPXE_TAG},iPXE`,
  ];
}

/** full: we hand out addresses, and boot information in the same reply (dhcp-boot). */
function fullSection(desired: ServingDesired): string[] {
  const range = desired.range;
  if (!range) throw new InvalidDesired('range', 'full mode needs an address range');
  const server = field('serverAddress', desired.serverAddress);
  const lines = [
    '# full mode: this is the DHCP server of the boot network.',
    `dhcp-range=${field('range.start', range.start)},${field('range.end', range.end)},${field('netmask', desired.netmask)},${field('range.leaseTime', range.leaseTime)}`,
    '# No ping before handing out an address: dnsmasq waits up to 3 s for the echo with all DHCP',
    '# stopped, and a lab powering on at once would queue behind it until clients give up.',
    'no-ping',
  ];
  const pinned = desired.hosts.filter((host) => host.address !== null || host.hostname !== null);
  if (pinned.length > 0) lines.push('# Nodes the project pins to an address or a name.');
  for (const host of pinned) {
    const parts = [field('hosts.mac', host.mac)];
    if (host.address !== null) parts.push(field('hosts.address', host.address));
    if (host.hostname !== null) parts.push(hostname(host.hostname));
    lines.push(`dhcp-host=${parts.join(',')}`);
  }
  lines.push('', ...clientSection(), '', '# Firmware PXE loads iPXE over TFTP from us; iPXE then gets the boot script over HTTP.');
  for (const route of archRoutes) {
    lines.push(`dhcp-boot=tag:!${IPXE_TAG},tag:${route.tag},${bootFileFor(route, desired.uefiBootFile)},,${server}`);
  }
  lines.push(ipxeBoot(desired, server));
  return lines;
}

/**
 * iPXE clients get the boot script URL, with the master as next-server: iPXE accepts a
 * ProxyDHCP answer only when it carries both a next-server and a file name (its
 * dhcp_has_pxeopts()); without one it silently ignores the proxy and has nothing to boot.
 */
function ipxeBoot(desired: ServingDesired, server: string): string {
  return `dhcp-boot=tag:${IPXE_TAG},${bootUrl(desired.bootScriptUrl)},,${server}`;
}

/**
 * proxy: another server hands out addresses; we answer PXE clients with boot information only.
 * Firmware follows the PXE menu (BIOS asks the boot server, UEFI is sent to port 4011); iPXE
 * ignores the menu and takes the file field, which dnsmasq fills from dhcp-boot in proxy replies
 * (with the next-server that iPXE requires, see ipxeBoot).
 */
function proxySection(desired: ServingDesired): string[] {
  const network = desired.proxyNetwork;
  if (!network) throw new InvalidDesired('proxyNetwork', 'proxy mode needs the network address of the subnet');
  const server = field('serverAddress', desired.serverAddress);
  const lines = [
    '# proxy mode: the existing DHCP server keeps handing out addresses; we add boot information.',
    `dhcp-range=${field('proxyNetwork', network)},proxy,${field('netmask', desired.netmask)}`,
  ];
  if (desired.hosts.length > 0) lines.push(`# ${desired.hosts.length} pinned node(s) not rendered: the other DHCP server assigns addresses and names.`);
  lines.push('', ...clientSection(), '', '# PXE menu for firmware, booted at once (timeout 0).', `pxe-prompt="${PXE_MENU_TITLE}",0`);
  for (const route of archRoutes) {
    const file = bootFileFor(route, desired.uefiBootFile);
    lines.push(`pxe-service=tag:!${IPXE_TAG},${route.arch},"${PXE_MENU_TITLE} ${route.firmware.toUpperCase()}",${file},${server}`);
  }
  lines.push(ipxeBoot(desired, server));
  return lines;
}

function tftpSection(desired: ServingDesired, paths: RenderPaths): string[] {
  if (!desired.tftp) return ['# TFTP is off (dhcp.tftp: false): another TFTP server at the boot server address serves iPXE.'];
  return [
    '# TFTP: only the iPXE binaries; paths with ".." are refused, and tftp-secure serves only',
    '# files owned by the user dnsmasq runs as (the service prepares them so).',
    'enable-tftp',
    `tftp-root=${checkedPath('tftpRoot', paths.tftpRoot)}`,
    'tftp-secure',
  ];
}

/** dnsmasq's configuration for a desired state, or null when DHCP is off (nothing to run). */
export function renderDnsmasqConfig(desired: DhcpDesired, paths: RenderPaths): string | null {
  if (desired.mode === 'off') return null;
  const serving = desired as ServingDesired;
  const modeSection = serving.mode === 'full' ? fullSection(serving) : proxySection(serving);
  const header = [
    '# dnsmasq configuration rendered by the BootTorrent dhcp service from the desired state.',
    '# Do not edit: it is rewritten on every change. `boottorrent render dnsmasq` prints it.',
    `# mode ${serving.mode}, interface ${serving.interface}, boot script ${serving.bootScriptUrl}`,
  ];
  const sections = [header, commonSection(serving, paths), modeSection, tftpSection(serving, paths)];
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}
