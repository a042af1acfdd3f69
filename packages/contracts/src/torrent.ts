import { z } from 'zod';
import { InfoHash, NonNegativeInt, OsName, Timestamp } from './primitives.js';

export const SeederIdentity = z.object({
  /** Stable per seeder process, e.g. "<hostname>-<pid>". */
  id: z.string(),
  host: z.string(),
});

/** A seeder has created (deterministically) and is seeding an OS's torrent. */
export const TorrentReady = z.object({
  os: OsName,
  infoHash: InfoHash,
  magnet: z.string().startsWith('magnet:'),
  /** The torrent's name (its top folder). */
  name: z.string(),
  length: NonNegativeInt,
  pieceLength: z.number().int().positive(),
  pieceCount: z.number().int().positive(),
  files: z.array(z.object({ path: z.string(), length: NonNegativeInt })),
  torrentUrl: z.url(),
  /** BEP 19 url-list entries: the torrent's name is appended by clients for multi-file torrents. */
  webSeeds: z.array(z.url()),
  announce: z.array(z.string()),
  seeder: SeederIdentity,
  at: Timestamp,
});
export type TorrentReady = z.infer<typeof TorrentReady>;

export const TorrentError = z.object({
  os: OsName,
  code: z.string(),
  message: z.string(),
  seeder: SeederIdentity,
  at: Timestamp,
});
export type TorrentError = z.infer<typeof TorrentError>;

/** An old info-hash of an OS is no longer seeded (replaced and no node is on it any more). */
export const TorrentRetired = z.object({
  os: OsName,
  infoHash: InfoHash,
  reason: z.enum(['replaced', 'removed', 'grace-expired']),
  seeder: SeederIdentity,
  at: Timestamp,
});
export type TorrentRetired = z.infer<typeof TorrentRetired>;
