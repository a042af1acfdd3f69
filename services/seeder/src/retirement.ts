import type { SwarmStats, TorrentRetired } from '@boottorrent/contracts';
import type { Seeded } from './seeded.js';

/**
 * How many announce intervals a replaced torrent is kept at least: a node that fetched the old
 * manifest just before the change needs one interval to fetch the .torrent and announce, and
 * the tracker's stats must have caught up before "no leechers" means anything.
 */
export const MIN_HOLD_ANNOUNCES = 2;

/** What the seeder last heard from the tracker about the swarms. */
export class SwarmView {
  private leechers = new Map<string, number>();
  private at = 0;

  update(stats: SwarmStats): void {
    this.leechers = new Map(stats.swarms.map((swarm) => [swarm.infoHash, swarm.leechers]));
    this.at = stats.at;
  }

  /** Leechers on the torrent per the latest stats taken at or after `since`; undefined if none yet. */
  leechersSince(infoHash: string, since: number): number | undefined {
    if (this.at < since) return undefined;
    // A swarm the tracker does not list has nobody on it.
    return this.leechers.get(infoHash) ?? 0;
  }
}

export interface RetirePolicy {
  /** Upper bound: retire after this long whatever the tracker says. */
  graceMs: number;
  /** Seconds between announces (network.tracker.announceInterval). */
  announceInterval: number;
}

/**
 * Whether a retiring torrent can stop now: once the tracker reports no leecher on it (checked
 * after the minimum hold, with stats taken after that hold), or once the grace period is over.
 * Nodes lingering as seeds on the old torrent do not keep it alive: they need nothing from us.
 */
export function retireNow(seeded: Seeded, now: number, view: SwarmView, policy: RetirePolicy): TorrentRetired['reason'] | null {
  const retiring = seeded.retiring;
  if (!retiring) return null;
  const age = now - retiring.since;
  if (age >= policy.graceMs) return 'grace-expired';
  const minHoldMs = MIN_HOLD_ANNOUNCES * policy.announceInterval * 1000;
  if (age < minHoldMs) return null;
  const leechers = view.leechersSince(seeded.meta.infoHash, retiring.since + minHoldMs);
  return leechers === 0 ? retiring.reason : null;
}
