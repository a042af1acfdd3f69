import type { z } from 'zod';
import { ImageBuildAccepted, ImageBuildFailed, ImageBuildProgress, ImageBuildRequest, Phase1Artifacts } from './image.js';
import { DhcpObservation, NodeProgressEvent, NodeRecord } from './node.js';
import { ProjectPublished, ProjectRejected } from './project.js';
import { ServiceError, ServiceHealth } from './service.js';
import { SwarmStats } from './swarm.js';
import { TorrentError, TorrentReady, TorrentRetired } from './torrent.js';

/**
 * An event: a subject derived from its payload, and the schema every receiver validates.
 * `pattern` is what a subscriber to all such events listens on.
 */
export interface EventDef<S extends z.ZodType> {
  readonly pattern: string;
  readonly schema: S;
  subjectOf(payload: z.output<S>): string;
}

/** A request/reply exchange; the reply is wrapped as { ok: true, value } | { ok: false, error }. */
export interface RequestDef<Q extends z.ZodType, R extends z.ZodType> {
  readonly subject: string;
  readonly request: Q;
  readonly reply: R;
}

function event<S extends z.ZodType>(pattern: string, schema: S, subjectOf: (payload: z.output<S>) => string): EventDef<S> {
  return { pattern, schema, subjectOf };
}

function fixed<S extends z.ZodType>(subject: string, schema: S): EventDef<S> {
  return event(subject, schema, () => subject);
}

/** Every NATS subject BootTorrent uses. Lowercase, dotted, rooted at "bt". */
export const events = {
  /** dnsmasq saw a node (DHCP exchange or TFTP transfer). */
  nodeDhcp: event('bt.node.*.dhcp', DhcpObservation, (p) => `bt.node.${p.mac}.dhcp`),
  /** The boot API's record of a node after a state change. */
  nodeState: event('bt.node.*.state', NodeRecord, (p) => `bt.node.${p.mac}.state`),
  /** A phase-1 progress report, as accepted. */
  nodeProgress: event('bt.node.*.progress', NodeProgressEvent, (p) => `bt.node.${p.mac}.progress`),
  swarmStats: fixed('bt.swarm.stats', SwarmStats),
  torrentReady: fixed('bt.torrent.ready', TorrentReady),
  torrentError: fixed('bt.torrent.error', TorrentError),
  torrentRetired: fixed('bt.torrent.retired', TorrentRetired),
  imageProgress: fixed('bt.image.progress', ImageBuildProgress),
  phase1Ready: fixed('bt.image.phase1.ready', Phase1Artifacts),
  imageFailed: fixed('bt.image.failed', ImageBuildFailed),
  projectPublished: fixed('bt.project.published', ProjectPublished),
  projectRejected: fixed('bt.project.rejected', ProjectRejected),
  serviceHealth: event('bt.service.*.health', ServiceHealth, (p) => `bt.service.${p.service}.health`),
  serviceError: event('bt.service.*.error', ServiceError, (p) => `bt.service.${p.service}.error`),
} as const;

export const requests = {
  /** Ask the image-builder to build; replies at once with the build id, progress follows as events. */
  imageBuild: { subject: 'bt.image.build', request: ImageBuildRequest, reply: ImageBuildAccepted },
} as const satisfies Record<string, RequestDef<z.ZodType, z.ZodType>>;
