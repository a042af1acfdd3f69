import { InfoHash, NodeRecord, OsName, Swarm, Timestamp } from '@boottorrent/contracts';
import { z } from 'zod';

/*
 * What GET /api/events streams to the dashboard. This is an HTTP contract between the config
 * service and its own page (and anyone who curls it), not between services, so it lives here.
 * Schemas rather than bare types: the tests read the stream back through them.
 */

/** One bootable OS as the master serves it; infoHash is null until a seeder has hashed it. */
export const LiveOs = z.object({
  name: OsName,
  dispname: z.string(),
  infoHash: InfoHash.nullable(),
  isDefault: z.boolean(),
});
export type LiveOs = z.infer<typeof LiveOs>;

/** The master: where nodes reach it and what it offers. Null fields: no valid project yet. */
export const LiveMaster = z.object({
  apiUrl: z.string().nullable(),
  dashboardUrl: z.string().nullable(),
  trackerUrls: z.array(z.string()),
  oses: z.array(LiveOs),
});
export type LiveMaster = z.infer<typeof LiveMaster>;

/** A swarm without its peer list: the dashboard shows counts, and peers can number thousands. */
export const LiveSwarm = Swarm.omit({ peers: true });
export type LiveSwarm = z.infer<typeof LiveSwarm>;

export const LiveSwarms = z.object({ tracker: z.string(), at: Timestamp, swarms: z.array(LiveSwarm) });
export type LiveSwarms = z.infer<typeof LiveSwarms>;

/** The fields of a node that move between state changes (progress, address, messages). */
export const LiveNodeUpdate = NodeRecord.pick({ mac: true, state: true, os: true, ip: true, infoHash: true, progress: true, error: true, message: true, updatedAt: true });
export type LiveNodeUpdate = z.infer<typeof LiveNodeUpdate>;

export const LiveSnapshot = z.object({
  master: LiveMaster,
  nodes: z.array(NodeRecord),
  swarms: LiveSwarms.nullable(),
  /** The master's clock when the snapshot was taken: the page measures "time in state" by it. */
  at: Timestamp,
});
export type LiveSnapshot = z.infer<typeof LiveSnapshot>;

/**
 * Every event on the stream, by its SSE `event:` name:
 * - snapshot: first on every connection (and reconnection), the whole picture;
 * - node: a node's full record, at once, on every state change (or new boot);
 * - progress: a node's moving fields, at most about once a second per node;
 * - swarms: the tracker's latest statistics;
 * - master: the OSes or their info-hashes changed.
 */
export const LiveEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), data: LiveSnapshot }),
  z.object({ type: z.literal('node'), data: NodeRecord }),
  z.object({ type: z.literal('progress'), data: LiveNodeUpdate }),
  z.object({ type: z.literal('swarms'), data: LiveSwarms }),
  z.object({ type: z.literal('master'), data: LiveMaster }),
]);
export type LiveEvent = z.infer<typeof LiveEvent>;
export type LiveEventType = LiveEvent['type'];
