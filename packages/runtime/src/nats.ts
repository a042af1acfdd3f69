import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

export type { NatsConnection } from '@nats-io/transport-node';

export interface NatsConnectOptions {
  servers: string | string[];
  /** Connection name shown by the server (e.g. "bt-dhcp@host"). */
  name: string;
  logger: Logger;
  /** Milliseconds between reconnect attempts. */
  reconnectWaitMs?: number;
}

/**
 * Connects and keeps reconnecting forever: a service waits for NATS at start and survives a
 * NATS restart. Status changes are logged.
 */
export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: options.servers,
    name: options.name,
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectWaitMs ?? 1000,
    pingInterval: 10_000,
  });
  const log = options.logger.child({ component: 'nats' });
  log.info({ server: nc.getServer() }, 'connected to NATS');
  void (async () => {
    for await (const status of nc.status()) {
      switch (status.type) {
        case 'disconnect':
        case 'staleConnection':
          log.warn({ status: status.type }, 'NATS connection lost, reconnecting');
          break;
        case 'reconnect':
          log.info({ status: status.type, server: nc.getServer() }, 'NATS reconnected');
          break;
        case 'error':
          log.error({ status: status.type, err: status.error }, 'NATS error');
          break;
        default:
          log.debug({ status: status.type }, 'NATS status');
      }
    }
  })();
  return nc;
}
