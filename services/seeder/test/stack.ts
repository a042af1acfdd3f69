import { join } from 'node:path';
import { events, subscribe, type NetworkDesired, type OsDesired, type TorrentError, type TorrentReady, type TorrentRetired } from '@boottorrent/contracts';
import { freePort, startNatsServer, waitFor, type NatsServerHandle } from '@boottorrent/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startSeeder, type RunningSeeder } from '../src/app.js';
import { serviceEnv } from '../src/config.js';
import { networkDesired, openDesired, openTorrents, removeDir, tempDir, testLogger, type DesiredKv, type TorrentsKv } from './fixtures.js';
import { startServiceProcess, type ServiceProcess } from './processes.js';

/** Everything a seeder test runs against: real nats-server, real tracker process, in-process seeder. */
export interface Stack {
  nats: NatsServerHandle;
  nc: NatsConnection;
  project: string;
  work: string;
  network: NetworkDesired;
  desired: DesiredKv;
  torrents: TorrentsKv;
  tracker: ServiceProcess;
  running: RunningSeeder;
  seen: { ready: TorrentReady[]; errors: TorrentError[]; retired: TorrentRetired[] };
  setOses(oses: OsDesired[]): Promise<void>;
  /** The OS's torrent in KV once it differs from `not` (an info-hash). */
  readyOf(os: string, not?: string): Promise<TorrentReady>;
  close(): Promise<void>;
}

export async function startStack(options: {
  prepare: (project: string) => Promise<OsDesired[]>;
  graceSeconds?: number;
  webSeed?: boolean;
}): Promise<Stack> {
  const nats = await startNatsServer();
  const nc = await connect({ servers: nats.url });
  const project = await tempDir('bt-seeder-project-');
  const work = await tempDir('bt-seeder-work-');
  const seen: Stack['seen'] = { ready: [], errors: [], retired: [] };
  const logger = testLogger('test');
  subscribe(nc, events.torrentReady, (value) => void seen.ready.push(value), { logger });
  subscribe(nc, events.torrentError, (value) => void seen.errors.push(value), { logger });
  subscribe(nc, events.torrentRetired, (value) => void seen.retired.push(value), { logger });
  await nc.flush();

  const network = networkDesired('127.0.0.1', { trackerPort: await freePort(), peerPort: await freePort(), httpPort: await freePort() }, { webSeed: options.webSeed ?? false, announceInterval: 1 });
  const desired = await openDesired(nc);
  const torrents = await openTorrents(nc);
  await desired.put('network', network);
  const setOses = async (oses: OsDesired[]) => void (await desired.put('oses', { projectDir: project, oses }));
  await setOses(await options.prepare(project));
  const tracker = await startServiceProcess('tracker', { BT_NATS_URL: nats.url, BT_BIND_HOST: '127.0.0.1', BT_STATS_INTERVAL_MS: '300' });
  const config = serviceEnv.parse({
    BT_NATS_URL: nats.url,
    BT_PROJECT_DIR: project,
    BT_STATE_DIR: join(work, 'state'),
    BT_BIND_HOST: '127.0.0.1',
    BT_RETIRE_GRACE_SECONDS: String(options.graceSeconds ?? 60),
  });
  const running = await startSeeder({ config, logger: testLogger('seeder'), nc, instance: 'test-seeder' });

  return {
    nats,
    nc,
    project,
    work,
    network,
    desired,
    torrents,
    tracker,
    running,
    seen,
    setOses,
    readyOf: (os, not) =>
      waitFor(
        async () => {
          const value = await torrents.get(os);
          return value && value.infoHash !== not ? value : null;
        },
        { timeoutMs: 30_000, what: `a torrent of ${os}${not ? ` other than ${not}` : ''}` },
      ),
    close: async () => {
      await running.close();
      await tracker.stop();
      await nc.close();
      await nats.dispose();
      await removeDir(project);
      await removeDir(work);
    },
  };
}
