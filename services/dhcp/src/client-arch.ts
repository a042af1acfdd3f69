import type { UefiBootFile } from '@boottorrent/contracts';

/*
 * How a booting client is told apart, shared by the renderer (which writes dnsmasq tags) and
 * the log parser (which reads them back from log-dhcp's "tags:" lines).
 */

export type Firmware = 'bios' | 'uefi';

export interface ArchRoute {
  /** DHCP option 93 (RFC 4578). */
  arch: number;
  firmware: Firmware;
  /** dnsmasq tag set for clients sending this arch. */
  tag: string;
  /** What the number means, for the comment in the rendered config. */
  label: string;
}

/**
 * 0 is BIOS. x86-64 UEFI firmware sends 7 (OVMF does) or 9: RFC 4578 and its errata swap the
 * names of 7 and 9, so both are routed to the UEFI binary. pxe-service lines use the numbers
 * too, because dnsmasq's CSA names follow one reading of that table.
 */
export const archRoutes: readonly ArchRoute[] = [
  { arch: 0, firmware: 'bios', tag: 'arch0', label: 'BIOS (x86 PC)' },
  { arch: 7, firmware: 'uefi', tag: 'arch7', label: 'x86-64 UEFI' },
  { arch: 9, firmware: 'uefi', tag: 'arch9', label: 'x86-64 UEFI (the other number)' },
];

/** Tag of clients already running iPXE (option 175 or user class "iPXE"): they get the boot script URL. */
export const IPXE_TAG = 'ipxe';

/** iPXE for BIOS PXE: keeps the firmware's UNDI driver, works on every NIC with a PXE ROM. */
export const BIOS_BOOT_FILE = 'undionly.kpxe';

/** Every binary the TFTP root holds, copied from Debian's ipxe package. */
export const IPXE_BINARIES: readonly string[] = [BIOS_BOOT_FILE, 'ipxe.efi', 'snponly.efi'];

export function bootFileFor(route: ArchRoute, uefiBootFile: UefiBootFile): string {
  return route.firmware === 'bios' ? BIOS_BOOT_FILE : uefiBootFile;
}

/** The client arch named by a dnsmasq tag list, or null when none of ours is set. */
export function archFromTags(tags: readonly string[]): number | null {
  return archRoutes.find((route) => tags.includes(route.tag))?.arch ?? null;
}
