import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_LINGER_MAX_RATIO, DEFAULT_LINGER_MAX_SECONDS, defaultProjectFile, renderProjectFile, type ProjectConfig } from '@boottorrent/project';
import { run } from '@boottorrent/testing';
import type { Cleanup } from './cleanup.js';
import type { CpuAccount } from './cpu.js';
import { lingerOf, parseEnvDoc, sameLinger, type LingerPolicy } from './env-doc.js';
import { parseSeedEvent, type SeedEvent } from './master-events.js';
import type { Host } from './topology.js';

/*
 * The master of the benchmark is the real one: `boottorrent start` (NATS, config with the
 * boot API, tracker, seeder, image-builder, dhcp) inside the master namespace, on a project
 * written here with one OS of the requested size. DHCP is off (nodes have fixed addresses) and
 * the image-builder never builds (the agents run from the source tree, not from an initrd).
 */

export const BENCH_OS = 'bench';
export const API_PORT = 8080;
/** The central scenario's plain HTTP server (busybox httpd), next to the master's services. */
export const CENTRAL_HTTP_PORT = 8090;
/** The kernel file of the bench OS; the initrd takes the rest of the image. */
const KERNEL_BYTES = 1024 * 1024;

/** Our policy (the project defaults) and the original BootTorrent's behaviour (leave at once). */
export const LINGER_POLICY: LingerPolicy = { untilSwarmDone: true, minSeconds: 0, maxSeconds: DEFAULT_LINGER_MAX_SECONDS, maxRatio: DEFAULT_LINGER_MAX_RATIO };
export const NO_LINGER_POLICY: LingerPolicy = { untilSwarmDone: false, minSeconds: 0, maxSeconds: 0, maxRatio: 0 };

export type ProjectOverrides = Record<string, string | number | boolean>;

export interface BenchProject {
  dir: string;
  osDir: string;
  imageBytes: number;
  files: string[];
  /** Boottorrent.yaml keys set by --set (experiments with the product's own settings). */
  overrides: ProjectOverrides;
}

/** Writes oss/bench (random, incompressible content of exactly imageBytes) and Boottorrent.yaml. */
export async function writeBenchProject(dir: string, master: Host, imageBytes: number, linger: LingerPolicy, overrides: ProjectOverrides = {}): Promise<BenchProject> {
  const osDir = join(dir, 'oss', BENCH_OS);
  await mkdir(osDir, { recursive: true });
  const kernelBytes = Math.min(KERNEL_BYTES, Math.floor(imageBytes / 4));
  await writeRandomFile(join(osDir, 'vmlinuz'), kernelBytes);
  await writeRandomFile(join(osDir, 'initrd'), imageBytes - kernelBytes);
  await writeFile(join(osDir, 'config.yaml'), 'dispname: Swarm benchmark image (random bytes)\nkernel: vmlinuz\ninitrd: initrd\ncmdline: console=ttyS0\n');
  await writeProjectFile(dir, master, linger, overrides);
  return { dir, osDir, imageBytes, files: ['vmlinuz', 'initrd'], overrides };
}

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  const chunk = 4 * 1024 * 1024;
  for (let done = 0; done < bytes; done += chunk) {
    if (!out.write(randomBytes(Math.min(chunk, bytes - done)))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

export function benchProjectConfig(master: Host, linger: LingerPolicy, overrides: ProjectOverrides = {}): ProjectConfig {
  const config = defaultProjectFile({ address: master.address, interface: master.dev });
  config.dhcp.mode = 'off';
  config.boot.default_os = BENCH_OS;
  config.boot.unknown_nodes = 'default';
  config.boot.timeout = 0;
  config.linger = { until_swarm_done: linger.untilSwarmDone, min_seconds: linger.minSeconds, max_seconds: linger.maxSeconds, max_ratio: linger.maxRatio };
  for (const [path, value] of Object.entries(overrides)) {
    const [section, key] = path.split('.') as [string, string];
    const target = (config as unknown as Record<string, Record<string, unknown>>)[section];
    if (!target || !(key in target)) throw new Error(`BT_BENCH_BAD_SETTING: Boottorrent.yaml has no key ${path}`);
    target[key] = value;
  }
  return config;
}

async function writeProjectFile(dir: string, master: Host, linger: LingerPolicy, overrides: ProjectOverrides): Promise<void> {
  const text = renderProjectFile(benchProjectConfig(master, linger, overrides), { header: ['Written by `pnpm bench swarm`: one OS of random bytes, DHCP off, nodes on fixed addresses.', ''] });
  await writeFile(join(dir, 'Boottorrent.yaml'), text);
}

export interface RunningMaster {
  host: Host;
  apiUrl: string;
  infoHash: string;
  manifest: Record<string, string>;
  /** GET a boot API path from inside the master's namespace. */
  get(path: string): Promise<string>;
  setLinger(policy: LingerPolicy): Promise<void>;
  /** Seeder disruptions seen in the master's log so far (see master-events.ts). */
  readonly seedEvents: SeedEvent[];
}

/** Starts `boottorrent start` in the master's namespace and waits for the bench OS's manifest. */
export async function startMaster(options: {
  repoRoot: string;
  host: Host;
  project: BenchProject;
  workDir: string;
  cleanup: Cleanup;
  account: CpuAccount;
  timeoutS?: number;
}): Promise<RunningMaster> {
  const { host, project, workDir, cleanup } = options;
  const cli = join(options.repoRoot, 'packages', 'cli', 'dist', 'src', 'main.js');
  const stateDir = join(workDir, 'master-state');
  const artifacts = join(workDir, 'phase1-unused');
  await mkdir(artifacts, { recursive: true });
  const log = createWriteStream(join(workDir, 'master.log'));
  const child: ChildProcess = spawn(
    'ip',
    ['netns', 'exec', host.ns, process.execPath, cli, 'start', '--project', project.dir, '--state-dir', stateDir, '--artifacts', artifacts, '--json', '--no-preflight', '--log-level', 'info', '--ready-timeout', '120'],
    // The agents run from the source tree: the image-builder has nothing to build.
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BT_BUILD_ON_START: 'never' } },
  );
  if (child.pid === undefined) throw new Error('BT_BENCH_MASTER: could not start `boottorrent start`');
  cleanup.addPid(child.pid);
  await options.account.add(child.pid);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const seedEvents: SeedEvent[] = [];
  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = parseSeedEvent(line);
      if (event) seedEvents.push(event);
    });
  }

  const apiUrl = `http://${host.address}:${API_PORT}`;
  const get = (path: string) => run('ip', ['netns', 'exec', host.ns, 'curl', '-sf', '--max-time', '5', `${apiUrl}${path}`]);
  const deadline = Date.now() + (options.timeoutS ?? 180) * 1000;
  let manifest: Record<string, string> | null = null;
  while (!manifest) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`BT_BENCH_MASTER: \`boottorrent start\` exited; see ${join(workDir, 'master.log')}:\n${await tail(join(workDir, 'master.log'))}`);
    if (Date.now() > deadline) throw new Error(`BT_BENCH_MASTER: no manifest for ${BENCH_OS} after ${options.timeoutS ?? 180} s; see ${join(workDir, 'master.log')}`);
    manifest = await get(`/api/manifest/${BENCH_OS}?format=env`).then(parseEnvDoc, () => null);
    if (!manifest) await sleep(500);
  }
  const infoHash = manifest.BT_INFOHASH ?? '';
  const master: RunningMaster = {
    host,
    apiUrl,
    infoHash,
    manifest,
    get,
    seedEvents,
    async setLinger(policy: LingerPolicy) {
      // Every change of the project makes the config service republish; write only real changes.
      if (sameLinger(lingerOf(master.manifest), policy)) return;
      await writeProjectFile(project.dir, host, policy, project.overrides);
      // The config service watches the project folder and republishes; wait until the manifest says so.
      const until = Date.now() + 30_000;
      for (;;) {
        const next = await get(`/api/manifest/${BENCH_OS}?format=env`).then(parseEnvDoc, () => null);
        if (next && sameLinger(lingerOf(next), policy)) {
          if (next.BT_INFOHASH !== infoHash) throw new Error(`BT_BENCH_MASTER: the info-hash changed with the linger policy (${infoHash} -> ${next.BT_INFOHASH})`);
          master.manifest = next;
          return;
        }
        if (Date.now() > until) throw new Error('BT_BENCH_MASTER: the boot API did not take the new linger policy within 30 s');
        await sleep(300);
      }
    },
  };
  return master;
}

/** The tracker's view of the bench swarm, through the boot API (what the agents' linger asks). */
export async function swarmView(master: RunningMaster): Promise<{ known: boolean; seeders: number; leechers: number }> {
  const doc = await master.get(`/api/swarms/${master.infoHash}?format=env`).then(parseEnvDoc, () => ({}) as Record<string, string>);
  return { known: doc.BT_SWARM_KNOWN === '1', seeders: Number(doc.BT_SWARM_SEEDERS ?? 0), leechers: Number(doc.BT_SWARM_LEECHERS ?? 0) };
}

/** A run starts only this long after the seeder last dropped and re-added the torrent. */
export const SEED_QUIET_MS = 8000;

/**
 * Waits until the tracker lists the master's seed and no leecher, and the seeder has been quiet
 * (no torrent dropped and re-added) for SEED_QUIET_MS: a clean start for the next run.
 */
export async function waitSwarmIdle(master: RunningMaster, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const view = await swarmView(master);
    const lastEvent = master.seedEvents.at(-1)?.at ?? 0;
    if (view.known && view.leechers === 0 && view.seeders === 1 && Date.now() - lastEvent >= SEED_QUIET_MS) return true;
    await sleep(1000);
  }
  return false;
}

/** busybox httpd serving the OS folder: the central scenario's server (today's netboot). */
export function startCentralServer(host: Host, project: BenchProject, cleanup: Cleanup, account: CpuAccount): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', host.ns, 'busybox', 'httpd', '-f', '-p', `${host.address}:${CENTRAL_HTTP_PORT}`, '-h', project.osDir], { stdio: 'ignore' });
  if (child.pid === undefined) throw new Error('BT_BENCH_HTTPD: could not start busybox httpd');
  cleanup.addPid(child.pid);
  void account.add(child.pid);
  return child;
}

async function tail(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-15).join('\n');
}
