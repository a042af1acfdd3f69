import { join } from 'node:path';
import { baseServiceEnv } from '@boottorrent/runtime';
import { z } from 'zod';

/** Where the seeder keeps its cache when BT_STATE_DIR is not set, relative to the project. */
export const DEFAULT_STATE_SUBDIR = '.boottorrent/seeder';
/**
 * How long a replaced (or removed) torrent keeps seeding at most. Nodes that fetched the old
 * manifest just before the change finish on the old info-hash; a node boot takes well under a
 * minute on a LAN, so 15 minutes is generous and still frees the old files' handles the same day.
 */
export const DEFAULT_RETIRE_GRACE_SECONDS = 900;

export const serviceEnv = baseServiceEnv
  .extend({
    /** The project folder; each OS's files are read from <project>/<os.dir>/<file.path>. */
    BT_PROJECT_DIR: z.string().min(1, 'set BT_PROJECT_DIR to the project folder'),
    /** Cache of hashed torrents (so a restart does not re-hash); default <project>/.boottorrent/seeder. */
    BT_STATE_DIR: z.string().min(1).optional(),
    /** Address the BitTorrent and HTTP listeners bind to; default network.address from desired state. */
    BT_BIND_HOST: z.string().min(1).optional(),
    /** Address put into .torrent URLs and web-seed URLs; default network.address from desired state. */
    BT_ADVERTISE_ADDRESS: z.string().min(1).optional(),
    /** Upper bound on how long a replaced or removed torrent keeps seeding (seconds). */
    BT_RETIRE_GRACE_SECONDS: z.coerce.number().int().min(0).default(DEFAULT_RETIRE_GRACE_SECONDS),
  })
  .transform((env) => ({ ...env, BT_STATE_DIR: env.BT_STATE_DIR ?? join(env.BT_PROJECT_DIR, DEFAULT_STATE_SUBDIR) }));

export type ServiceEnv = z.output<typeof serviceEnv>;
