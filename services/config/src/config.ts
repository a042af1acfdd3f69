import { join } from 'node:path';
import { baseServiceEnv } from '@boottorrent/runtime';
import { z } from 'zod';

/** Folder (inside the project) for runtime state when BT_STATE_DIR is not set. */
export const DEFAULT_STATE_SUBDIR = '.boottorrent';

/**
 * Kernel arguments added to phase-1's after bt.api/bt.os/bt.node: kernel messages on the
 * screen and on the first serial port. The last console= becomes /dev/console (the rescue
 * shell); when the machine has no serial port the kernel falls back to tty0.
 */
export const DEFAULT_PHASE1_KERNEL_ARGS = 'console=tty0 console=ttyS0,115200n8';

/**
 * Extra kernel arguments end up on an iPXE command line, where `${`, `#`, `||`, `&&` and `;`
 * mean something: only plain words are accepted.
 */
export const KernelArgs = z
  .string()
  .trim()
  .regex(/^([A-Za-z0-9_.,=:/+@-]+( +[A-Za-z0-9_.,=:/+@-]+)*)?$/, 'use space-separated words of letters, digits and _.,=:/+@-');

export const configServiceEnv = baseServiceEnv
  .extend({
    /** The project folder (Boottorrent.yaml + oss/). Required. */
    BT_PROJECT_DIR: z.string().min(1, 'BT_PROJECT_DIR must name the project folder'),
    /** Runtime state (node registry snapshots, ...). Default: <project>/.boottorrent. */
    BT_STATE_DIR: z.string().optional(),
    /** Address the boot API binds to. Default: master.address from the project. */
    BT_BIND_HOST: z.string().optional(),
    /** Extra phase-1 kernel arguments (console=...); empty for none. */
    BT_PHASE1_KERNEL_ARGS: KernelArgs.default(DEFAULT_PHASE1_KERNEL_ARGS),
  })
  .transform((env) => ({ ...env, BT_STATE_DIR: env.BT_STATE_DIR ?? join(env.BT_PROJECT_DIR, DEFAULT_STATE_SUBDIR) }));
export type ConfigServiceEnv = z.output<typeof configServiceEnv>;
