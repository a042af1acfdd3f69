import type { DesiredState } from '@boottorrent/contracts';
import { buildMenu, type BootMenu } from './menu.js';

/** The part of desired state that decides what a node boots. */
export type BootInputs = Pick<DesiredState, 'oses' | 'nodes' | 'policy' | 'network'>;

/**
 * What a node gets from GET /boot.ipxe?mac=:
 * - `assigned`: the project pins an OS to this MAC; straight to it.
 * - `default`: straight to the default OS (an unknown node under `unknown_nodes: default`, or a
 *   menu whose timeout is 0).
 * - `menu`: an iPXE menu with a countdown (or none, when the timeout is negative).
 * - `refuse`: an unknown node under `unknown_nodes: refuse`; it is handed back to its firmware.
 * - `nothing`: there is no bootable OS (yet); the node retries.
 */
export type BootDecision =
  | { kind: 'assigned'; os: string }
  | { kind: 'default'; os: string; reason: 'unknown-node' | 'no-countdown' }
  | { kind: 'menu'; menu: BootMenu }
  | { kind: 'refuse' }
  | { kind: 'nothing'; why: string };

export function decideBoot(desired: BootInputs, mac: string): BootDecision {
  const oses = desired.oses.oses;
  const node = desired.nodes.nodes.find((candidate) => candidate.mac === mac);
  if (node?.os) {
    // The loader refuses a pin to an unknown OS; this only guards a hand-edited KV value.
    return oses.some((os) => os.name === node.os) ? { kind: 'assigned', os: node.os } : { kind: 'nothing', why: `its assigned OS "${node.os}" is not bootable` };
  }
  const known = node !== undefined;
  if (!known && desired.policy.unknownNodes === 'refuse') return { kind: 'refuse' };

  const menu = buildMenu(desired.policy, oses);
  if (menu.defaultOs === null) return { kind: 'nothing', why: 'the project has no bootable OS' };
  if (!known && desired.policy.unknownNodes === 'default') return { kind: 'default', os: menu.defaultOs, reason: 'unknown-node' };
  if (menu.timeout === 0) return { kind: 'default', os: menu.defaultOs, reason: 'no-countdown' };
  return { kind: 'menu', menu };
}

/** The OS the node will boot without anyone choosing, if the decision names one. */
export function decidedOs(decision: BootDecision): string | null {
  return decision.kind === 'assigned' || decision.kind === 'default' ? decision.os : null;
}
