import { readFile } from 'node:fs/promises';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buckets, openBucket, type NetworkDesired, type OsDesired, type TorrentReady } from '@boottorrent/contracts';
import { createLogger } from '@boottorrent/runtime';
import { freePort, run, startNatsServer, startProcess, waitFor, type ManagedProcess, type NatsServerHandle } from '@boottorrent/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';

/*
 * The parts of the seeder benchmark: a real nats-server, the real tracker and seeder services
 * started from their compiled main.js (as `boottorrent start` does), and the desired state put
 * into KV as the config service would. Every process is recorded and stopped by its PID.
 */

const logger = createLogger('bench', { level: 'warn' });
const openDesired = (nc: NatsConnection) => openBucket(nc, buckets.desired, logger);
const openTorrents = (nc: NatsConnection) => openBucket(nc, buckets.torrents, logger);

export function serviceMain(service: 'seeder' | 'tracker'): string {
  return fileURLToPath(new URL(`../../../../services/${service}/dist/src/main.js`, import.meta.url));
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  kernel: string;
  node: string;
  aria2c: string;
  loadAtStart: number[];
}

export class SeederBench {
  private readonly processes: ManagedProcess[] = [];

  private constructor(
    readonly work: string,
    readonly nats: NatsServerHandle,
    readonly nc: NatsConnection,
    readonly network: NetworkDesired,
    private readonly desired: Awaited<ReturnType<typeof openDesired>>,
    private readonly torrents: Awaited<ReturnType<typeof openTorrents>>,
  ) {}

  static async start(work: string): Promise<SeederBench> {
    const nats = await startNatsServer();
    const nc = await connect({ servers: nats.url });
    const trackerPort = await freePort();
    const peerPort = await freePort();
    const httpPort = await freePort();
    const host = '127.0.0.1';
    // Web seed off: every byte a leecher gets comes from the BitTorrent peer being measured.
    const network: NetworkDesired = {
      address: host,
      interface: 'lo',
      api: { port: 8080, url: `http://${host}:8080` },
      tracker: { enabled: true, port: trackerPort, announceInterval: 2, announceUrls: [`http://${host}:${trackerPort}/announce`] },
      seeder: { peerPort, httpPort, webSeed: false, baseUrl: `http://${host}:${httpPort}` },
    };
    const desired = await openDesired(nc);
    await desired.put('network', network);
    const bench = new SeederBench(work, nats, nc, network, desired, await openTorrents(nc));
    await bench.startService('tracker', { BT_BIND_HOST: host });
    return bench;
  }

  /** Starts a service process and waits for its /readyz. */
  async startService(service: 'seeder' | 'tracker', env: Record<string, string>): Promise<ManagedProcess> {
    const healthPort = await freePort();
    const proc = startProcess(service, process.execPath, [serviceMain(service)], {
      env: { ...process.env, BT_NATS_URL: this.nats.url, BT_LOG_LEVEL: 'info', BT_HEALTH_PORT: String(healthPort), ...env },
    });
    this.processes.push(proc);
    const ready = async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => null))?.status === 200;
    await waitFor(ready, { timeoutMs: 60_000, intervalMs: 200, what: `${service} ready` }).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${proc.lines.slice(-20).join('\n')}`);
    });
    return proc;
  }

  track(proc: ManagedProcess): ManagedProcess {
    this.processes.push(proc);
    return proc;
  }

  async setOses(projectDir: string, oses: OsDesired[]): Promise<void> {
    await this.desired.put('oses', { projectDir, oses });
  }

  async waitTorrent(os: string, timeoutMs = 600_000): Promise<TorrentReady> {
    return waitFor(async () => this.torrents.get(os), { timeoutMs, intervalMs: 200, what: `torrent of ${os}` });
  }

  /** GET /stats.json of the tracker: seeders on an info-hash. */
  async seeders(infoHash: string): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${this.network.tracker.port}/stats.json`);
    const stats = (await res.json()) as { swarms: Array<{ infoHash: string; seeders: number }> };
    return stats.swarms.find((swarm) => swarm.infoHash === infoHash)?.seeders ?? 0;
  }

  async machine(): Promise<MachineInfo> {
    const aria2c = await run('aria2c', ['--version']).then((out) => out.split('\n')[0] ?? '?', () => 'unknown');
    return { cpus: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? '?', kernel: release(), node: process.version, aria2c, loadAtStart: loadavg() };
  }

  async close(): Promise<void> {
    for (const proc of this.processes.reverse()) await proc.stop(5000).catch(() => undefined);
    this.processes.length = 0;
    await this.nc.close().catch(() => undefined);
    await this.nats.dispose();
  }
}

/** Resident set size figures of a process, from /proc/<pid>/status, in bytes. */
export async function memoryOf(pid: number): Promise<{ rss: number; peak: number } | null> {
  try {
    const status = await readFile(join('/proc', String(pid), 'status'), 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return null;
  }
}
