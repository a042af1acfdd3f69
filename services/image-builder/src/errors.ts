import { defineError } from '@boottorrent/runtime';

/** Every error the image-builder raises, with its stable code. */
export const BuildFailed = defineError(
  'BT_IMAGE_BUILD_FAILED',
  500,
  (runner: string, failingLine: string) => `the phase-1 build (${runner}) failed: ${failingLine}`,
  'read the failing line and the build log; the previous artifacts stay in use',
);

export const BuildBusy = defineError(
  'BT_IMAGE_BUSY',
  409,
  (running: string, requested: string) => `a ${running} phase-1 build is running; cannot start a ${requested} one now`,
  'ask again when the running build has finished (bt.image.phase1.ready or bt.image.failed)',
);

export const ManifestInvalid = defineError(
  'BT_IMAGE_MANIFEST_INVALID',
  500,
  (file: string, detail: string) => `${file} is not a valid phase-1 manifest: ${detail}`,
  'rebuild phase-1 (boottorrent build phase1 --force)',
);

export const DigestMismatch = defineError(
  'BT_IMAGE_DIGEST_MISMATCH',
  500,
  (file: string, detail: string) => `${file} does not match its manifest: ${detail}`,
  'the file changed after the build; rebuild phase-1 (boottorrent build phase1 --force)',
);

export const BuildScriptMissing = defineError(
  'BT_IMAGE_SCRIPT_MISSING',
  500,
  (path: string) => `the phase-1 build script ${path} does not exist`,
  'set BT_IMAGES_DIR to the images/ folder of a BootTorrent checkout',
);

export const DockerUnavailable = defineError(
  'BT_IMAGE_DOCKER_UNAVAILABLE',
  503,
  (socket: string, detail: string) => `no Docker engine answers on ${socket}: ${detail}`,
  'start Docker, or set BT_RUNNER=local (or auto) to build with the local script',
);
