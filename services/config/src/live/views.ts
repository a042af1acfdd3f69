import type { NodeRecord, SwarmStats } from '@boottorrent/contracts';
import type { BootState } from '../boot-state.js';
import type { LiveMaster, LiveNodeUpdate, LiveSnapshot, LiveSwarms } from './events.js';

/** Where the dashboard is: the root of the boot API. */
export function dashboardUrl(apiUrl: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/`;
}

export function masterView(state: BootState): LiveMaster {
  const desired = state.desired;
  if (!desired) return { apiUrl: null, dashboardUrl: null, trackerUrls: [], oses: [] };
  return {
    apiUrl: desired.network.api.url,
    dashboardUrl: dashboardUrl(desired.network.api.url),
    trackerUrls: desired.network.tracker.enabled ? desired.network.tracker.announceUrls : [],
    oses: desired.oses.oses.map((os) => ({
      name: os.name,
      dispname: os.dispname,
      infoHash: state.torrents.get(os.name)?.infoHash ?? null,
      isDefault: desired.policy.menu.defaultOs === os.name,
    })),
  };
}

export function swarmsView(stats: SwarmStats): LiveSwarms {
  return {
    tracker: stats.tracker,
    at: stats.at,
    swarms: stats.swarms.map(({ infoHash, seeders, leechers, completed }) => ({ infoHash, seeders, leechers, completed })),
  };
}

export function nodeUpdate(record: NodeRecord): LiveNodeUpdate {
  const { mac, state, os, ip, infoHash, progress, error, message, updatedAt } = record;
  return { mac, state, os, ip, infoHash, progress, error, message, updatedAt };
}

export function snapshotOf(state: BootState, nodes: NodeRecord[], at: number): LiveSnapshot {
  return { master: masterView(state), nodes, swarms: state.swarmStats ? swarmsView(state.swarmStats) : null, at };
}
