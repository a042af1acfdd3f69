/** Firmware a lab node boots with. */
export type Firmware = 'bios' | 'uefi';

/** Where Debian's ovmf package puts the UEFI firmware for x86-64. */
export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS.fd';
/** Memory per node: phase-1 holds the OS in RAM and kexec needs room for a second kernel. */
export const DEFAULT_NODE_MEMORY_MIB = 640;

export interface QemuNodeSpec {
  mac: string;
  tap: string;
  firmware: Firmware;
  memoryMib: number;
  /** The serial console goes to this file: the lab and the tests read it. */
  consoleFile: string;
  /** UEFI only: a writable copy of OVMF_VARS.fd for this node. */
  uefiVarsFile?: string;
  /** BIOS only: a file holding SERCON_PORT as a little-endian integer (see serconPortBytes). */
  biosSerconFile?: string;
}

/** COM1: SeaBIOS mirrors its text screen there when told through fw_cfg etc/sercon-port. */
export const SERCON_PORT = 0x3f8;

/** SeaBIOS reads etc/sercon-port as a little-endian binary integer, not as text. */
export function serconPortBytes(port = SERCON_PORT): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(port);
  return bytes;
}

/**
 * The qemu command line of one lab node. Software emulation only (KVM hangs on this kind of
 * machine). BIOS nodes keep qemu's iPXE option ROM, so they speak iPXE from the first DHCP
 * request; UEFI nodes drop it (romfile=) so OVMF's own PXE asks for the UEFI iPXE binary over
 * TFTP first, exercising the client-arch 7 path.
 */
export function qemuArgs(spec: QemuNodeSpec): string[] {
  const nic = ['virtio-net-pci', 'netdev=net0', `mac=${spec.mac}`, 'bootindex=1', ...(spec.firmware === 'uefi' ? ['romfile='] : [])].join(',');
  return [
    '-accel',
    'tcg',
    '-m',
    String(spec.memoryMib),
    '-smp',
    '1',
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    `file:${spec.consoleFile}`,
    '-no-reboot',
    ...(spec.firmware === 'uefi'
      ? ['-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`, '-drive', `if=pflash,format=raw,file=${spec.uefiVarsFile ?? OVMF_VARS}`]
      : [
          '-boot',
          'n',
          // SeaBIOS mirrors its text screen, and so iPXE's messages, to the serial console.
          ...(spec.biosSerconFile ? ['-fw_cfg', `name=etc/sercon-port,file=${spec.biosSerconFile}`] : []),
        ]),
    '-netdev',
    `tap,id=net0,ifname=${spec.tap},script=no,downscript=no`,
    '-device',
    nic,
  ];
}

/** Lab node MACs: 52:54:00:b7:00:NN (locally administered range qemu uses). */
export function labMac(index: number): string {
  return `52:54:00:b7:00:${index.toString(16).padStart(2, '0')}`;
}
