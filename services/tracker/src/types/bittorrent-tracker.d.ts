// The parts of bittorrent-tracker 11's server the tracker service uses (no types shipped).
declare module 'bittorrent-tracker' {
  import type { EventEmitter } from 'node:events';
  import type { Socket } from 'node:dgram';
  import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';

  export interface TrackedPeer {
    type: string;
    complete: boolean;
    /** Hex. */
    peerId: string;
    ip: string;
    port: number;
  }

  export interface PeerCache {
    readonly keys: string[];
    /** Returns undefined, and evicts the peer, when it did not announce within the TTL. */
    peek(key: string): TrackedPeer | undefined;
    /** Entry lifetime in ms (the `lru` package reads it on every access). */
    maxAge: number;
  }

  export interface TrackerSwarm {
    readonly infoHash: string;
    complete: number;
    incomplete: number;
    readonly peers: PeerCache;
  }

  /** Parameters of an announce, as parsed from HTTP or UDP. */
  export interface AnnounceParams {
    info_hash: string;
    peer_id: string;
    ip: string;
    port: number;
    addr: string;
    left: number;
    uploaded?: string | number;
    downloaded?: string | number;
    event?: string;
    numwant: number;
    type: string;
  }

  export interface ServerOptions {
    /** Announce interval in ms. */
    interval?: number;
    trustProxy?: boolean;
    http?: boolean;
    udp?: boolean;
    ws?: boolean;
    stats?: boolean;
    filter?: (infoHash: string, params: AnnounceParams, cb: (err?: Error | null) => void) => void;
    peersCacheLength?: number;
    /** How long a peer that stopped announcing stays listed (ms). */
    peersCacheTtl?: number;
  }

  export class Server extends EventEmitter {
    constructor(opts?: ServerOptions);
    intervalMs: number;
    peersCacheTtl: number | undefined;
    http: HttpServer | null;
    udp4: Socket | null;
    udp6: Socket | null;
    torrents: Record<string, TrackerSwarm>;
    onHttpRequest(req: IncomingMessage, res: ServerResponse, opts?: Record<string, unknown>): void;
    close(cb?: (err?: Error | null) => void): void;
  }

  export default class Client extends EventEmitter {}
}
