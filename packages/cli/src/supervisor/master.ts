import { mkdir } from 'node:fs/promises';
import { buckets, defaultHealthPorts, openBucket, serviceNames, type ServiceName } from '@boottorrent/contracts';
import type { LoadedProject } from '@boottorrent/project';
import { connect } from '@nats-io/transport-node';
import { waitFor } from './wait.js';
import { SupervisedChild, type ChildEvent } from './child.js';
import { serviceEntry, type StateLayout } from './layout.js';
import { waitAllReady, type ReadyState } from './readiness.js';

export interface MasterOptions {
  project: LoadedProject;
  layout: StateLayout;
  repoRoot: string;
  /** An existing NATS server; null runs our own nats-server with JetStream. */
  natsUrl: string | null;
  /** Port of our own nats-server (loopback only). */
  natsPort: number;
  /** Overrides the address the network services bind to (default: master.address). */
  bindHost: string | null;
  /** Where phase-1 artifacts live (default: <state>/image-builder/phase1). */
  artifactsDir: string | null;
  logLevel: string;
  readyTimeoutMs: number;
  /** Every output line of every child, and the supervisor's own lines. */
  onLine: (name: string, line: string) => void;
  onReadyChange?: (name: string, state: ReadyState) => void;
  /** Aborting (Ctrl-C while starting) stops what was started and rejects. */
  abortSignal?: AbortSignal;
}

export interface MasterSummary {
  apiUrl: string;
  trackerUrls: string[];
  interface: string;
  dhcpMode: string;
  natsUrl: string;
  stateDir: string;
  oses: Array<{ name: string; dispname: string; infoHash: string | null }>;
}

export interface RunningMaster {
  readonly natsUrl: string;
  readonly children: ReadonlyMap<string, SupervisedChild>;
  summary(): Promise<MasterSummary>;
  /** dhcp first, NATS last. */
  stop(): Promise<void>;
}

export const SUPERVISOR_NAME = 'boottorrent';

function supervisorLine(level: 30 | 40 | 50, msg: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ level, time: Date.now(), service: SUPERVISOR_NAME, msg, ...fields });
}

function describeEvent(event: ChildEvent): string {
  if (event.kind === 'started') {
    return supervisorLine(30, event.attempt > 1 ? `restarted ${event.name}` : `started ${event.name}`, { child: event.name, pid: event.pid, attempt: event.attempt });
  }
  const how = event.signal ? `signal ${event.signal}` : `exit code ${event.code}`;
  if (event.restartInMs === null) return supervisorLine(30, `${event.name} stopped`, { child: event.name, pid: event.pid });
  return supervisorLine(40, `${event.name} died (${how}); restarting in ${event.restartInMs / 1000} s`, {
    child: event.name,
    pid: event.pid,
    code: event.code,
    signal: event.signal,
    restartInMs: event.restartInMs,
  });
}

function serviceEnv(options: MasterOptions, service: ServiceName, natsUrl: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    BT_NATS_URL: natsUrl,
    BT_LOG_LEVEL: options.logLevel,
    BT_PROJECT_DIR: options.project.dir,
    BT_STATE_DIR: options.layout.serviceState(service),
    BT_HEALTH_PORT: String(defaultHealthPorts[service]),
    ...(options.bindHost ? { BT_BIND_HOST: options.bindHost } : {}),
    ...(service === 'image-builder' && options.artifactsDir ? { BT_ARTIFACT_DIR: options.artifactsDir } : {}),
  };
}

/**
 * Starts the whole master as child processes: nats-server (unless one is given), then config,
 * tracker, seeder, image-builder and dhcp; each is restarted with backoff if it dies. Resolves
 * once every service answers ready on its health endpoint.
 */
export async function startMaster(options: MasterOptions): Promise<RunningMaster> {
  const children = new Map<string, SupervisedChild>();
  const order: SupervisedChild[] = [];
  let stopping = false;
  const onEvent = (event: ChildEvent) => options.onLine(SUPERVISOR_NAME, describeEvent(event));
  const add = (child: SupervisedChild) => {
    children.set(child.spec.name, child);
    order.push(child);
    child.start();
  };

  const stop = async () => {
    stopping = true;
    for (const child of [...order].reverse()) await child.stop();
  };

  try {
    await mkdir(options.layout.root, { recursive: true });
    let natsUrl = options.natsUrl;
    if (natsUrl === null) {
      await mkdir(options.layout.natsStore, { recursive: true });
      add(
        new SupervisedChild(
          { name: 'nats', command: 'nats-server', args: ['-a', '127.0.0.1', '-p', String(options.natsPort), '-js', '-sd', options.layout.natsStore], env: process.env },
          options.onLine,
          onEvent,
        ),
      );
      natsUrl = `nats://127.0.0.1:${options.natsPort}`;
      const url = natsUrl;
      await waitFor(async () => {
        const nc = await connect({ servers: url, timeout: 1000 }).catch(() => null);
        await nc?.close();
        return nc !== null;
      }, { timeoutMs: 20_000, what: 'nats-server to accept connections' });
    }
    for (const service of serviceNames) {
      await mkdir(options.layout.serviceState(service), { recursive: true });
      add(
        new SupervisedChild(
          { name: service, command: process.execPath, args: [serviceEntry(options.repoRoot, service)], env: serviceEnv(options, service, natsUrl) },
          options.onLine,
          onEvent,
        ),
      );
    }
    await waitAllReady(
      serviceNames.map((service) => ({ name: service, url: `http://127.0.0.1:${defaultHealthPorts[service]}/readyz` })),
      { timeoutMs: options.readyTimeoutMs, onChange: (name, state) => options.onReadyChange?.(name, state), aborted: () => stopping || options.abortSignal?.aborted === true },
    );
    const finalNatsUrl = natsUrl;
    return { natsUrl: finalNatsUrl, children, stop, summary: () => readSummary(finalNatsUrl, options) };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** What `start` prints once ready, read back from the bus (so it shows what services really use). */
async function readSummary(natsUrl: string, options: MasterOptions): Promise<MasterSummary> {
  const nc = await connect({ servers: natsUrl });
  const quiet = { warn: () => undefined, error: () => undefined };
  try {
    const desired = await openBucket(nc, buckets.desired, quiet);
    const torrents = await openBucket(nc, buckets.torrents, quiet);
    const network = await desired.get('network');
    const dhcp = await desired.get('dhcp');
    const oses = (await desired.get('oses'))?.oses ?? [];
    return {
      apiUrl: network?.api.url ?? '(unknown)',
      trackerUrls: network?.tracker.enabled ? network.tracker.announceUrls : [],
      interface: dhcp?.interface ?? options.project.config.master.interface,
      dhcpMode: dhcp?.mode ?? options.project.config.dhcp.mode,
      natsUrl,
      stateDir: options.layout.root,
      oses: await Promise.all(oses.map(async (os) => ({ name: os.name, dispname: os.dispname, infoHash: (await torrents.get(os.name))?.infoHash ?? null }))),
    };
  } finally {
    await nc.close();
  }
}

export function formatSummary(summary: MasterSummary): string {
  const lines = [
    'BootTorrent master is up',
    `  boot API    ${summary.apiUrl}`,
    // The config service serves the live dashboard at the root of the boot API.
    `  dashboard   ${summary.apiUrl.startsWith('http') ? `${summary.apiUrl.replace(/\/+$/, '')}/` : summary.apiUrl}`,
    `  tracker     ${summary.trackerUrls.length > 0 ? summary.trackerUrls.join('  ') : 'off'}`,
    `  DHCP        ${summary.dhcpMode}${summary.dhcpMode === 'off' ? '' : ` on ${summary.interface}`}`,
    `  NATS        ${summary.natsUrl}`,
    `  state       ${summary.stateDir}`,
    `  OSes        ${summary.oses.length === 0 ? '(none)' : ''}`,
    ...summary.oses.map((os) => `    ${os.name.padEnd(16)} ${os.infoHash ?? '(not seeded yet)'}  ${os.dispname}`),
  ];
  return lines.join('\n');
}
