import { hostname } from 'node:os';
import { events, publish, type ServiceName, defaultHealthPorts } from '@boottorrent/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { EnvError, parseEnv, splitServers, type BaseServiceEnv } from './env.js';
import { startHealthServer, type Readiness } from './health.js';
import { createLogger } from './logger.js';
import { connectNats } from './nats.js';

export interface ServiceContext<C> {
  service: ServiceName;
  instance: string;
  config: C;
  logger: Logger;
  nc: NatsConnection;
}

/** What a started service hands back to serviceMain. */
export interface RunningService {
  readiness(): Readiness;
  /** Stops the service's own work; NATS and the health server are closed afterwards. */
  close(): Promise<void>;
}

const HEALTH_EVENT_INTERVAL_MS = 5000;
const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * The one way a service process starts: validated env -> logger -> health endpoint -> NATS
 * (waiting for it, reconnecting forever) -> the service -> periodic health events ->
 * graceful shutdown on SIGTERM/SIGINT. Exit code 2 for a bad environment.
 */
export async function serviceMain<S extends z.ZodType<BaseServiceEnv>>(options: {
  service: ServiceName;
  env: S;
  start: (ctx: ServiceContext<z.output<S>>) => Promise<RunningService>;
}): Promise<void> {
  let config: z.output<S>;
  try {
    config = parseEnv(options.env);
  } catch (err) {
    if (err instanceof EnvError) {
      process.stderr.write(`bt-${options.service}: ${err.message}\n  fix: set the variables above correctly (see services/${options.service}/src/config.ts)\n`);
      process.exit(2);
    }
    throw err;
  }
  const instance = config.BT_INSTANCE ?? `${hostname()}-${process.pid}`;
  const logger = createLogger(options.service, { level: config.BT_LOG_LEVEL });
  let running: RunningService | undefined;
  let stopping = false;

  const health = await startHealthServer({
    service: options.service,
    host: config.BT_HEALTH_HOST,
    port: config.BT_HEALTH_PORT ?? defaultHealthPorts[options.service],
    readiness: () => (stopping ? { ready: false, detail: 'stopping' } : (running?.readiness() ?? { ready: false, detail: 'starting' })),
  });
  logger.info({ healthPort: health.port }, 'health endpoint listening');

  const nc = await connectNats({ servers: splitServers(config.BT_NATS_URL), name: `bt-${options.service}@${instance}`, logger });

  const publishHealth = () => {
    const readiness = stopping ? { ready: false, detail: 'stopping' } : (running?.readiness() ?? { ready: false, detail: 'starting' });
    try {
      publish(nc, events.serviceHealth, {
        service: options.service,
        instance,
        status: stopping ? 'stopping' : readiness.ready ? 'ready' : running ? 'degraded' : 'starting',
        detail: readiness.detail,
        at: Date.now(),
      });
    } catch (err) {
      logger.debug({ err }, 'could not publish health');
    }
  };
  const healthTimer = setInterval(publishHealth, HEALTH_EVENT_INTERVAL_MS);
  healthTimer.unref();

  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    publishHealth();
    const timer = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    clearInterval(healthTimer);
    try {
      await running?.close();
      await nc.drain().catch(() => undefined);
      await health.close();
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  try {
    running = await options.start({ service: options.service, instance, config, logger, nc });
  } catch (err) {
    logger.fatal({ err }, 'service failed to start');
    process.exit(1);
  }
  publishHealth();
  logger.info({ ready: running.readiness() }, 'service started');
}
