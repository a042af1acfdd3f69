import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The original project's default Boottorrent.yaml (version 0), as its `init` wrote it, plus a default OS. */
export const ORIGINAL_V0_FILE = `boottorrent:
    version: 0
    timeout: 30
    default_os: testos
    seed_time: 30
    host_ip: 192.168.1.1

dnsmasq:
    enable_dhcp: True
    # user: nobody
    interface: eth0
    bind_interfaces: True
    dhcp_range: "192.168.1.50,192.168.1.150,12h"
    enable_tftp: True

opentracker:
    enable: True
    port: 10001

aria2:
    bt_enable_lpd: False
    enable_peer_exchange: True
    console_log_level: error

display_oss:
  - testos
`;

/** The OS config.yaml from the original README, comments included. */
export const ORIGINAL_OS_CONFIG = `dispname: TestOS # Friendly name to display
method: kexec
kernel: vmlinuz
initrd: initramfs.img
cmdline: break # cmdline for the new kernel
`;

export const MINIMAL_V1_FILE = `version: 1
master:
  address: 10.77.0.1
  interface: br0
`;

/** Writes `files` (path -> content) into a fresh temporary folder and returns its path. */
export async function makeProject(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bt-project-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

/** An OS folder's files: a config.yaml and small kernel/initrd stand-ins. */
export function osFiles(name: string, config = ORIGINAL_OS_CONFIG): Record<string, string> {
  return {
    [`oss/${name}/config.yaml`]: config,
    [`oss/${name}/vmlinuz`]: 'kernel bytes',
    [`oss/${name}/initramfs.img`]: 'initrd bytes',
  };
}
