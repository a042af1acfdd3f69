// The parts of webtorrent 3 the seeder uses (the package ships no types).
declare module 'webtorrent' {
  import type { EventEmitter } from 'node:events';
  import type { Server } from 'node:net';

  export interface ChunkStore {
    readonly chunkLength: number;
    get(index: number, opts: { offset?: number; length?: number } | null | ((err: Error | null, buf?: Uint8Array) => void), cb?: (err: Error | null, buf?: Uint8Array) => void): void;
    put(index: number, buf: Uint8Array, cb?: (err: Error | null) => void): void;
    close(cb?: (err?: Error | null) => void): void;
    destroy(cb?: (err?: Error | null) => void): void;
  }

  export type ChunkStoreConstructor = new (chunkLength: number, opts: Record<string, unknown>) => ChunkStore;

  export interface TorrentOptions {
    announce?: string[];
    path?: string;
    store?: ChunkStoreConstructor;
    storeCacheSlots?: number;
    skipVerify?: boolean;
    strategy?: 'sequential' | 'rarest';
    private?: boolean;
    uploads?: number;
    destroyStoreOnDestroy?: boolean;
    alwaysChokeSeeders?: boolean;
  }

  export interface TrackerClient {
    setInterval(intervalMs?: number): void;
    update(opts?: Record<string, unknown>): void;
  }

  export interface Torrent extends EventEmitter {
    readonly infoHash: string;
    readonly ready: boolean;
    readonly done: boolean;
    readonly uploaded: number;
    readonly numPeers: number;
    readonly discovery: { tracker: TrackerClient | null } | null;
    destroy(opts?: { destroyStore?: boolean }, cb?: (err?: Error | null) => void): void;
  }

  export interface WebTorrentOptions {
    dht?: boolean;
    lsd?: boolean;
    utPex?: boolean;
    utp?: boolean;
    natUpnp?: boolean;
    natPmp?: boolean;
    webSeeds?: boolean;
    torrentPort?: number;
    tracker?: false | Record<string, unknown>;
    maxConns?: number;
    seedOutgoingConnections?: boolean;
  }

  export default class WebTorrent extends EventEmitter {
    constructor(opts?: WebTorrentOptions);
    torrentPort: number;
    readonly listening: boolean;
    readonly destroyed: boolean;
    readonly torrents: Torrent[];
    /** Internal: the TCP listener pool. The seeder rebinds its server to the configured host. */
    readonly _connPool: { tcpServer: Server } | null;
    add(torrentId: Uint8Array | string, opts?: TorrentOptions, onTorrent?: (torrent: Torrent) => void): Torrent;
    get(torrentId: string): Promise<Torrent | null>;
    remove(torrentId: string | Torrent, opts?: { destroyStore?: boolean }, cb?: (err?: Error | null) => void): Promise<void>;
    destroy(cb?: (err?: Error | null) => void): void;
  }
}
