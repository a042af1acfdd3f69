import type { FastifyInstance } from 'fastify';
import { buckets, events, openBucket, publish, subscribe, type DesiredState, type EventDef, type NodeRecord } from '@boottorrent/contracts';
import type { Logger, NatsConnection, Readiness } from '@boottorrent/runtime';
import type { Subscription } from '@nats-io/transport-node';
import type { z } from 'zod';
import { buildBootApi } from './boot-api.js';
import { BootState } from './boot-state.js';
import type { ConfigServiceEnv } from './config.js';
import { DesiredPublisher } from './desired-publisher.js';
import { watchKv, type KvWatch } from './kv-watch.js';
import { LiveFeed, type LiveFeedOptions } from './live/feed.js';
import { masterView, snapshotOf } from './live/views.js';
import { NodeStore } from './node-store.js';
import { watchProject } from './project-watcher.js';
import { NodeRegistry } from './registry.js';

export { buildBootApi, type BootApiDeps } from './boot-api.js';
export { BootState } from './boot-state.js';
export { LiveFeed, type LiveFeedOptions } from './live/feed.js';
export * from './live/events.js';
export { NodeRegistry, type RegistryListener } from './registry.js';
export * from './render.js';

export interface ConfigServiceOptions {
  nc: NatsConnection;
  logger: Logger;
  config: Pick<ConfigServiceEnv, 'BT_PROJECT_DIR' | 'BT_STATE_DIR' | 'BT_BIND_HOST' | 'BT_PHASE1_KERNEL_ARGS'>;
  /** Quiet time before a project change is reloaded. */
  debounceMs?: number;
  /** Dashboard feed limits (viewers, progress interval, heartbeat); tests shorten them. */
  live?: Pick<LiveFeedOptions, 'maxViewers' | 'progressIntervalMs' | 'heartbeatMs'>;
}

export interface ConfigService {
  readonly app: FastifyInstance;
  readonly state: BootState;
  readonly registry: NodeRegistry;
  readonly publisher: DesiredPublisher;
  readonly live: LiveFeed;
  readiness(): Readiness;
  /**
   * Listens on BT_BIND_HOST (else master.address) and boot.api_port, once a desired state is in
   * force; `at` overrides both (tests). Resolves with where it listens.
   */
  listen(at?: { host: string; port: number }): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

/**
 * The config service with its dependencies injected: publishes the project as desired state,
 * follows what the other services report, keeps the node registry, and serves the boot API.
 */
export async function createConfigService(options: ConfigServiceOptions): Promise<ConfigService> {
  const { nc, logger, config } = options;
  const state = new BootState();
  const emit = <S extends z.ZodType>(def: EventDef<S>, payload: z.input<S>) => {
    try {
      publish(nc, def, payload);
    } catch (err) {
      logger.warn({ err, subject: def.pattern }, 'could not publish event');
    }
  };

  // Fed synchronously from the registry below (not from NATS), so the dashboard stays live
  // while NATS restarts and a viewer's snapshot and events come from one source.
  const live = new LiveFeed({
    ...options.live,
    logger,
    snapshot: () => snapshotOf(state, registry.list(), Date.now()),
    master: () => masterView(state),
  });

  const store = new NodeStore(await openBucket(nc, buckets.nodes, logger), logger);
  const registry = new NodeRegistry(logger, {
    changed(record: NodeRecord, outcome) {
      store.save(record);
      if (outcome.stateChanged) emit(events.nodeState, record);
      live.nodeChanged(record, outcome.stateChanged);
    },
    progress(event) {
      emit(events.nodeProgress, event);
    },
  });
  const restored = registry.restore(await store.load());
  logger.info({ nodes: restored }, 'node registry restored');

  let firstDesired: (desired: DesiredState) => void = () => undefined;
  const desiredReady = new Promise<DesiredState>((resolve) => (firstDesired = resolve));
  let listening: { host: string; port: number } | null = null;
  const onDesired = (desired: DesiredState) => {
    state.desired = desired;
    firstDesired(desired);
    live.masterChanged();
    if (listening && listening.port !== desired.network.api.port) {
      logger.warn({ listening, wanted: desired.network.api.port, code: 'BT_RESTART_NEEDED' }, 'boot.api_port changed: restart the config service to apply it');
    }
  };

  const publisher = new DesiredPublisher({
    nc,
    logger,
    projectDir: config.BT_PROJECT_DIR,
    openBucket: () => openBucket(nc, buckets.desired, logger),
    onDesired,
  });
  const first = await publisher.sync();
  if (!first.ok && 'problems' in first) {
    const last = await publisher.lastPublished().catch(() => null);
    if (last) {
      publisher.current = last;
      onDesired(last);
      logger.warn({ code: 'BT_PROJECT_REJECTED' }, 'serving the desired state an earlier run published until the project validates');
    }
  }

  const watcher = watchProject({
    dir: config.BT_PROJECT_DIR,
    ignoreDirs: [config.BT_STATE_DIR],
    ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
    logger,
    onChange: () => void publisher.sync(),
  });

  const watches: KvWatch[] = [
    watchKv({
      name: buckets.torrents.name,
      open: () => openBucket(nc, buckets.torrents, logger),
      logger,
      onChange: ({ key, value }) => {
        if (value) state.torrents.set(key, value);
        else state.torrents.delete(key);
        live.masterChanged();
      },
    }),
    watchKv({
      name: buckets.artifacts.name,
      open: () => openBucket(nc, buckets.artifacts, logger),
      logger,
      onChange: ({ key, value }) => {
        if (key === 'phase1') state.phase1 = value;
      },
    }),
  ];

  const subscriptions: Subscription[] = [
    subscribe(nc, events.nodeDhcp, (observation) => void registry.observeDhcp(observation), { logger }),
    subscribe(
      nc,
      events.swarmStats,
      (stats) => {
        if (state.swarmStats && stats.at < state.swarmStats.at) return;
        state.swarmStats = stats;
        live.swarmStats(stats);
      },
      { logger },
    ),
  ];

  // Core subscriptions and KV watches resume by themselves; KV contents may not (a wiped store).
  let closed = false;
  void (async () => {
    for await (const status of nc.status()) {
      if (closed) break;
      if (status.type === 'reconnect') publisher.reconnected();
    }
  })();

  const readiness = (): Readiness => {
    if (!state.desired) return { ready: false, detail: `no valid project in ${config.BT_PROJECT_DIR} yet (run \`boottorrent check\`)` };
    if (!publisher.published) return { ready: true, detail: 'serving; desired state not yet written to NATS KV' };
    return { ready: true, detail: 'serving; desired state published' };
  };

  const app = await buildBootApi({ logger, state, registry, kernelArgs: config.BT_PHASE1_KERNEL_ARGS, readiness, live });

  return {
    app,
    state,
    registry,
    publisher,
    live,
    readiness,
    async listen(at) {
      const desired = at ? null : await desiredReady;
      const host = at?.host ?? config.BT_BIND_HOST ?? desired!.network.address;
      const port = at?.port ?? desired!.network.api.port;
      await app.listen({ host, port });
      const address = app.server.address();
      listening = { host, port: typeof address === 'object' && address ? address.port : port };
      logger.info({ bind: listening.host, port: listening.port }, 'boot API listening');
      return listening;
    },
    async close() {
      closed = true;
      watcher.close();
      publisher.close();
      for (const watch of watches) watch.stop();
      for (const subscription of subscriptions) subscription.unsubscribe();
      await app.close();
      await store.close();
    },
  };
}
