import parseTorrent, { toMagnetURI, toTorrentFile, type InfoDict } from 'parse-torrent';

/** What a deterministic torrent of an OS is: its info dictionary and facts derived from it. */
export interface TorrentMeta {
  /** The OS name, which is also the torrent's name (its top folder). */
  readonly name: string;
  readonly infoHash: string;
  readonly info: InfoDict;
  readonly pieceLength: number;
  readonly pieceCount: number;
  readonly length: number;
  /** In torrent order, paths relative to the top folder. */
  readonly files: ReadonlyArray<{ path: string; length: number }>;
}

/** Where clients find peers and bytes; not part of the info-hash. */
export interface TorrentWrapping {
  announce: readonly string[];
  /** BEP 19 url-list. */
  webSeeds: readonly string[];
}

/**
 * Builds the canonical info dictionary: the OS name, the piece length, the piece hashes and
 * the files in the given order. Nothing else (no private flag: aria2c turns peer exchange off
 * for private torrents; no creator, no date: those would differ between hosts). Always the
 * multi-file layout, even for an OS of one file, so a torrent's files always land at
 * <dir>/<name>/<path> on the nodes.
 */
export function canonicalInfo(name: string, pieceLength: number, pieces: Uint8Array, files: ReadonlyArray<{ path: string; length: number }>): InfoDict {
  return {
    name,
    'piece length': pieceLength,
    pieces,
    files: files.map((file) => ({ length: file.length, path: file.path.split('/') })),
  };
}

/** Decodes a .torrent (or an info-only cache entry) into TorrentMeta, checking its shape. */
export async function metaFromTorrent(bytes: Uint8Array): Promise<TorrentMeta> {
  const parsed = await parseTorrent(bytes);
  const prefix = `${parsed.name}/`;
  return {
    name: parsed.name,
    infoHash: parsed.infoHash,
    info: parsed.info,
    pieceLength: parsed.pieceLength,
    pieceCount: parsed.pieces.length,
    length: parsed.length,
    // parse-torrent joins the name in front of every path; the contract wants them relative.
    files: parsed.files.map((file) => ({
      path: (file.path.startsWith(prefix) ? file.path.slice(prefix.length) : file.path).split('\\').join('/'),
      length: file.length,
    })),
  };
}

/** An info-only torrent (no announce, no url-list): what the hash cache stores. */
export function infoOnlyTorrent(info: InfoDict): Uint8Array {
  return toTorrentFile({ info, announce: [], urlList: [] });
}

/**
 * The .torrent file clients download: the info dictionary wrapped with our announce list and
 * web seeds, and nothing else (no creation date or creator), so the same inputs give the same
 * bytes on every run.
 */
export function wrapTorrent(meta: TorrentMeta, wrapping: TorrentWrapping): { torrentFile: Uint8Array; magnet: string } {
  const announce = [...wrapping.announce];
  const urlList = [...wrapping.webSeeds];
  const torrentFile = toTorrentFile({ info: meta.info, announce, urlList });
  const magnet = toMagnetURI({ infoHash: meta.infoHash, name: meta.name, announce, urlList });
  return { torrentFile, magnet };
}
