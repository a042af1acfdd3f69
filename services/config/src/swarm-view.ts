import type { Swarm, SwarmStats } from '@boottorrent/contracts';

/**
 * Stats older than this say nothing about the swarm now (the tracker publishes every few
 * seconds): a node must not linger, or leave, on the word of a tracker that stopped.
 */
export const SWARM_STATS_STALE_MS = 30_000;

/** The tracker's latest view of one swarm, or null when it has none (or it is stale). */
export function findSwarm(stats: SwarmStats | null, infoHash: string, now: number): Swarm | null {
  if (!stats || now - stats.at > SWARM_STATS_STALE_MS) return null;
  return stats.swarms.find((swarm) => swarm.infoHash === infoHash) ?? null;
}

/**
 * GET /api/swarms/:infoHash?format=env: what the linger policy asks. BT_SWARM_KNOWN=0 tells the
 * agent the tracker has not reported this swarm, so it lingers by its time caps only.
 */
export function swarmEnv(swarm: Swarm | null): Record<string, number | boolean> {
  return {
    BT_SWARM_KNOWN: swarm !== null,
    BT_SWARM_SEEDERS: swarm?.seeders ?? 0,
    BT_SWARM_LEECHERS: swarm?.leechers ?? 0,
    BT_SWARM_COMPLETED: swarm?.completed ?? 0,
  };
}
