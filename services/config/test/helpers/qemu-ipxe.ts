import { startProcess, type ManagedProcess } from '@boottorrent/testing';

/*
 * A real iPXE in qemu (TCG), booted as a kernel, fetching its script from the boot API over
 * qemu's user-mode network. `restrict=on` cuts the guest off from every network; the only way
 * out is the guestfwd rule that maps BOOT_API_ADDRESS:80 inside the guest to the test's
 * loopback listener. So the node talks to nothing but the boot API under test.
 */

/** The boot API's address as the guest sees it (what the test project's master.address must be). */
export const BOOT_API_ADDRESS = '10.0.2.100';
export const GUEST_MAC = '52:54:00:12:34:56';

export const IPXE_BIOS = '/usr/lib/ipxe/ipxe.lkrn';
export const IPXE_EFI = '/usr/lib/ipxe/ipxe.efi';
const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE.fd';

export interface IpxeNodeOptions {
  platform: 'pcbios' | 'efi';
  /** The boot API's port on 127.0.0.1. */
  apiPort: number;
}

export function startIpxeNode(options: IpxeNodeOptions): ManagedProcess {
  const netdev = [
    'user',
    'id=n0',
    'restrict=on',
    `guestfwd=tcp:${BOOT_API_ADDRESS}:80-tcp:127.0.0.1:${options.apiPort}`,
    `bootfile=http://${BOOT_API_ADDRESS}/boot.ipxe`,
  ].join(',');
  const args = ['-accel', 'tcg', '-m', '256', '-nographic', '-no-reboot', '-netdev', netdev, '-device', `virtio-net-pci,netdev=n0,mac=${GUEST_MAC}`];
  if (options.platform === 'efi') args.push('-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`, '-kernel', IPXE_EFI);
  else args.push('-kernel', IPXE_BIOS);
  return startProcess(`qemu-ipxe-${options.platform}`, 'qemu-system-x86_64', args);
}

/** The console without terminal escapes, for assertions and failure messages. */
export function consoleText(node: ManagedProcess): string {
  return node.output().replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}
