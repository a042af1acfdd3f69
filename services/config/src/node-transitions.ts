import { finalNodeStates, type DhcpObservation, type NodeProgress, type NodeRecord, type NodeStateName, type Phase1Report } from '@boottorrent/contracts';

/*
 * The node state machine, pure: (record, event) -> outcome.
 *
 *   dhcp -> ipxe -> phase1 -> downloading -> seeding -> kexec -> booted      (failed from any)
 *
 * - States only move forward (a step may be skipped: phase-1 may report `downloading` first).
 * - `failed` is reachable from every non-final state; `booted` and `failed` are final.
 * - A boot signal starts a new boot (bootCount + 1, history restarted) once the node is past
 *   iPXE: a PXE client's DHCP (it sends its architecture, option 93, or is iPXE, or is given a
 *   boot file), a TFTP transfer, or GET /boot.ipxe?mac=. The DHCP of phase-1's or the booted
 *   OS's own client carries none of these, so it never restarts a boot; it only updates the IP.
 * - A phase-1 report for an unknown node creates it; one for a node in a final state is
 *   ignored (the caller logs the reason).
 */

export type NodeEvent =
  | { kind: 'dhcp'; observation: DhcpObservation }
  /** GET /boot.ipxe?mac=: iPXE is running; `os` when the script boots one without a menu. */
  | { kind: 'ipxe'; at: number; os: string | null }
  | { kind: 'report'; report: Phase1Report; at: number };

export type NodeOutcome =
  | { kind: 'created' | 'transition' | 'new-boot' | 'updated'; record: NodeRecord; stateChanged: boolean }
  | { kind: 'ignored'; record: NodeRecord | null; reason: string };
export type AcceptedOutcome = Exclude<NodeOutcome, { kind: 'ignored' }>;

const rank: Readonly<Record<NodeStateName, number>> = {
  dhcp: 0,
  ipxe: 1,
  phase1: 2,
  downloading: 3,
  seeding: 4,
  kexec: 5,
  booted: 6,
  failed: 7,
};

const BOOT_SIGNAL_DHCP_KINDS: ReadonlySet<DhcpObservation['kind']> = new Set(['discover', 'offer', 'request', 'ack', 'tftp']);

export function isFinal(state: NodeStateName): boolean {
  return finalNodeStates.has(state);
}

/** The state a DHCP observation shows, or null for kinds that say nothing about booting. */
export function dhcpState(observation: DhcpObservation): NodeStateName | null {
  if (!BOOT_SIGNAL_DHCP_KINDS.has(observation.kind)) return null;
  return observation.ipxe && observation.kind !== 'tftp' ? 'ipxe' : 'dhcp';
}

/** True when the observation comes from a machine's boot firmware or iPXE, not an OS's DHCP client. */
export function isPxeBootSignal(observation: DhcpObservation): boolean {
  if (!BOOT_SIGNAL_DHCP_KINDS.has(observation.kind)) return false;
  return observation.kind === 'tftp' || observation.ipxe || observation.clientArch !== null || observation.bootFile !== null;
}

function eventTime(event: NodeEvent): number {
  return event.kind === 'dhcp' ? event.observation.at : event.at;
}

function targetState(event: NodeEvent): NodeStateName | null {
  if (event.kind === 'dhcp') return dhcpState(event.observation);
  if (event.kind === 'ipxe') return 'ipxe';
  return event.report.state;
}

function isBootSignal(event: NodeEvent): boolean {
  return event.kind === 'ipxe' || (event.kind === 'dhcp' && isPxeBootSignal(event.observation));
}

function fresh(mac: string, state: NodeStateName, at: number, bootCount: number, firstSeenAt: number): NodeRecord {
  return {
    mac,
    state,
    os: null,
    ip: null,
    clientArch: null,
    infoHash: null,
    progress: null,
    error: null,
    message: null,
    bootCount,
    history: [{ state, at }],
    firstSeenAt,
    updatedAt: at,
  };
}

function mergeProgress(previous: NodeProgress | null, report: Phase1Report): NodeProgress | null {
  const fields = ['bytesDone', 'bytesTotal', 'downloadRate', 'uploadRate', 'uploaded', 'peers', 'seeders'] as const;
  if (!fields.some((field) => report[field] !== undefined)) return previous;
  const base: NodeProgress = previous ?? { bytesDone: 0, bytesTotal: 0, downloadRate: 0, uploadRate: 0, uploaded: 0, peers: 0, seeders: 0 };
  const next = { ...base };
  for (const field of fields) next[field] = report[field] ?? base[field];
  return next;
}

/** Copies what the event tells about the node onto the record (its state is set by the caller). */
function absorb(record: NodeRecord, event: NodeEvent, state: NodeStateName): NodeRecord {
  const at = eventTime(event);
  if (event.kind === 'dhcp') {
    const { ip, clientArch } = event.observation;
    return { ...record, ip: ip ?? record.ip, clientArch: clientArch ?? record.clientArch, updatedAt: at };
  }
  if (event.kind === 'ipxe') return { ...record, os: event.os ?? record.os, updatedAt: at };
  const { report } = event;
  return {
    ...record,
    os: report.os ?? record.os,
    ip: report.ip ?? record.ip,
    infoHash: report.infoHash ?? record.infoHash,
    progress: mergeProgress(record.progress, report),
    // A report without an error means the trouble is over, unless the node failed for good.
    error: report.error ?? (state === 'failed' ? record.error : null),
    message: report.message ?? record.message,
    updatedAt: at,
  };
}

function moveTo(record: NodeRecord, state: NodeStateName, at: number): NodeRecord {
  return { ...record, state, history: [...record.history, { state, at }] };
}

export function applyNodeEvent(current: NodeRecord | null, mac: string, event: NodeEvent): NodeOutcome {
  const at = eventTime(event);
  const target = targetState(event);

  if (current === null) {
    if (target === null) return { kind: 'ignored', record: null, reason: `DHCP ${event.kind === 'dhcp' ? event.observation.kind : ''} from an unknown node says nothing about a boot` };
    return { kind: 'created', record: absorb(fresh(mac, target, at, 1, at), event, target), stateChanged: true };
  }

  const final = isFinal(current.state);
  if (target !== null && isBootSignal(event) && (final || rank[current.state] >= rank.phase1)) {
    const restarted = fresh(mac, target, at, current.bootCount + 1, current.firstSeenAt);
    // The machine is the same: keep where it was last seen until the new boot says otherwise.
    const carried = { ...restarted, ip: current.ip, clientArch: current.clientArch };
    return { kind: 'new-boot', record: absorb(carried, event, target), stateChanged: true };
  }

  if (event.kind === 'report' && final) {
    return { kind: 'ignored', record: current, reason: `node is ${current.state} (final for boot ${current.bootCount}); the report is ignored until the node boots again` };
  }

  if (target === null || rank[target] < rank[current.state] || (final && target !== current.state)) {
    if (event.kind === 'report') {
      return { kind: 'ignored', record: current, reason: `report of state ${target ?? '?'} is behind the node's state ${current.state}` };
    }
    // An OS's own DHCP (phase-1's udhcpc, the booted OS): the address is news, the state is not.
    const updated = absorb(current, event, current.state);
    return { kind: 'updated', record: updated, stateChanged: false };
  }

  if (target === current.state) return { kind: 'updated', record: absorb(current, event, target), stateChanged: false };
  return { kind: 'transition', record: moveTo(absorb(current, event, target), target, at), stateChanged: true };
}
