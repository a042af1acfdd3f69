// The parts of create-torrent 6 the seeder uses (the package ships no types).
declare module 'create-torrent' {
  import type { Readable } from 'node:stream';

  export interface CreateTorrentOptions {
    name?: string;
    pieceLength?: number;
    announceList?: string[][];
    urlList?: string[];
    private?: boolean;
    filterJunkFiles?: boolean;
    onProgress?: (hashedBytes: number, totalBytes: number) => void;
  }

  /** A readable stream with the torrent path create-torrent should give it ("a/b/c"). */
  export type NamedStream = Readable & { fullPath?: string; name?: string };

  export default function createTorrent(
    input: NamedStream | NamedStream[] | string | string[],
    opts: CreateTorrentOptions,
    cb: (err: Error | null, torrent?: Uint8Array) => void,
  ): void;
}
