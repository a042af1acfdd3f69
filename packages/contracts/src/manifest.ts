import { z } from 'zod';
import { ClientPolicy, LingerPolicy } from './desired.js';
import { InfoHash, NonNegativeInt, OsName } from './primitives.js';

/**
 * GET /api/manifest/:os: everything phase-1 needs to fetch and boot an OS. Also served as
 * shell variables (?format=env) because the phase-1 agent is a busybox script.
 */
export const OsManifest = z.object({
  os: OsName,
  dispname: z.string(),
  infoHash: InfoHash,
  torrentUrl: z.url(),
  trackers: z.array(z.string()),
  webSeeds: z.array(z.url()),
  /** The torrent's top folder; files land in <dir>/<name>/<path>. */
  name: z.string(),
  files: z.array(z.object({ path: z.string(), length: NonNegativeInt })),
  length: NonNegativeInt,
  pieceLength: z.number().int().positive(),
  /** Paths relative to the torrent's top folder. */
  kernel: z.string(),
  initrd: z.string().nullable(),
  cmdline: z.string(),
  linger: LingerPolicy,
  client: ClientPolicy,
  /** Where phase-1 posts progress and asks about the swarm. */
  apiUrl: z.url(),
});
export type OsManifest = z.infer<typeof OsManifest>;
