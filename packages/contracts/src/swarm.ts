import { z } from 'zod';
import { InfoHash, NonNegativeInt, Timestamp } from './primitives.js';

export const SwarmPeer = z.object({
  /** "ip:port" as the tracker saw it. */
  address: z.string(),
  peerId: z.string(),
  /** Figures from the peer's latest announce. */
  uploaded: NonNegativeInt,
  downloaded: NonNegativeInt,
  left: NonNegativeInt,
  complete: z.boolean(),
  lastAnnounceAt: z.number().int().nonnegative(),
});
export type SwarmPeer = z.infer<typeof SwarmPeer>;

export const Swarm = z.object({
  infoHash: InfoHash,
  seeders: NonNegativeInt,
  leechers: NonNegativeInt,
  /** Announces with event=completed seen for this torrent. */
  completed: NonNegativeInt,
  peers: z.array(SwarmPeer).default([]),
});
export type Swarm = z.infer<typeof Swarm>;

/** Published by the tracker every few seconds; also served at its GET /stats.json. */
export const SwarmStats = z.object({
  tracker: z.string(),
  at: Timestamp,
  swarms: z.array(Swarm),
});
export type SwarmStats = z.infer<typeof SwarmStats>;
