import type { NetworkDesired, TorrentReady } from '@boottorrent/contracts';
import { torrentPath, webSeedPath } from './http-server.js';
import type { OpenedOs } from './os-files.js';
import { wrapTorrent, type TorrentMeta } from './torrent-meta.js';

export type RetireReason = 'replaced' | 'removed';

/** A torrent this seeder serves: the current one of an OS, or an older one being retired. */
export interface Seeded {
  readonly os: string;
  readonly meta: TorrentMeta;
  readonly files: OpenedOs;
  /** The .torrent as served now (announce list and web seeds follow the network settings). */
  torrentFile: Uint8Array;
  ready: TorrentReady;
  /** Set once the OS moved to another info-hash (or went away). */
  retiring: { since: number; reason: RetireReason } | null;
}

/** Where this seeder is reachable, as the nodes see it. */
export interface Endpoint {
  network: NetworkDesired;
  /** Address written into URLs (BT_ADVERTISE_ADDRESS or network.address). */
  advertise: string;
  /** The HTTP port actually bound (equals network.seeder.httpPort unless that is 0 in tests). */
  httpPort: number;
}

export function baseUrl(endpoint: Endpoint): string {
  return `http://${endpoint.advertise}:${endpoint.httpPort}`;
}

/** The announce list: our tracker only, and nothing when it is off. */
export function announceList(network: NetworkDesired): string[] {
  return network.tracker.enabled ? [...network.tracker.announceUrls] : [];
}

/** The .torrent bytes and the TorrentReady event for a torrent at an endpoint. */
export function describe(
  meta: TorrentMeta,
  endpoint: Endpoint,
  seeder: TorrentReady['seeder'],
): { torrentFile: Uint8Array; ready: TorrentReady } {
  const announce = announceList(endpoint.network);
  const webSeeds = endpoint.network.seeder.webSeed ? [`${baseUrl(endpoint)}${webSeedPath(meta.infoHash)}`] : [];
  const { torrentFile, magnet } = wrapTorrent(meta, { announce, webSeeds });
  return {
    torrentFile,
    ready: {
      os: meta.name,
      infoHash: meta.infoHash,
      magnet,
      name: meta.name,
      length: meta.length,
      pieceLength: meta.pieceLength,
      pieceCount: meta.pieceCount,
      files: meta.files.map((file) => ({ path: file.path, length: file.length })),
      torrentUrl: `${baseUrl(endpoint)}${torrentPath(meta.infoHash)}`,
      webSeeds,
      announce,
      seeder,
      at: Date.now(),
    },
  };
}
