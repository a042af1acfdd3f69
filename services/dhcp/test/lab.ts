import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buckets,
  events,
  openBucket,
  subscribe,
  type DhcpDesired,
  type DhcpObservation,
  type ServiceError,
} from '@boottorrent/contracts';
import { createLogger, parseEnv, type Logger } from '@boottorrent/runtime';
import { LabNetwork, startNatsServer, waitFor, type NatsServerHandle, type Netns } from '@boottorrent/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createDhcpService, type DhcpService } from '../src/app.js';
import { serviceEnv } from '../src/config.js';

/*
 * The real parts of a dhcp integration test: nats-server, the service (app.ts) in this
 * process, its dnsmasq inside a lab namespace with a bridge (10.77.0.1/24 on br0), and
 * client namespaces plugged into that bridge.
 */

const openDesired = (nc: NatsConnection, logger: Logger) => openBucket(nc, buckets.desired, logger);
type DesiredBucket = Awaited<ReturnType<typeof openDesired>>;

export interface DhcpLab {
  lab: LabNetwork;
  nats: NatsServerHandle;
  nc: NatsConnection;
  desired: DesiredBucket;
  service: DhcpService;
  stateDir: string;
  /** Scratch folder for client scripts and fetched files. */
  workDir: string;
  observations: DhcpObservation[];
  errors: ServiceError[];
  /** Puts a desired state and waits until the service has applied (or rejected) that revision. */
  putDesired(value: DhcpDesired): Promise<number>;
  /** A client namespace on the bridge with a fixed MAC. */
  client(mac: string): Promise<Netns>;
  dispose(): Promise<void>;
}

export async function startDhcpLab(env: Record<string, string> = {}): Promise<DhcpLab> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const dispose = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const workDir = await mkdtemp(join(tmpdir(), 'bt-dhcp-lab-'));
    cleanups.push(() => rm(workDir, { recursive: true, force: true }));
    // mkdtemp's folder is private (0700), like a Debian 12 home folder holding a project: the
    // state folder inside it must work, which is why the TFTP root lives under /run instead.
    const stateDir = join(workDir, 'state');

    const nats = await startNatsServer();
    cleanups.push(() => nats.dispose());
    const lab = await LabNetwork.create();
    cleanups.push(() => lab.delete());
    const nc = await connect({ servers: nats.url });
    cleanups.push(() => nc.close());

    const logger = createLogger('dhcp', { level: process.env.BT_TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent' });
    const observations: DhcpObservation[] = [];
    const errors: ServiceError[] = [];
    subscribe(nc, events.nodeDhcp, (observation) => void observations.push(observation), { logger });
    subscribe(nc, events.serviceError, (error) => void errors.push(error), { logger });
    await nc.flush();

    const config = parseEnv(serviceEnv, {
      BT_STATE_DIR: stateDir,
      BT_DHCP_RESTART_INITIAL_MS: '200',
      BT_DHCP_RESTART_MAX_MS: '2000',
      BT_DHCP_STOP_GRACE_MS: '2000',
      ...env,
    });
    const service = await createDhcpService({ nc, logger, config, instance: 'test', commandPrefix: ['ip', 'netns', 'exec', lab.ns.name] });
    cleanups.push(() => service.close());
    const desired = await openDesired(nc, logger);

    return {
      lab,
      nats,
      nc,
      desired,
      service,
      stateDir,
      workDir,
      observations,
      errors,
      async putDesired(value) {
        const revision = await desired.put('dhcp', value);
        await waitFor(
          () => service.status().applied?.revision === revision || service.status().rejected?.revision === revision,
          { timeoutMs: 20_000, what: `desired revision ${revision} to be applied or rejected` },
        );
        return revision;
      },
      client: (mac) => lab.attach({ mac }),
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** What busybox udhcpc was told, as its script saw it (boot_file, siaddr, ip, serverid, ...). */
export type UdhcpcLease = Record<string, string>;

let scriptCount = 0;

/** Runs busybox udhcpc once in `ns` (extra args such as -x 0x5d:0007) and returns the bound lease's variables. */
export async function udhcpc(ns: Netns, workDir: string, args: readonly string[] = []): Promise<UdhcpcLease> {
  scriptCount += 1;
  const out = join(workDir, `lease-${scriptCount}.env`);
  const script = join(workDir, `udhcpc-${scriptCount}.sh`);
  await writeFile(script, `#!/bin/sh\n[ "$1" = bound ] && env > ${out}\nexit 0\n`, { mode: 0o755 });
  await ns.exec('busybox', ['udhcpc', '-i', 'eth0', '-n', '-q', '-f', '-t', '4', '-T', '1', '-s', script, ...args]);
  const lease: UdhcpcLease = {};
  for (const line of (await readFile(out, 'utf8')).split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) lease[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return lease;
}

/** Fetches `remote` over TFTP from the master inside `ns`; returns the bytes. */
export async function tftpGet(ns: Netns, workDir: string, remote: string, server = '10.77.0.1'): Promise<Buffer> {
  scriptCount += 1;
  const local = join(workDir, `tftp-${scriptCount}.bin`);
  await ns.exec('busybox', ['tftp', '-g', '-r', remote, '-l', local, server]);
  return readFile(local);
}

/** Gives the client the address it leased (udhcpc's script above leaves the interface alone). */
export async function configureAddress(ns: Netns, ip: string): Promise<void> {
  await ns.exec('ip', ['addr', 'replace', `${ip}/24`, 'dev', 'eth0']);
}

export function find(observations: readonly DhcpObservation[], predicate: (o: DhcpObservation) => boolean, what: string): Promise<DhcpObservation> {
  return waitFor(() => observations.find(predicate), { timeoutMs: 10_000, what });
}
