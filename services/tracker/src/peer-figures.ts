import type { AnnounceParams, Server } from 'bittorrent-tracker';

/** What a peer said about itself in its latest announce. */
export interface PeerFigures {
  uploaded: number;
  downloaded: number;
  left: number;
  lastAnnounceAt: number;
}

/** Announce counters come as decimal strings (HTTP) or 64-bit numbers (UDP); anything odd is 0. */
function count(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : NaN;
  return Number.isFinite(n) && n >= 0 ? Math.min(Math.floor(n), Number.MAX_SAFE_INTEGER) : 0;
}

/**
 * bittorrent-tracker keeps, per peer, only whether it is complete. The lab tests and the
 * dashboard want more: how much each peer uploaded and downloaded (proof that nodes fed each
 * other, not only the seed) and how much it has left. This listens to the server's announce
 * events and keeps those figures, plus how many `completed` events each torrent saw.
 */
export class PeerFiguresBook {
  private readonly figures = new Map<string, Map<string, PeerFigures>>();
  private readonly completedCount = new Map<string, number>();

  attach(server: Server): void {
    const record = (_addr: string, params: AnnounceParams) => this.record(params);
    for (const event of ['start', 'update', 'complete', 'pause']) server.on(event, record);
    server.on('complete', (_addr: string, params: AnnounceParams) => {
      this.completedCount.set(params.info_hash, (this.completedCount.get(params.info_hash) ?? 0) + 1);
    });
    server.on('stop', (_addr: string, params: AnnounceParams) => {
      this.figures.get(params.info_hash)?.delete(params.addr);
    });
  }

  private record(params: AnnounceParams): void {
    let swarm = this.figures.get(params.info_hash);
    if (!swarm) {
      swarm = new Map();
      this.figures.set(params.info_hash, swarm);
    }
    swarm.set(params.addr, {
      uploaded: count(params.uploaded),
      downloaded: count(params.downloaded),
      left: count(params.left),
      lastAnnounceAt: Date.now(),
    });
  }

  get(infoHash: string, addr: string): PeerFigures | undefined {
    return this.figures.get(infoHash)?.get(addr);
  }

  completed(infoHash: string): number {
    return this.completedCount.get(infoHash) ?? 0;
  }

  /** Drops figures of peers the tracker no longer lists (timed out or stopped). */
  keepOnly(infoHash: string, addrs: ReadonlySet<string>): void {
    const swarm = this.figures.get(infoHash);
    if (!swarm) return;
    for (const addr of swarm.keys()) if (!addrs.has(addr)) swarm.delete(addr);
  }

  forget(infoHash: string): void {
    this.figures.delete(infoHash);
    this.completedCount.delete(infoHash);
  }
}
