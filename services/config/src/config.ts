import { join } from 'node:path';
import { baseServiceEnv } from '@boottorrent/runtime';
import { z } from 'zod';

/** Folder (inside the project) for runtime state when BT_STATE_DIR is not set. */
export const DEFAULT_STATE_SUBDIR = '.boottorrent';

export const configServiceEnv = baseServiceEnv
  .extend({
    /** The project folder (Boottorrent.yaml + oss/). Required. */
    BT_PROJECT_DIR: z.string().min(1, 'BT_PROJECT_DIR must name the project folder'),
    /** Runtime state (node registry snapshots, ...). Default: <project>/.boottorrent. */
    BT_STATE_DIR: z.string().optional(),
    /** Address the boot API binds to. Default: master.address from the project. */
    BT_BIND_HOST: z.string().optional(),
  })
  .transform((env) => ({ ...env, BT_STATE_DIR: env.BT_STATE_DIR ?? join(env.BT_PROJECT_DIR, DEFAULT_STATE_SUBDIR) }));
export type ConfigServiceEnv = z.output<typeof configServiceEnv>;
