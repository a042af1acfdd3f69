import { hostname } from 'node:os';
import { buckets, events, openBucket, publish, subscribe, type NetworkDesired, type OsesDesired } from '@boottorrent/contracts';
import type { Logger, RunningService } from '@boottorrent/runtime';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ServiceEnv } from './config.js';
import { Seeder } from './seeder.js';

export { Seeder } from './seeder.js';
export { pieceLengthFor } from './piece-length.js';

export interface SeederDeps {
  config: ServiceEnv;
  logger: Logger;
  nc: NatsConnection;
  /** Stable per seeder process (BT_INSTANCE or <hostname>-<pid>). */
  instance: string;
}

export interface RunningSeeder extends RunningService {
  readonly seeder: Seeder;
}

/**
 * The seeder service: follows the desired `oses` and `network` keys, seeds every OS, and
 * reports on NATS (`torrent ready` + KV bt_torrents, `torrent error`, `torrent retired`). It
 * listens to the tracker's swarm stats to know when a replaced torrent has no node left.
 */
export async function startSeeder(deps: SeederDeps): Promise<RunningSeeder> {
  const { config, logger, nc } = deps;
  const torrents = await openBucket(nc, buckets.torrents, logger);
  const desired = await openBucket(nc, buckets.desired, logger);
  const identity = { id: deps.instance, host: hostname() };

  const seeder = new Seeder({
    projectDir: config.BT_PROJECT_DIR,
    stateDir: config.BT_STATE_DIR,
    bindHost: config.BT_BIND_HOST,
    advertiseAddress: config.BT_ADVERTISE_ADDRESS,
    graceMs: config.BT_RETIRE_GRACE_SECONDS * 1000,
    seeder: identity,
    logger,
    sink: {
      ready: async (ready) => {
        // KV first: the tracker's allow-list and the boot API read it.
        await torrents.put(ready.os, ready);
        publish(nc, events.torrentReady, ready);
      },
      error: (error) => publish(nc, events.torrentError, error),
      retired: (retired) => publish(nc, events.torrentRetired, retired),
      gone: async (os) => {
        // Several seeders share the key (same info-hash, their own URLs). Drop it only when it
        // points at this seeder: another seeder's entry still names a torrent that seeder serves,
        // and for an OS removed from the desired state every seeder drops its own.
        const current = await torrents.get(os);
        if (current?.seeder.id === identity.id) await torrents.delete(os);
      },
    },
  });

  const statsSub = subscribe(nc, events.swarmStats, (stats) => seeder.onSwarmStats(stats), { logger });
  // One watch per key: nats-server 2.9 (Debian's) cannot filter a watch on several keys.
  const stopNetwork = await desired.watch((change) => seeder.setNetwork(change.value as NetworkDesired | null), ['network']);
  const stopOses = await desired.watch((change) => seeder.setOses((change.value as OsesDesired | null)?.oses ?? null), ['oses']);

  return {
    seeder,
    readiness: () => seeder.readiness(),
    close: async () => {
      stopNetwork();
      stopOses();
      statsSub.unsubscribe();
      await seeder.close();
    },
  };
}
