import { spawnSync } from 'node:child_process';
import { DhcpDesired } from '@boottorrent/contracts';
import type { RenderPaths } from '../src/render.js';

/** A desired state as the config service derives it for the lab network 10.77.0.0/24. */
export function fullDesired(overrides: Partial<DhcpDesired> = {}): DhcpDesired {
  return DhcpDesired.parse({
    mode: 'full',
    interface: 'br0',
    serverAddress: '10.77.0.1',
    range: { start: '10.77.0.50', end: '10.77.0.150', leaseTime: '12h' },
    proxyNetwork: null,
    netmask: '255.255.255.0',
    tftp: true,
    uefiBootFile: 'ipxe.efi',
    bootScriptUrl: 'http://10.77.0.1:8080/boot.ipxe',
    user: null,
    hosts: [],
    ...overrides,
  });
}

export function proxyDesired(overrides: Partial<DhcpDesired> = {}): DhcpDesired {
  return fullDesired({ mode: 'proxy', range: null, proxyNetwork: '10.77.0.0', ...overrides });
}

export const testPaths: RenderPaths = { leaseFile: '/var/lib/boottorrent/dhcp/dnsmasq.leases', tftpRoot: '/var/lib/boottorrent/dhcp/tftp' };

/** The option lines of a rendered configuration, comments and blank lines left out. */
export function optionLines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

export const BIOS_VENDOR_CLASS = 'PXEClient:Arch:00000:UNDI:002001';
export const UEFI_VENDOR_CLASS = 'PXEClient:Arch:00007:UNDI:003016';

/** Runs the real `dnsmasq --test` on a configuration file: its exit status and what it said. */
export function dnsmasqTest(file: string): { status: number | null; output: string } {
  const result = spawnSync('dnsmasq', ['--test', `--conf-file=${file}`], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}
