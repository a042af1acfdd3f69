import type { NetworkDesired, OsDesired, SwarmStats, TorrentError, TorrentReady, TorrentRetired } from '@boottorrent/contracts';
import { isBtError, type Logger } from '@boottorrent/runtime';
import { FileOverwritten } from './errors.js';
import { HttpEndpoint } from './http-endpoint.js';
import { InfoCache } from './info-cache.js';
import { openOsFiles, type OpenedFile, type OpenedOs } from './os-files.js';
import { retireNow, SwarmView } from './retirement.js';
import { announceList, describe, type Endpoint, type RetireReason, type Seeded } from './seeded.js';
import { SwarmClient } from './swarm-client.js';
import { buildTorrent } from './torrent-builder.js';

/** How often files are checked for in-place changes and retiring torrents reconsidered. */
export const TICK_MS = 2000;
/** How soon an OS whose files could not be seeded is tried again (its desired state unchanged). */
export const ERROR_RETRY_MS = 30_000;

/** Where the seeder's observations go (NATS in the service, a recorder in tests). */
export interface SeederSink {
  ready(ready: TorrentReady): Promise<void>;
  error(error: TorrentError): void;
  retired(retired: TorrentRetired): void;
  /** The OS has no torrent from this seeder any more (removed, or its files broke). */
  gone(os: string): Promise<void>;
}

export interface SeederOptions {
  projectDir: string;
  stateDir: string;
  /** Overrides network.address for listening. */
  bindHost?: string | undefined;
  /** Overrides network.address in URLs. */
  advertiseAddress?: string | undefined;
  graceMs: number;
  seeder: TorrentReady['seeder'];
  logger: Logger;
  sink: SeederSink;
}

/** An OS of the desired state and what became of it here. */
interface OsState {
  desired: OsDesired;
  /** The desired files this state was built from; a different signature means rebuild. */
  signature: string;
  seeded: Seeded | null;
  error: { code: string; message: string; retryAt: number } | null;
  /** The first build finished and its outcome (torrent ready or error) was reported. */
  settled: boolean;
}

function signatureOf(os: OsDesired): string {
  return JSON.stringify([os.dir, os.files]);
}

/**
 * Turns the desired OSes into seeded torrents and keeps them so: builds each OS's deterministic
 * torrent, seeds it, serves it over HTTP, replaces it when the files change (the old info-hash
 * keeps seeding until the tracker reports no leecher on it, or the grace period ends), and
 * reports every step. All changes run one at a time on an internal queue.
 */
export class Seeder {
  private network: NetworkDesired | null = null;
  private desired: OsDesired[] | null = null;
  private swarm: SwarmClient | null = null;
  private swarmKey = '';
  private readonly http: HttpEndpoint;
  private readonly oses = new Map<string, OsState>();
  private readonly byHash = new Map<string, Seeded>();
  private readonly view = new SwarmView();
  private readonly cache: InfoCache;
  private queue: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private problem: string | null = null;

  constructor(private readonly options: SeederOptions) {
    this.cache = new InfoCache(`${options.stateDir}/hash-cache`, options.logger);
    this.http = new HttpEndpoint(this.byHash, options.logger, () => this.enqueue(() => this.checkFiles()));
    this.timer = setInterval(() => this.enqueue(() => this.tick()), TICK_MS);
    this.timer.unref();
  }

  setNetwork(network: NetworkDesired | null): Promise<void> {
    return this.enqueue(async () => {
      this.network = network;
      await this.applyNetwork();
      await this.applyOses();
    });
  }

  setOses(oses: OsDesired[] | null): Promise<void> {
    return this.enqueue(async () => {
      this.desired = oses;
      await this.applyOses();
    });
  }

  onSwarmStats(stats: SwarmStats): void {
    this.view.update(stats);
    void this.enqueue(() => this.retireDue());
  }

  readiness(): { ready: boolean; detail: string } {
    if (this.problem) return { ready: false, detail: this.problem };
    if (!this.network || !this.desired) return { ready: false, detail: 'waiting for desired state (network, oses)' };
    // Not ready before every OS has its torrent (or its error): whoever waits for readiness,
    // `start`'s summary included, would otherwise see OSes without an info-hash.
    const unsettled = this.desired.filter((os) => !this.oses.get(os.name)?.settled).length;
    if (unsettled > 0) return { ready: false, detail: `creating torrents: ${this.desired.length - unsettled} of ${this.desired.length} OS(es) done` };
    const current = [...this.oses.values()];
    const seeding = current.filter((state) => state.seeded).length;
    const failing = current.filter((state) => state.error).length;
    const retiring = [...this.byHash.values()].filter((seeded) => seeded.retiring).length;
    return { ready: true, detail: `seeding ${seeding} OS torrent(s), ${retiring} retiring, ${failing} failing` };
  }

  /** Torrents seeded now, current and retiring (for tests and the bench). */
  torrents(): ReadonlyArray<{ os: string; infoHash: string; retiring: boolean }> {
    return [...this.byHash.values()].map((seeded) => ({ os: seeded.os, infoHash: seeded.meta.infoHash, retiring: seeded.retiring !== null }));
  }

  get httpPort(): number | null {
    return this.http.port;
  }

  async close(): Promise<void> {
    await this.enqueue(async () => {
      this.closed = true;
      clearInterval(this.timer);
      await this.http.close();
      await this.swarm?.close();
      this.swarm = null;
      await Promise.all([...this.byHash.values()].map((seeded) => seeded.files.close()));
      this.byHash.clear();
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.closed) return;
      try {
        await step();
      } catch (err) {
        this.options.logger.error({ err }, 'seeder step failed');
      }
    });
    this.queue = run;
    return run;
  }

  private endpoint(): Endpoint | null {
    const port = this.http.port;
    if (!this.network || port === null) return null;
    return { network: this.network, advertise: this.options.advertiseAddress ?? this.network.address, httpPort: port };
  }

  /** Binds HTTP and the peer port where the network says, rebinding when that changes. */
  private async applyNetwork(): Promise<void> {
    const network = this.network;
    if (!network) return;
    const host = this.options.bindHost ?? network.address;
    this.problem = null;
    try {
      await this.http.bind(host, network.seeder.httpPort);
    } catch (err) {
      this.problem = err instanceof Error ? err.message : String(err);
      this.options.logger.error({ err }, 'seeder HTTP server could not listen');
    }
    const swarmOptions = { peerPort: network.seeder.peerPort, bindHost: host, announce: announceList(network), announceInterval: network.tracker.announceInterval };
    // The interval alone does not justify dropping every peer connection: the tracker tells
    // clients the new one on their next announce.
    const key = JSON.stringify({ ...swarmOptions, announceInterval: undefined });
    if (key !== this.swarmKey || !this.swarm) {
      await this.swarm?.close();
      this.swarm = null;
      try {
        this.swarm = await SwarmClient.start({ ...swarmOptions, logger: this.options.logger });
        this.swarmKey = key;
      } catch (err) {
        this.problem = err instanceof Error ? err.message : String(err);
        this.options.logger.error({ err }, 'seeder could not listen for peers');
      }
    }
    // The announce list and URLs live outside the info dictionary: re-wrap, re-seed, re-announce.
    for (const seeded of this.byHash.values()) await this.reseed(seeded, seeded.retiring === null);
  }

  private async reseed(seeded: Seeded, announceReady: boolean): Promise<void> {
    const endpoint = this.endpoint();
    if (!endpoint) return;
    const { torrentFile, ready } = describe(seeded.meta, endpoint, this.options.seeder);
    // The same desired state published again changes nothing: do not re-announce then.
    const changed = !Buffer.from(torrentFile).equals(Buffer.from(seeded.torrentFile)) || ready.torrentUrl !== seeded.ready.torrentUrl;
    seeded.torrentFile = torrentFile;
    seeded.ready = changed ? ready : seeded.ready;
    if (this.swarm && !this.swarm.has(seeded.meta.infoHash)) {
      await this.swarm.seed(seeded.meta, torrentFile, seeded.files, (file) => this.onFileChanged(seeded, file));
    }
    if (announceReady && changed) await this.options.sink.ready(seeded.ready);
  }

  private async applyOses(): Promise<void> {
    if (!this.desired || !this.endpoint() || !this.swarm) return;
    const wanted = new Map(this.desired.map((os) => [os.name, os]));
    for (const [name, state] of this.oses) {
      if (wanted.has(name)) continue;
      this.oses.delete(name);
      if (state.seeded) this.retire(state.seeded, 'removed');
      await this.options.sink.gone(name);
    }
    for (const os of this.desired) {
      const state = this.oses.get(os.name);
      if (state && state.signature === signatureOf(os) && (state.seeded || state.error)) continue;
      await this.build(os);
    }
  }

  /** Creates (or finds) the OS's torrent for its current files and makes it the OS's torrent. */
  private async build(os: OsDesired): Promise<void> {
    const swarm = this.swarm;
    const endpoint = this.endpoint();
    if (!swarm || !endpoint) return;
    const state: OsState = this.oses.get(os.name) ?? { desired: os, signature: '', seeded: null, error: null, settled: false };
    this.oses.set(os.name, state);
    state.desired = os;
    state.signature = signatureOf(os);
    const log = this.options.logger.child({ os: os.name });
    let opened: OpenedOs | null;
    try {
      opened = await openOsFiles(this.options.projectDir, os);
    } catch (err) {
      return this.fail(state, err);
    }
    try {
      const started = Date.now();
      const { meta, hashed } = await buildTorrent(opened, this.cache);
      log.info({ infoHash: meta.infoHash, bytes: meta.length, pieceLength: meta.pieceLength, hashed, ms: Date.now() - started }, 'torrent created');
      const previous = state.seeded;
      if (previous?.meta.infoHash === meta.infoHash) {
        // Same bytes (a touch, or the same file copied again): keep what is seeding.
        await opened.close();
        state.error = null;
        state.settled = true;
        return;
      }
      let seeded = this.byHash.get(meta.infoHash);
      if (seeded) {
        // The files went back to a version still being retired: it is current again.
        await opened.close();
        seeded.retiring = null;
      } else {
        const { torrentFile, ready } = describe(meta, endpoint, this.options.seeder);
        seeded = { os: os.name, meta, files: opened, torrentFile, ready, retiring: null };
        const fresh = seeded;
        await swarm.seed(meta, torrentFile, opened, (file) => this.onFileChanged(fresh, file));
        this.byHash.set(meta.infoHash, seeded);
      }
      opened = null;
      if (previous) this.retire(previous, 'replaced');
      state.seeded = seeded;
      state.error = null;
      await this.options.sink.ready(seeded.ready);
      state.settled = true;
    } catch (err) {
      await opened?.close();
      this.fail(state, err);
    }
  }

  private fail(state: OsState, err: unknown): void {
    const code = isBtError(err) ? err.code : 'BT_SEEDER_CREATE_FAILED';
    const message = err instanceof Error ? err.message : String(err);
    const repeated = state.error?.code === code && state.error.message === message;
    state.error = { code, message, retryAt: Date.now() + ERROR_RETRY_MS };
    state.settled = true;
    if (repeated) return;
    this.options.logger.warn({ os: state.desired.name, code, err }, 'OS cannot be seeded');
    this.options.sink.error({ os: state.desired.name, code, message, seeder: this.options.seeder, at: Date.now() });
  }

  private retire(seeded: Seeded, reason: RetireReason): void {
    if (seeded.retiring) return;
    seeded.retiring = { since: Date.now(), reason };
    this.options.logger.info({ os: seeded.os, infoHash: seeded.meta.infoHash, reason }, 'torrent retiring: keeps seeding until no node is on it');
  }

  private async finish(seeded: Seeded, reason: TorrentRetired['reason']): Promise<void> {
    this.byHash.delete(seeded.meta.infoHash);
    await this.swarm?.remove(seeded.meta.infoHash);
    await seeded.files.close();
    this.options.logger.info({ os: seeded.os, infoHash: seeded.meta.infoHash, reason }, 'torrent retired');
    this.options.sink.retired({ os: seeded.os, infoHash: seeded.meta.infoHash, reason, seeder: this.options.seeder, at: Date.now() });
  }

  private async tick(): Promise<void> {
    if (this.network && !this.swarm) await this.applyNetwork();
    await this.checkFiles();
    await this.retireDue();
    const now = Date.now();
    for (const state of this.oses.values()) {
      if (state.error && state.error.retryAt <= now) await this.build(state.desired);
    }
  }

  private async retireDue(): Promise<void> {
    if (!this.network) return;
    const policy = { graceMs: this.options.graceMs, announceInterval: this.network.tracker.announceInterval };
    const now = Date.now();
    for (const seeded of [...this.byHash.values()]) {
      const reason = retireNow(seeded, now, this.view, policy);
      if (reason) await this.finish(seeded, reason);
    }
  }

  private onFileChanged(seeded: Seeded, file: OpenedFile): void {
    this.options.logger.warn({ os: seeded.os, infoHash: seeded.meta.infoHash, file: file.path }, 'file changed in place under a seeded torrent');
    void this.enqueue(() => this.checkFiles());
  }

  /**
   * Retires at once every torrent whose files were overwritten in place: their old bytes are
   * gone, and serving the new ones under the old hashes would only feed peers corrupt pieces.
   */
  private async checkFiles(): Promise<void> {
    for (const seeded of [...this.byHash.values()]) {
      const changed = await seeded.files.changedFile();
      if (!changed) continue;
      const error = new FileOverwritten(seeded.os, changed.path, seeded.meta.infoHash);
      this.options.sink.error({ os: seeded.os, code: error.code, message: error.message, seeder: this.options.seeder, at: Date.now() });
      await this.finish(seeded, seeded.retiring?.reason ?? 'replaced');
      const state = this.oses.get(seeded.os);
      if (state?.seeded === seeded) {
        state.seeded = null;
        await this.options.sink.gone(seeded.os);
        // Build from what is on disk now; if the desired state has not caught up yet, this
        // reports a mismatch and the config service's next publication retries.
        await this.build(state.desired);
      }
    }
  }
}
