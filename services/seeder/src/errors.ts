import { defineError } from '@boottorrent/runtime';

/*
 * Every error the seeder raises on purpose. Codes are stable: they reach the dashboard and the
 * CLI through `torrent error` events and HTTP answers.
 */

export const FileMissing = defineError(
  'BT_SEEDER_FILE_MISSING',
  404,
  (os: string, file: string) => `OS "${os}": file ${file} does not exist on this seeder`,
  (os: string) => `put the file back into the OS folder of "${os}" (or fix oss/${os}/config.yaml)`,
);

export const FileUnreadable = defineError(
  'BT_SEEDER_FILE_UNREADABLE',
  500,
  (os: string, file: string, reason: string) => `OS "${os}": cannot read ${file}: ${reason}`,
  'check the file permissions: the seeder must be able to read every file of the OS folder',
);

export const FileMismatch = defineError(
  'BT_SEEDER_FILE_MISMATCH',
  409,
  (os: string, file: string, expected: number, actual: number) =>
    `OS "${os}": ${file} is ${actual} bytes here but ${expected} bytes in the desired state; seeding it would start a different swarm`,
  'copy the same files to every seeder host (or wait: the config service republishes after a change)',
);

export const FileOutsideProject = defineError(
  'BT_SEEDER_FILE_OUTSIDE_PROJECT',
  400,
  (os: string, file: string) => `OS "${os}": ${file} resolves outside the project folder`,
  'OS files must live inside the OS folder',
);

export const FileChanged = defineError(
  'BT_SEEDER_FILE_CHANGED',
  409,
  (os: string, file: string) => `OS "${os}": ${file} changed while it was being hashed`,
  'nothing to do: the seeder retries once the file stops changing',
);

export const FileOverwritten = defineError(
  'BT_SEEDER_FILE_OVERWRITTEN',
  409,
  (os: string, file: string, infoHash: string) =>
    `OS "${os}": ${file} was overwritten in place, so torrent ${infoHash} can no longer be served (its old bytes are gone); it was retired at once`,
  'replace OS files by writing a new file and renaming it over the old one: then the old torrent keeps seeding until its nodes are done',
);

export const CreateFailed = defineError(
  'BT_SEEDER_CREATE_FAILED',
  500,
  (os: string, reason: string) => `OS "${os}": could not create its torrent: ${reason}`,
);

export const SeedFailed = defineError('BT_SEEDER_SEED_FAILED', 500, (os: string, reason: string) => `OS "${os}": could not seed: ${reason}`);

export const PortInUse = defineError(
  'BT_SEEDER_PORT_IN_USE',
  500,
  (what: string, host: string, port: number, reason: string) => `cannot listen for ${what} on ${host}:${port}: ${reason}`,
  'free the port, or change seeder.peer_port / seeder.http_port in Boottorrent.yaml, or set BT_BIND_HOST',
);

export const UnknownTorrent = defineError(
  'BT_SEEDER_UNKNOWN_TORRENT',
  404,
  (infoHash: string) => `this seeder does not seed torrent ${infoHash}`,
  'fetch the OS manifest again: the torrent may have been replaced',
);

export const UnknownWebSeedFile = defineError(
  'BT_SEEDER_UNKNOWN_FILE',
  404,
  (infoHash: string, path: string) => `torrent ${infoHash} has no file ${path}`,
);

export const TorrentGone = defineError(
  'BT_SEEDER_TORRENT_GONE',
  410,
  (infoHash: string) => `torrent ${infoHash} is no longer served: its files changed on disk`,
  'fetch the OS manifest again to get the current torrent',
);

export const RangeNotSatisfiable = defineError('BT_SEEDER_RANGE', 416, (range: string, length: number) => `range "${range}" is outside the file (${length} bytes)`);
