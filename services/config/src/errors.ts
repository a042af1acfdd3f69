import { defineError } from '@boottorrent/runtime';

/*
 * Every error the boot API answers with, declared once. The codes are stable: the phase-1
 * agent, the dashboard and the tests match on them.
 */

export const NotReady = defineError(
  'BT_NOT_READY',
  503,
  () => 'the config service has not published a valid project yet',
  'run `boottorrent check` on the project folder and correct what it reports',
);

export const BadMac = defineError(
  'BT_BAD_MAC',
  400,
  (value: string) => `"${value}" is not a MAC address (expected six hex pairs like 52:54:00:12:34:56)`,
);

export const UnknownOs = defineError(
  'BT_UNKNOWN_OS',
  404,
  (os: string) => `no bootable OS named "${os}" in the project`,
  'use a folder name under oss/ that `boottorrent check` lists',
);

export const TorrentNotReady = defineError(
  'BT_TORRENT_NOT_READY',
  503,
  (os: string, why: string) => `the torrent of ${os} is not ready: ${why}`,
  'wait for the seeder (it publishes the torrent once it has hashed the files), then retry',
);

export const OsFilesMissing = defineError(
  'BT_OS_FILES_MISSING',
  410,
  (os: string, file: string) => `OS ${os} cannot be served: ${file} is missing on the master`,
  (os: string, file: string) => `restore ${file} (or remove oss/${os} and the nodes pinned to it); nodes get it at their next boot`,
);

export const Phase1NotBuilt = defineError(
  'BT_PHASE1_NOT_BUILT',
  503,
  (why: string) => `the phase-1 kernel and initrd are not available: ${why}`,
  'build them (the image-builder publishes them when done), then retry',
);

export const UnknownNode = defineError('BT_UNKNOWN_NODE', 404, (mac: string) => `no node ${mac} has been seen`);

export const NoSwarmStats = defineError(
  'BT_NO_SWARM_STATS',
  503,
  () => 'the tracker has not published swarm statistics yet',
  'check that the tracker service runs',
);

export const UnknownSwarm = defineError('BT_UNKNOWN_SWARM', 404, (infoHash: string) => `the tracker has not reported swarm ${infoHash}`);

export const RangeNotSatisfiable = defineError(
  'BT_RANGE_NOT_SATISFIABLE',
  416,
  (range: string, size: number) => `range "${range}" is outside the file (${size} bytes)`,
);

export const BodyTooLarge = defineError('BT_BODY_TOO_LARGE', 413, () => 'the request body is too large');

export const UnsupportedMediaType = defineError(
  'BT_UNSUPPORTED_MEDIA_TYPE',
  415,
  (type: string) => `cannot read a request body of type "${type}"`,
  'send JSON with Content-Type: application/json',
);

export const NotJson = defineError('BT_NOT_JSON', 400, (detail: string) => `the request body is not JSON: ${detail}`);

export const DashboardFull = defineError(
  'BT_DASHBOARD_FULL',
  503,
  (max: number) => `the live event stream already has ${max} viewers`,
  'close a dashboard tab you no longer watch, then reload (the page retries by itself)',
);
