import type { Swarm, SwarmPeer, SwarmStats } from '@boottorrent/contracts';
import type { Server } from 'bittorrent-tracker';
import type { PeerFiguresBook } from './peer-figures.js';

/**
 * A snapshot of every swarm the tracker holds. Reading a peer evicts it when it has not
 * announced within the peer TTL (bittorrent-tracker's cache is lazy), so counts are taken
 * after the walk. Empty swarms that are not allowed (allow-list off, or retired) are dropped
 * so that garbage announces cannot grow the tracker's memory.
 */
export function snapshotSwarms(server: Server, book: PeerFiguresBook, tracker: string, keep: (infoHash: string) => boolean): SwarmStats {
  const swarms: Swarm[] = [];
  for (const [infoHash, swarm] of Object.entries(server.torrents)) {
    const peers: SwarmPeer[] = [];
    const listed = new Set<string>();
    for (const addr of swarm.peers.keys) {
      const peer = swarm.peers.peek(addr);
      if (!peer) continue;
      listed.add(addr);
      const figures = book.get(infoHash, addr);
      peers.push({
        address: addr,
        peerId: peer.peerId,
        uploaded: figures?.uploaded ?? 0,
        downloaded: figures?.downloaded ?? 0,
        left: figures?.left ?? 0,
        complete: peer.complete,
        lastAnnounceAt: figures?.lastAnnounceAt ?? 0,
      });
    }
    book.keepOnly(infoHash, listed);
    if (peers.length === 0 && !keep(infoHash)) {
      delete server.torrents[infoHash];
      book.forget(infoHash);
      continue;
    }
    swarms.push({
      infoHash,
      seeders: Math.max(0, swarm.complete),
      leechers: Math.max(0, swarm.incomplete),
      completed: book.completed(infoHash),
      peers,
    });
  }
  swarms.sort((a, b) => a.infoHash.localeCompare(b.infoHash));
  return { tracker, at: Date.now(), swarms };
}
