import createTorrent, { type NamedStream } from 'create-torrent';
import parseTorrent from 'parse-torrent';
import { CreateFailed, FileChanged } from './errors.js';
import type { InfoCache } from './info-cache.js';
import { rangeStream, type OpenedOs } from './os-files.js';
import { pieceLengthFor } from './piece-length.js';
import { canonicalInfo, infoOnlyTorrent, metaFromTorrent, type TorrentMeta } from './torrent-meta.js';

/** Read-ahead per file while hashing: large reads keep the disk busy and the hashing fed. */
const HASH_READ_BYTES = 1024 * 1024;

/**
 * Hashes the OS's files with create-torrent, reading through the handles we keep (so the
 * torrent describes exactly the bytes we will serve), and returns the piece hashes.
 */
function hashPieces(os: OpenedOs, pieceLength: number, onProgress?: (hashed: number, total: number) => void): Promise<Uint8Array> {
  const streams: NamedStream[] = os.files.map((file) => {
    // Positional reads, in a stream that never closes the handle the chunk store and the web
    // seed share (see rangeStream).
    const stream = rangeStream(file, 0, file.length - 1, HASH_READ_BYTES) as NamedStream;
    // create-torrent derives names from paths; ours are rebuilt in canonicalInfo, but a prefix
    // keeps its common-folder heuristics from touching the hashing order.
    stream.fullPath = `${os.name}/${file.path}`;
    return stream;
  });
  return new Promise((resolve, reject) => {
    createTorrent(
      streams,
      {
        name: os.name,
        pieceLength,
        // Never let create-torrent add its public trackers; ours are added when wrapping.
        announceList: [],
        urlList: [],
        filterJunkFiles: false,
        ...(onProgress ? { onProgress } : {}),
      },
      (err, torrent) => {
        if (err || !torrent) return reject(err ?? new Error('create-torrent returned nothing'));
        parseTorrent(torrent).then((parsed) => {
          if (parsed.length !== os.length) return reject(new Error(`hashed ${parsed.length} bytes, expected ${os.length}`));
          resolve(parsed.info.pieces);
        }, reject);
      },
    );
  });
}

export interface BuildResult {
  meta: TorrentMeta;
  /** False when the info came from the hash cache. */
  hashed: boolean;
}

/**
 * The deterministic torrent of an OS: same files (names, order, bytes) -> same info-hash on
 * every host and every run. Uses the hash cache when the exact file versions were hashed before.
 */
export async function buildTorrent(os: OpenedOs, cache: InfoCache | null, onProgress?: (hashed: number, total: number) => void): Promise<BuildResult> {
  if (os.length === 0) throw new CreateFailed(os.name, 'every file is empty');
  const pieceLength = pieceLengthFor(os.length);
  const cached = await cache?.get(os, pieceLength);
  if (cached) return { meta: cached, hashed: false };

  let pieces: Uint8Array;
  try {
    pieces = await hashPieces(os, pieceLength, onProgress);
  } catch (err) {
    throw new CreateFailed(os.name, err instanceof Error ? err.message : String(err)).causedBy(err);
  }
  // A file written to while we read it gives hashes of bytes nobody has: refuse, retry later.
  const changed = await os.changedFile();
  if (changed) throw new FileChanged(os.name, changed.path);

  const info = canonicalInfo(os.name, pieceLength, pieces, os.files);
  const meta = await metaFromTorrent(infoOnlyTorrent(info));
  await cache?.put(os, meta);
  return { meta, hashed: true };
}
