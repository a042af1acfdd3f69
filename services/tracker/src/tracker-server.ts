import { isIPv4 } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@boottorrent/runtime';
import { Server, type AnnounceParams } from 'bittorrent-tracker';
import { NotIpv4, PortInUse } from './errors.js';

/**
 * A peer that has not announced for this many intervals is dropped from its swarm (and stops
 * counting as a leecher or seeder). Nodes kexec into their OS without saying "stopped"; the
 * library's default of 20 minutes would keep them listed long after, and the linger policy and
 * torrent retirement both ask "are there leechers left?".
 */
export const PEER_TTL_INTERVALS = 3;
/** ...but never less than this, so one late announce does not drop a peer. */
export const MIN_PEER_TTL_SECONDS = 20;

export function peerTtlMs(announceInterval: number): number {
  return Math.max(PEER_TTL_INTERVALS * announceInterval, MIN_PEER_TTL_SECONDS) * 1000;
}

export interface TrackerServerOptions {
  host: string;
  port: number;
  /** Seconds between announces we ask clients for. */
  announceInterval: number;
  /** Decides whether an info-hash is tracked; a thrown/returned error becomes the failure reason. */
  allow: (infoHash: string) => Error | null;
  /** Our own HTTP routes (stats, health); return true when the request was answered. */
  route: (req: IncomingMessage, res: ServerResponse) => boolean;
  logger: Logger;
}

/**
 * bittorrent-tracker's server with HTTP and UDP announce + scrape, bound to one IPv4 address.
 *
 * The udp4/udp6 pitfall: the library always creates a udp6 socket next to udp4 and binds both
 * to the same hostname, which fails for an IPv4 address (and, unbound, would listen on every
 * interface). The boot LAN is IPv4, so the udp6 socket is closed before anything is bound, and
 * we bind the HTTP and udp4 listeners ourselves (the library's listen() would wait for udp6).
 * WebSocket (WebRTC) tracking and the library's HTML stats page are off.
 *
 * numwant: the library answers 50 peers by default and at most 82 (a UDP answer must stay
 * small), whatever a client asks: a huge numwant is clamped, a negative one yields no peers.
 */
export class TrackerServer {
  private constructor(
    readonly server: Server,
    readonly host: string,
    readonly port: number,
  ) {}

  static async start(options: TrackerServerOptions): Promise<TrackerServer> {
    if (!isIPv4(options.host)) throw new NotIpv4(options.host);
    const server = new Server({
      interval: options.announceInterval * 1000,
      http: true,
      udp: true,
      ws: false,
      stats: false,
      peersCacheTtl: peerTtlMs(options.announceInterval),
      filter: (infoHash: string, _params: AnnounceParams, cb: (err?: Error | null) => void) => cb(options.allow(infoHash)),
    });
    server.udp6?.close();
    server.udp6 = null;
    const http = server.http;
    const udp = server.udp4;
    if (!http || !udp) throw new Error('bittorrent-tracker did not create its HTTP and UDP listeners');
    // Registered now, before the library's own handler (added on the next tick).
    http.on('request', (req: IncomingMessage, res: ServerResponse) => {
      try {
        options.route(req, res);
      } catch (err) {
        options.logger.error({ err }, 'tracker route failed');
        if (!res.headersSent) res.writeHead(500).end();
      }
    });
    // Bad announces are the client's problem: the library answers a failure reason; keep a trace.
    server.on('warning', (err: Error) => options.logger.debug({ err: err.message }, 'tracker refused a request'));

    const startupErrors: Error[] = [];
    const onStartupError = (err: Error) => startupErrors.push(err);
    server.on('error', onStartupError);
    try {
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(options.port, options.host, () => {
          http.off('error', reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(options.port, options.host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      server.close();
      const reason = err instanceof Error ? err.message : String(err);
      throw new PortInUse('announces (HTTP and UDP)', options.host, options.port, reason).causedBy(err);
    }
    server.off('error', onStartupError);
    server.on('error', (err: Error) => options.logger.error({ err }, 'tracker listener error'));
    options.logger.info({ host: options.host, port: options.port, announceInterval: options.announceInterval }, 'tracker listening (HTTP + UDP)');
    return new TrackerServer(server, options.host, options.port);
  }

  /** Applies a new announce interval without dropping the swarms. */
  setAnnounceInterval(seconds: number): void {
    this.server.intervalMs = seconds * 1000;
    const ttl = peerTtlMs(seconds);
    this.server.peersCacheTtl = ttl;
    for (const swarm of Object.values(this.server.torrents)) swarm.peers.maxAge = ttl;
  }

  async close(): Promise<void> {
    this.server.http?.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
