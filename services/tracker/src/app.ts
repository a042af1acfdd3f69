import type { IncomingMessage, ServerResponse } from 'node:http';
import { buckets, events, openBucket, publish, type NetworkDesired, type SwarmStats } from '@boottorrent/contracts';
import type { Logger, RunningService } from '@boottorrent/runtime';
import type { NatsConnection } from '@nats-io/transport-node';
import { AllowList } from './allow-list.js';
import type { ServiceEnv } from './config.js';
import { NotAllowed } from './errors.js';
import { PeerFiguresBook } from './peer-figures.js';
import { snapshotSwarms } from './swarm-stats.js';
import { TrackerServer } from './tracker-server.js';

export { AllowList } from './allow-list.js';
export { peerTtlMs } from './tracker-server.js';

export interface TrackerDeps {
  config: ServiceEnv;
  logger: Logger;
  nc: NatsConnection;
  instance: string;
}

export interface RunningTracker extends RunningService {
  readonly allowList: AllowList;
  /** The bound port, or null while not listening. */
  port(): number | null;
  snapshot(): SwarmStats;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The tracker service: a bittorrent-tracker server placed where desired state `network` says
 * (rebound when the port changes, the announce interval applied live), tracking our torrents
 * only (allow-list from KV bt_torrents), and publishing swarm stats on NATS every few seconds.
 */
export async function startTracker(deps: TrackerDeps): Promise<RunningTracker> {
  const { config, logger, nc, instance } = deps;
  const allowList = new AllowList();
  let book = new PeerFiguresBook();
  let tracker: TrackerServer | null = null;
  let network: NetworkDesired | null = null;
  let problem: string | null = null;
  let queue: Promise<void> = Promise.resolve();

  const keep = (infoHash: string) => config.BT_ALLOW_LIST && allowList.has(infoHash);
  const snapshot = (): SwarmStats => (tracker ? snapshotSwarms(tracker.server, book, instance, keep) : { tracker: instance, at: Date.now(), swarms: [] });

  const route = (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (path === '/stats.json') return sendJson(res, 200, snapshot()), true;
    if (path === '/healthz') return sendJson(res, 200, { service: 'tracker', status: 'ok', swarms: Object.keys(tracker?.server.torrents ?? {}).length }), true;
    return false;
  };

  const apply = async () => {
    const wanted = network;
    if (!wanted || !wanted.tracker.enabled) {
      if (tracker) logger.info('tracker disabled by desired state');
      await tracker?.close();
      tracker = null;
      problem = null;
      return;
    }
    const host = config.BT_BIND_HOST ?? wanted.address;
    if (tracker && tracker.host === host && tracker.port === wanted.tracker.port) {
      tracker.setAnnounceInterval(wanted.tracker.announceInterval);
      return;
    }
    await tracker?.close();
    tracker = null;
    try {
      tracker = await TrackerServer.start({
        host,
        port: wanted.tracker.port,
        announceInterval: wanted.tracker.announceInterval,
        allow: (infoHash) => (!config.BT_ALLOW_LIST || allowList.has(infoHash) ? null : new NotAllowed(infoHash)),
        route,
        logger,
      });
      book = new PeerFiguresBook();
      book.attach(tracker.server);
      problem = null;
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
      logger.error({ err }, 'tracker could not listen');
    }
  };
  const enqueue = (step: () => Promise<void>) => (queue = queue.then(step).catch((err: unknown) => logger.error({ err }, 'tracker step failed')));

  await allowList.start(nc, await openBucket(nc, buckets.torrents, logger), logger);
  const desired = await openBucket(nc, buckets.desired, logger);
  const stopWatch = await desired.watch((change) => {
    network = change.value as NetworkDesired | null;
    return enqueue(apply);
  }, ['network']);

  const statsTimer = setInterval(() => {
    if (tracker) publish(nc, events.swarmStats, snapshot());
    // A port that was busy may be free now.
    else if (problem) void enqueue(apply);
  }, config.BT_STATS_INTERVAL_MS);

  return {
    allowList,
    port: () => tracker?.port ?? null,
    snapshot,
    readiness: () => {
      if (problem) return { ready: false, detail: problem };
      if (!network) return { ready: false, detail: 'waiting for desired state (network)' };
      if (!tracker) return { ready: true, detail: 'tracker disabled by desired state' };
      return { ready: true, detail: `tracking ${Object.keys(tracker.server.torrents).length} swarm(s) on ${tracker.host}:${tracker.port}` };
    },
    close: async () => {
      clearInterval(statsTimer);
      stopWatch();
      allowList.stop();
      await enqueue(async () => {
        await tracker?.close();
        tracker = null;
      });
    },
  };
}
