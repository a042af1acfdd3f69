import type { DesiredState, OsDesired, Phase1Artifacts, SwarmStats, TorrentReady } from '@boottorrent/contracts';
import { NotReady, UnknownOs } from './errors.js';

/**
 * What the boot API answers from: the desired state this service published, and what the
 * other services reported (torrents from seeders, phase-1 artifacts from the image-builder,
 * swarm statistics from the tracker). Updated by the KV watches and subscriptions in app.ts,
 * or set directly in tests.
 */
export class BootState {
  desired: DesiredState | null = null;
  /** The current torrent of each OS, by OS name. */
  readonly torrents = new Map<string, TorrentReady>();
  phase1: Phase1Artifacts | null = null;
  swarmStats: SwarmStats | null = null;

  requireDesired(): DesiredState {
    if (!this.desired) throw new NotReady();
    return this.desired;
  }

  requireOs(name: string): OsDesired {
    const os = this.requireDesired().oses.oses.find((candidate) => candidate.name === name);
    if (!os) throw new UnknownOs(name);
    return os;
  }
}
