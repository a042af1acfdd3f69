import type { Firmware } from './qemu.js';

export type FirmwareChoice = Firmware | 'mixed';
export type LabDhcpMode = 'full' | 'proxy';

/* The lab network: a private /24 inside its own namespace. */
export const LAB_PREFIX = '10.77.0';
export const LAB_MASTER_ADDRESS = `${LAB_PREFIX}.1`;
/** proxy mode: the stand-in for the site's existing DHCP server. */
export const LAB_ROUTER_OCTET = 2;
export const LAB_BRIDGE = 'br0';
export const LAB_API_PORT = 8080;
export const DEMO_OS = 'demo';
/** The OS whose files the lab removes after start, for nodes asked to fail (--broken-nodes). */
export const BROKEN_OS = 'broken';
export const DEFAULT_NODES = 3;
export const DEFAULT_PAYLOAD_MIB = 64;
export const DEFAULT_TIMEOUT_S = 600;

/** What one lab run does; written as JSON for the session inside the namespace. */
export interface LabPlan {
  workDir: string;
  projectDir: string;
  stateDir: string;
  artifactsDir: string;
  repoRoot: string;
  dhcp: LabDhcpMode;
  /** The OS the healthy nodes boot, and what counts as success for them. */
  os: string;
  successState: 'booted' | 'kexec';
  nodes: LabNodePlan[];
  routerNetns: string | null;
  memoryMib: number;
  timeoutS: number;
  keep: boolean;
  json: boolean;
  /** Draw the live view in place (a terminal) rather than printing a line per change. */
  live: boolean;
  /**
   * Who runs the master: the session (`boottorrent start`, the default) or someone else
   * (LabOptions.master), in which case the session only waits for the boot API.
   */
  master?: 'boottorrent-start' | 'external';
}

export interface LabNodePlan {
  name: string;
  mac: string;
  tap: string;
  firmware: Firmware;
  /** The node is pinned to BROKEN_OS and is expected to end in `failed`. */
  broken: boolean;
}

export function firmwareFor(choice: FirmwareChoice, index: number): Firmware {
  if (choice === 'mixed') return index % 2 === 0 ? 'bios' : 'uefi';
  return choice;
}
