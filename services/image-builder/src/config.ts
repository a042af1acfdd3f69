import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KernelFlavour } from '@boottorrent/contracts';
import { baseServiceEnv } from '@boottorrent/runtime';
import { z } from 'zod';

/** The repository this service runs from (dist/src/config.js is four levels below it). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
/** Runtime state when BT_STATE_DIR is not set: the repo's gitignored .cache. */
export const DEFAULT_STATE_DIR = join(REPO_ROOT, '.cache');
/** The images/ tree: images/phase1/build.sh, its Dockerfile, images/lib. */
export const DEFAULT_IMAGES_DIR = join(REPO_ROOT, 'images');
/** Docker's default socket; the docker runner is used when it answers. */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
/** Tag of the builder image built from images/phase1/Dockerfile. */
export const DEFAULT_BUILDER_IMAGE = 'boottorrent/phase1-builder:local';

export const Runner = z.enum(['auto', 'docker', 'local']);
export type Runner = z.infer<typeof Runner>;

/** When to build at start: only when no artifacts exist, every time, or never (requests only). */
export const BuildOnStart = z.enum(['missing', 'always', 'never']);
export type BuildOnStart = z.infer<typeof BuildOnStart>;

export const serviceEnv = baseServiceEnv
  .extend({
    /** Runtime state; artifacts, build cache and logs default to folders below it. */
    BT_STATE_DIR: z.string().min(1).optional(),
    /** Where the current phase-1 artifacts live (vmlinuz, initrd, manifest.json). Default <state>/phase1. */
    BT_ARTIFACT_DIR: z.string().min(1).optional(),
    /** Downloads and compiled tools, reused across builds. Default <state>/phase1-build. */
    BT_BUILD_CACHE: z.string().min(1).optional(),
    /** auto: docker when its socket answers, else local. */
    BT_RUNNER: Runner.default('auto'),
    BT_BUILD_ON_START: BuildOnStart.default('missing'),
    /** Kernel flavour built at start: cloud (virtual machines) or generic (real hardware NICs). */
    BT_PHASE1_FLAVOUR: KernelFlavour.default('cloud'),
    /** The images/ folder holding phase1/build.sh, phase1/Dockerfile and lib/. */
    BT_IMAGES_DIR: z.string().min(1).default(DEFAULT_IMAGES_DIR),
    BT_DOCKER_SOCKET: z.string().min(1).default(DEFAULT_DOCKER_SOCKET),
    BT_BUILDER_IMAGE: z.string().min(1).default(DEFAULT_BUILDER_IMAGE),
    /** Base image of the builder (build arg DEBIAN_IMAGE); CI builds a local stand-in. */
    BT_BUILDER_BASE_IMAGE: z.string().min(1).default('debian:bookworm-slim'),
  })
  .transform((env) => {
    const stateDir = resolve(env.BT_STATE_DIR ?? DEFAULT_STATE_DIR);
    return {
      ...env,
      BT_STATE_DIR: stateDir,
      BT_ARTIFACT_DIR: resolve(env.BT_ARTIFACT_DIR ?? join(stateDir, 'phase1')),
      BT_BUILD_CACHE: resolve(env.BT_BUILD_CACHE ?? join(stateDir, 'phase1-build')),
      BT_IMAGES_DIR: resolve(env.BT_IMAGES_DIR),
    };
  });
export type ServiceEnv = z.output<typeof serviceEnv>;
