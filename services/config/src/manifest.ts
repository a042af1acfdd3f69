import type { NetworkDesired, OsDesired, OsManifest, PolicyDesired, TorrentReady } from '@boottorrent/contracts';
import type { ShellValue } from './shell-env.js';

/*
 * GET /api/manifest/:os: what phase-1 needs to fetch and boot an OS. Pure: desired state says
 * what the OS is and how nodes behave; the seeder's TorrentReady says how to fetch it.
 */

export type ManifestResult = { ok: true; manifest: OsManifest } | { ok: false; why: string };

function fileKey(file: { path: string; length: number }): string {
  return `${file.length} ${file.path}`;
}

/**
 * Why the torrent cannot be used for the OS as the project now describes it, or null. A torrent
 * made before the files changed would boot the old kernel with the new command line, so the
 * files must match exactly; the seeder publishes a new torrent once it has hashed them.
 */
export function torrentMismatch(os: OsDesired, torrent: TorrentReady): string | null {
  if (torrent.os !== os.name) return `the published torrent belongs to ${torrent.os}`;
  const wanted = os.files.map(fileKey).sort();
  const offered = new Set(torrent.files.map(fileKey));
  const missing = wanted.filter((key) => !offered.has(key));
  if (missing.length > 0 || offered.size !== wanted.length) {
    return `the published torrent (${torrent.infoHash}) does not hold the current files of ${os.dir}; the seeder is still hashing them`;
  }
  return null;
}

export function buildManifest(
  os: OsDesired,
  torrent: TorrentReady | null,
  network: NetworkDesired,
  policy: PolicyDesired,
): ManifestResult {
  if (!torrent) return { ok: false, why: 'no seeder has published it yet' };
  const mismatch = torrentMismatch(os, torrent);
  if (mismatch) return { ok: false, why: mismatch };
  return {
    ok: true,
    manifest: {
      os: os.name,
      dispname: os.dispname,
      infoHash: torrent.infoHash,
      torrentUrl: torrent.torrentUrl,
      trackers: [...network.tracker.announceUrls],
      webSeeds: network.seeder.webSeed ? [...torrent.webSeeds] : [],
      name: torrent.name,
      files: torrent.files.map((file) => ({ path: file.path, length: file.length })),
      length: torrent.length,
      pieceLength: torrent.pieceLength,
      kernel: os.kernel,
      initrd: os.initrd,
      cmdline: os.cmdline,
      linger: { ...policy.linger },
      client: { ...policy.client },
      apiUrl: network.api.url,
    },
  };
}

/** The manifest as the shell variables docs/boot-flow.md names, in that order. */
export function manifestEnv(manifest: OsManifest): Record<string, ShellValue> {
  return {
    BT_OS: manifest.os,
    BT_DISPNAME: manifest.dispname,
    BT_INFOHASH: manifest.infoHash,
    BT_TORRENT_URL: manifest.torrentUrl,
    BT_TRACKERS: manifest.trackers,
    BT_WEBSEEDS: manifest.webSeeds,
    BT_NAME: manifest.name,
    BT_FILE_COUNT: manifest.files.length,
    BT_LENGTH: manifest.length,
    BT_PIECE_LENGTH: manifest.pieceLength,
    BT_KERNEL: manifest.kernel,
    BT_INITRD: manifest.initrd,
    BT_CMDLINE: manifest.cmdline,
    BT_LINGER_UNTIL_DONE: manifest.linger.untilSwarmDone,
    BT_LINGER_MIN: manifest.linger.minSeconds,
    BT_LINGER_MAX: manifest.linger.maxSeconds,
    BT_LINGER_RATIO: manifest.linger.maxRatio,
    BT_PEX: manifest.client.peerExchange,
    BT_LPD: manifest.client.localPeerDiscovery,
    BT_LOG_LEVEL: manifest.client.logLevel,
    BT_LISTEN_PORT: manifest.client.listenPort,
    BT_WEBSEED_AFTER: manifest.client.webSeedAfterSeconds,
    BT_API: manifest.apiUrl,
  };
}
