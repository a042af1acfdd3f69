// The parts of parse-torrent 11 the seeder uses (the package ships no types).
declare module 'parse-torrent' {
  export interface InfoDict {
    name: string | Uint8Array;
    'piece length': number;
    pieces: Uint8Array;
    files?: Array<{ length: number; path: Array<string | Uint8Array> }>;
    length?: number;
    private?: number;
    [key: string]: unknown;
  }

  export interface ParsedTorrent {
    info: InfoDict;
    infoBuffer: Uint8Array;
    infoHash: string;
    name: string;
    announce: string[];
    urlList: string[];
    files: Array<{ path: string; name: string; length: number; offset: number }>;
    length: number;
    pieceLength: number;
    lastPieceLength: number;
    pieces: string[];
    private?: boolean;
    created?: Date;
    createdBy?: string;
    comment?: string;
  }

  export default function parseTorrent(torrentId: Uint8Array | string): Promise<ParsedTorrent>;
  export function toTorrentFile(parsed: { info: InfoDict; announce?: string[]; urlList?: string[] }): Uint8Array;
  export function toMagnetURI(parsed: { infoHash: string; name?: string; announce?: string[]; urlList?: string[] }): string;
}
