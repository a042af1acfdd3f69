import { createSocket } from 'node:dgram';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { delimiter, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { findPortOwner } from './port-owner.js';

/** Something that would make `start` fail, found before anything starts. */
export interface PreflightProblem {
  code: string;
  message: string;
  fix: string;
}

/** Binaries the master runs, and the Debian package that provides each. */
export const binaryPackages: Readonly<Record<string, string>> = {
  'nats-server': 'nats-server',
  dnsmasq: 'dnsmasq-base',
  busybox: 'busybox-static',
  cpio: 'cpio',
  xz: 'xz-utils',
  depmod: 'kmod',
  'dpkg-deb': 'dpkg',
  'apt-get': 'apt',
  gcc: 'build-essential',
};

export function findBinary(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export function checkBinaries(names: readonly string[], path?: string): PreflightProblem[] {
  return names
    .filter((name) => findBinary(name, path) === null)
    .map((name) => ({
      code: 'BT_PREFLIGHT_BINARY',
      message: `${name} is not installed (not found in PATH)`,
      fix: `install it: apt-get install ${binaryPackages[name] ?? name} (or run scripts/bootstrap.sh)`,
    }));
}

export function checkInterface(name: string): PreflightProblem[] {
  if (existsSync(`/sys/class/net/${name}`)) return [];
  const present = readdirSync('/sys/class/net').join(', ');
  return [
    {
      code: 'BT_PREFLIGHT_INTERFACE',
      message: `network interface ${name} (master.interface) does not exist here`,
      fix: `set master.interface in Boottorrent.yaml to one of: ${present}`,
    },
  ];
}

/**
 * IPv4 addresses assigned here, whether or not their link has carrier: a boot bridge whose
 * ports are idle is still bindable, but os.networkInterfaces() leaves it out.
 */
export function localIpv4Addresses(): string[] {
  const out = spawnSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
  if (out.status !== 0) {
    return Object.values(networkInterfaces())
      .flat()
      .filter((info): info is NonNullable<typeof info> => info !== undefined && info.family === 'IPv4')
      .map((info) => info.address);
  }
  return [...out.stdout.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\//g)].map((match) => match[1]!);
}

export function checkAddress(address: string): PreflightProblem[] {
  if (address === '0.0.0.0' || localIpv4Addresses().includes(address)) return [];
  return [
    {
      code: 'BT_PREFLIGHT_ADDRESS',
      message: `${address} (master.address) is not an address of this machine, so the services cannot listen on it`,
      fix: `set master.address to one of: ${localIpv4Addresses().join(', ')} (or add ${address} to the boot interface)`,
    },
  ];
}

function tcpFree(host: string, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

function udpFree(host: string, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close();
      resolve(err);
    });
    socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve(null)));
  });
}

export interface PortNeed {
  protocol: 'tcp' | 'udp';
  host: string;
  port: number;
  /** What needs it, e.g. "boot API". */
  purpose: string;
  /** Where to choose another port, e.g. "boot.api_port in Boottorrent.yaml"; absent when fixed. */
  setting?: string;
}

/** Every port that is taken, with the process holding it. */
export async function checkPorts(needs: readonly PortNeed[]): Promise<PreflightProblem[]> {
  const problems: PreflightProblem[] = [];
  for (const need of needs) {
    const err = need.protocol === 'tcp' ? await tcpFree(need.host, need.port) : await udpFree(need.host, need.port);
    if (!err) continue;
    if (err.code === 'EACCES') {
      problems.push({
        code: 'BT_PREFLIGHT_PRIVILEGE',
        message: `${need.protocol.toUpperCase()} port ${need.port} for ${need.purpose} needs privileges this process lacks`,
        fix: 'run as root, or give the binary the capability CAP_NET_BIND_SERVICE',
      });
      continue;
    }
    const owner = err.code === 'EADDRINUSE' ? await findPortOwner(need.protocol, need.port) : null;
    problems.push({
      code: 'BT_PREFLIGHT_PORT',
      message: `${need.protocol.toUpperCase()} port ${need.port} on ${need.host} (${need.purpose}) is ${err.code === 'EADDRINUSE' ? 'in use' : `not usable (${err.code})`}${owner ? ` by ${owner.command} (pid ${owner.pid})` : ''}`,
      fix: [owner ? `stop ${owner.command} (pid ${owner.pid})` : 'stop what holds it', need.setting ? `or choose another port: ${need.setting}` : '']
        .filter(Boolean)
        .join(' '),
    });
  }
  return problems;
}

/** DHCP needs raw sockets and port 67: root, or dnsmasq with file capabilities. */
export function checkDhcpPrivilege(dnsmasqPath: string | null): PreflightProblem[] {
  if (process.geteuid?.() === 0) return [];
  if (dnsmasqPath) {
    const caps = spawnSync('getcap', [dnsmasqPath], { encoding: 'utf8' });
    if (caps.status === 0 && /cap_net_bind_service/.test(caps.stdout) && /cap_net_raw/.test(caps.stdout) && /cap_net_admin/.test(caps.stdout)) return [];
  }
  return [
    {
      code: 'BT_PREFLIGHT_PRIVILEGE',
      message: 'serving DHCP needs root or capabilities on dnsmasq, and this is not root',
      fix: `run as root, or: setcap CAP_NET_BIND_SERVICE,CAP_NET_RAW,CAP_NET_ADMIN=+ep ${dnsmasqPath ?? '/usr/sbin/dnsmasq'} (or set dhcp.mode: off)`,
    },
  ];
}
