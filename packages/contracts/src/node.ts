import { z } from 'zod';
import { Mac } from './mac.js';
import { InfoHash, Ipv4, NonNegativeInt, OsName, Timestamp } from './primitives.js';

/**
 * A node's boot, as the master sees it:
 * dhcp -> ipxe -> phase1 -> downloading -> seeding -> kexec -> booted, or failed at any step.
 */
export const nodeStates = ['dhcp', 'ipxe', 'phase1', 'downloading', 'seeding', 'kexec', 'booted', 'failed'] as const;
export const NodeStateName = z.enum(nodeStates);
export type NodeStateName = z.infer<typeof NodeStateName>;
export const finalNodeStates: ReadonlySet<NodeStateName> = new Set(['booted', 'failed']);

/** A typed failure with a stable code, e.g. { code: 'BT_P1_MANIFEST', message: '...' }. */
export const NodeError = z.object({
  code: z.string().min(1).max(64),
  message: z.string().max(2000),
});
export type NodeError = z.infer<typeof NodeError>;

/** DHCP client architectures we route (RFC 4578 option 93): 0 BIOS, 7/9 x86-64 UEFI. */
export const ClientArch = z.number().int().nonnegative();

/** One line of dnsmasq's log, understood: published by the dhcp service. */
export const DhcpObservation = z.object({
  mac: Mac,
  kind: z.enum(['discover', 'offer', 'request', 'ack', 'nak', 'inform', 'release', 'tftp']),
  ip: Ipv4.nullable().default(null),
  clientArch: ClientArch.nullable().default(null),
  /** Boot file or URL we gave it (DHCP), or the file sent (TFTP). */
  bootFile: z.string().nullable().default(null),
  /** true when the client identified as iPXE (option 175 / user-class iPXE). */
  ipxe: z.boolean().default(false),
  hostname: z.string().nullable().default(null),
  mode: z.enum(['full', 'proxy']),
  at: Timestamp,
});
export type DhcpObservation = z.infer<typeof DhcpObservation>;

/** The states phase-1 may report itself (the earlier ones are seen by dhcp and the boot API). */
export const Phase1State = z.enum(['phase1', 'downloading', 'seeding', 'kexec', 'booted', 'failed']);
export type Phase1State = z.infer<typeof Phase1State>;

/** POST /api/nodes/:mac/progress body, sent by the phase-1 agent every 1-2 s. */
export const Phase1Report = z
  .object({
    state: Phase1State,
    os: OsName.optional(),
    infoHash: InfoHash.optional(),
    ip: Ipv4.optional(),
    bytesDone: NonNegativeInt.optional(),
    bytesTotal: NonNegativeInt.optional(),
    /** Bytes per second. */
    downloadRate: NonNegativeInt.optional(),
    uploadRate: NonNegativeInt.optional(),
    /** Bytes uploaded to other peers so far. */
    uploaded: NonNegativeInt.optional(),
    peers: NonNegativeInt.optional(),
    seeders: NonNegativeInt.optional(),
    message: z.string().max(2000).optional(),
    error: NodeError.optional(),
  })
  .strict();
export type Phase1Report = z.infer<typeof Phase1Report>;

export const NodeProgress = z.object({
  bytesDone: NonNegativeInt,
  bytesTotal: NonNegativeInt,
  downloadRate: NonNegativeInt,
  uploadRate: NonNegativeInt,
  uploaded: NonNegativeInt,
  peers: NonNegativeInt,
  seeders: NonNegativeInt,
});
export type NodeProgress = z.infer<typeof NodeProgress>;

export const NodeTransition = z.object({ state: NodeStateName, at: Timestamp });

/** The boot API's view of one node; published on every state change. */
export const NodeRecord = z.object({
  mac: Mac,
  state: NodeStateName,
  os: OsName.nullable(),
  ip: Ipv4.nullable(),
  clientArch: ClientArch.nullable(),
  infoHash: InfoHash.nullable(),
  progress: NodeProgress.nullable(),
  error: NodeError.nullable(),
  message: z.string().nullable(),
  /** How many boots of this node the master has seen (a DHCP request after a final state starts a new one). */
  bootCount: z.number().int().positive(),
  /** This boot's transitions, oldest first. */
  history: z.array(NodeTransition),
  firstSeenAt: Timestamp,
  updatedAt: Timestamp,
});
export type NodeRecord = z.infer<typeof NodeRecord>;

/** A phase-1 progress report, as accepted by the boot API, republished for live views. */
export const NodeProgressEvent = Phase1Report.extend({ mac: Mac, at: Timestamp });
export type NodeProgressEvent = z.infer<typeof NodeProgressEvent>;
