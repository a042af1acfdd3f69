import { baseServiceEnv } from '@boottorrent/runtime';
import { z } from 'zod';

/** Swarm stats go on NATS this often: phase-1's linger policy and the dashboard read them. */
export const DEFAULT_STATS_INTERVAL_MS = 2000;
/** Only info-hashes a seeder of this master announced are tracked, unless turned off. */
export const DEFAULT_ALLOW_LIST = true;

const envBool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((value) => ['1', 'true', 'yes', 'on'].includes(value));

export const serviceEnv = baseServiceEnv.extend({
  /** Address the HTTP and UDP announce listeners bind to (IPv4); default network.address from desired state. */
  BT_BIND_HOST: z.string().min(1).optional(),
  /** Milliseconds between swarm stats publications (bt.swarm.stats). */
  BT_STATS_INTERVAL_MS: z.coerce.number().int().min(100).default(DEFAULT_STATS_INTERVAL_MS),
  /**
   * Track only info-hashes found in KV bt_torrents (written by our seeders); others get a
   * tracker failure reason. Turn off to track any torrent (e.g. a lab sharing other files).
   */
  BT_ALLOW_LIST: envBool.default(DEFAULT_ALLOW_LIST),
});
export type ServiceEnv = z.output<typeof serviceEnv>;
