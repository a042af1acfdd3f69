import { once } from 'node:events';
import type { Logger } from '@boottorrent/runtime';
import WebTorrent, { type Torrent } from 'webtorrent';
import { diskStoreFor } from './disk-store.js';
import { PortInUse, SeedFailed } from './errors.js';
import type { OpenedFile, OpenedOs } from './os-files.js';
import type { TorrentMeta } from './torrent-meta.js';

/**
 * Upload slots of the seed. webtorrent's default (10) re-evaluated every 10 s; on a boot LAN
 * every peer is ours, so the seed may as well feed more of them at once.
 */
const SEED_UPLOAD_SLOTS = 16;
/** Pieces kept in memory in front of the disk (256 KiB each at the usual piece length). */
const PIECE_CACHE_SLOTS = 32;

export interface SwarmClientOptions {
  peerPort: number;
  bindHost: string;
  /** Our tracker URLs only; empty when the tracker is off (web seed and PEX remain). */
  announce: readonly string[];
  /** Seconds between announces (the tracker says the same; used until it answers once). */
  announceInterval: number;
  logger: Logger;
}

/**
 * The seeder's BitTorrent side: one webtorrent client listening on a fixed TCP port, seeding
 * torrents from disk. No DHT, no local peer discovery, no uTP (slower on a LAN), no UPnP/NAT-PMP
 * (they would send traffic off the boot network), no WebRTC, our trackers only.
 */
export class SwarmClient {
  private readonly torrents = new Map<string, Torrent>();

  private constructor(
    private readonly client: WebTorrent,
    readonly options: SwarmClientOptions,
  ) {}

  static async start(options: SwarmClientOptions): Promise<SwarmClient> {
    const client = new WebTorrent({
      dht: false,
      lsd: false,
      utp: false,
      natUpnp: false,
      natPmp: false,
      webSeeds: false,
      utPex: true,
      // An ephemeral port first: webtorrent cannot bind a host, so we rebind right after.
      torrentPort: 0,
      tracker: options.announce.length > 0 ? {} : false,
    });
    const errors: Error[] = [];
    const onError = (err: Error) => errors.push(err);
    client.on('error', onError);
    try {
      if (!client.listening) await once(client, 'listening');
      await rebind(client, options.bindHost, options.peerPort);
    } catch (err) {
      if (!client.destroyed) client.destroy();
      const reason = err instanceof Error ? err.message : String(err);
      throw new PortInUse('BitTorrent peers', options.bindHost, options.peerPort, reason).causedBy(err);
    }
    client.off('error', onError);
    client.on('error', (err: Error) => options.logger.error({ err }, 'webtorrent client error'));
    return new SwarmClient(client, options);
  }

  /** Starts seeding; resolves once webtorrent reports the torrent ready (and announcing). */
  async seed(meta: TorrentMeta, torrentFile: Uint8Array, os: OpenedOs, onChanged: (file: OpenedFile) => void): Promise<void> {
    const log = this.options.logger.child({ os: meta.name, infoHash: meta.infoHash });
    const torrent = this.client.add(torrentFile, {
      store: diskStoreFor(os, meta.pieceLength, onChanged),
      storeCacheSlots: PIECE_CACHE_SLOTS,
      // The info-hash was computed from these very handles a moment ago (or cached for this
      // exact file version): verifying would read the whole image again for nothing.
      skipVerify: true,
      strategy: 'rarest',
      uploads: SEED_UPLOAD_SLOTS,
      destroyStoreOnDestroy: false,
      announce: [...this.options.announce],
    });
    this.torrents.set(meta.infoHash, torrent);
    torrent.on('warning', (err: Error) => log.debug({ err: err.message }, 'torrent warning'));
    try {
      await new Promise<void>((resolve, reject) => {
        torrent.once('ready', () => resolve());
        torrent.once('error', (err: Error) => reject(err));
      });
    } catch (err) {
      this.torrents.delete(meta.infoHash);
      torrent.destroy();
      throw new SeedFailed(meta.name, err instanceof Error ? err.message : String(err)).causedBy(err);
    }
    torrent.on('error', (err: Error) => log.error({ err }, 'torrent error'));
    // Until the tracker answers once, its client would wait 30 minutes before retrying (for
    // example after the tracker refused an info-hash it had not heard of yet). Re-announce
    // at the LAN interval from the start.
    torrent.discovery?.tracker?.setInterval(this.options.announceInterval * 1000);
    log.info({ peerPort: this.options.peerPort }, 'seeding');
  }

  /** Stops seeding; the files stay untouched. */
  async remove(infoHash: string): Promise<void> {
    const torrent = this.torrents.get(infoHash);
    if (!torrent) return;
    this.torrents.delete(infoHash);
    await new Promise<void>((resolve) => torrent.destroy({ destroyStore: false }, () => resolve()));
  }

  has(infoHash: string): boolean {
    return this.torrents.has(infoHash);
  }

  uploaded(infoHash: string): number {
    return this.torrents.get(infoHash)?.uploaded ?? 0;
  }

  async close(): Promise<void> {
    this.torrents.clear();
    await new Promise<void>((resolve) => this.client.destroy(() => resolve()));
  }
}

/** Moves webtorrent's TCP listener from its ephemeral all-interfaces port to host:port. */
async function rebind(client: WebTorrent, host: string, port: number): Promise<void> {
  const server = client._connPool?.tcpServer;
  if (!server) throw new Error('webtorrent has no TCP listener');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    // webtorrent's own error handler destroys the client; ours must see the error first.
    server.prependOnceListener('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // Announces carry client.torrentPort: make them name the port we listen on.
  client.torrentPort = port;
}
