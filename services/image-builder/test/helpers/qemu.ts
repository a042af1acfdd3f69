import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManagedProcess, Netns } from '@boottorrent/testing';

/*
 * A qemu node (TCG: KVM hangs on this kind of machine) booting a kernel + initrd directly,
 * its NIC a tap on a bridge inside a test namespace: nothing but that bridge is reachable.
 */

export interface QemuNodeOptions {
  ns: Netns;
  bridge: string;
  tap: string;
  mac: string;
  kernel: string;
  initrd: string;
  append: string;
  /** kexec keeps the downloaded OS and the new kernel in RAM at once: 768 MiB for that. */
  memoryMib?: number;
}

export async function startQemuNode(options: QemuNodeOptions): Promise<ManagedProcess> {
  const { ns } = options;
  await ns.exec('ip', ['tuntap', 'add', 'dev', options.tap, 'mode', 'tap']);
  await ns.exec('ip', ['link', 'set', options.tap, 'master', options.bridge]);
  await ns.exec('ip', ['link', 'set', options.tap, 'up']);
  return ns.spawn(`qemu-${options.mac}`, 'qemu-system-x86_64', [
    '-accel', 'tcg', '-m', String(options.memoryMib ?? 512), '-smp', '1',
    '-nographic', '-no-reboot', '-nodefaults', '-serial', 'stdio',
    '-kernel', options.kernel, '-initrd', options.initrd, '-append', options.append,
    '-netdev', `tap,id=n0,ifname=${options.tap},script=no,downscript=no`,
    '-device', `virtio-net-pci,netdev=n0,mac=${options.mac}`,
  ]);
}

/** busybox udhcpd on `bridge` handing out .100-.150 of `prefix`; returns the process. */
export async function startUdhcpd(ns: Netns, options: { bridge: string; prefix: string; dir: string }): Promise<ManagedProcess> {
  const conf = join(options.dir, 'udhcpd.conf');
  const leases = join(options.dir, 'udhcpd.leases');
  await writeFile(leases, '');
  await writeFile(
    conf,
    [
      `start ${options.prefix}.100`,
      `end ${options.prefix}.150`,
      `interface ${options.bridge}`,
      `lease_file ${leases}`,
      'option subnet 255.255.255.0',
      `option router ${options.prefix}.1`,
      'option lease 3600',
      '',
    ].join('\n'),
  );
  return ns.spawn('udhcpd', 'busybox', ['udhcpd', '-f', conf]);
}

/** The serial console without terminal escapes. */
export function consoleText(node: ManagedProcess): string {
  return node.output().replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}
