import { buckets, events, subscribe, TorrentReady, type BusLogger, type TypedKv } from '@boottorrent/contracts';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';

/**
 * The info-hashes this master serves: every torrent a seeder wrote to KV bt_torrents,
 * including earlier revisions still in the bucket's history (a replaced OS's old torrent keeps
 * seeding for nodes already on it, so its swarm must stay tracked), minus torrents the seeders
 * announced as retired.
 */
export class AllowList {
  private readonly allowed = new Set<string>();
  private readonly retired = new Set<string>();
  private stopWatch: (() => void) | null = null;
  private retiredSub: Subscription | null = null;

  has(infoHash: string): boolean {
    return this.allowed.has(infoHash) && !this.retired.has(infoHash);
  }

  /** Adds an info-hash (tests, and torrents announced on NATS before the KV update lands). */
  allow(infoHash: string): void {
    this.retired.delete(infoHash);
    this.allowed.add(infoHash);
  }

  size(): number {
    return [...this.allowed].filter((hash) => !this.retired.has(hash)).length;
  }

  async start(nc: NatsConnection, torrents: TypedKv<Record<string, typeof TorrentReady>>, logger: BusLogger): Promise<void> {
    // The whole history, then every change: TypedKv.watch gives only the latest values.
    const iterator = await torrents.kv.watch({ include: 'history' });
    this.stopWatch = () => iterator.stop();
    void (async () => {
      for await (const entry of iterator) {
        if (entry.operation !== 'PUT') continue;
        let json: unknown;
        try {
          json = JSON.parse(entry.string());
        } catch {
          logger.warn({ bucket: buckets.torrents.name, key: entry.key, code: 'BT_CONTRACT_NOT_JSON' }, 'ignored a torrent entry that is not JSON');
          continue;
        }
        const parsed = TorrentReady.safeParse(json);
        if (parsed.success) this.allow(parsed.data.infoHash);
        else logger.warn({ bucket: buckets.torrents.name, key: entry.key, code: 'BT_CONTRACT_VIOLATION' }, 'ignored an invalid torrent entry');
      }
    })();
    this.retiredSub = subscribe(nc, events.torrentRetired, (retired) => void this.retired.add(retired.infoHash), { logger });
  }

  stop(): void {
    this.stopWatch?.();
    this.retiredSub?.unsubscribe();
  }
}
