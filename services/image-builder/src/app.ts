import {
  buckets,
  events,
  openBucket,
  publish,
  requests,
  serve,
  type ImageBuildRequest,
  type Phase1Artifacts,
} from '@boottorrent/contracts';
import type { Logger, NatsConnection, RunningService } from '@boottorrent/runtime';
import { Phase1Builder, type BuildEvents, type BuildOutcome } from './builder.js';
import type { ServiceEnv } from './config.js';
import { selectRunner } from './runner-select.js';

export { Phase1Builder, newBuildId, type BuildEvents, type BuildOutcome } from './builder.js';
export { LocalRunner, buildScriptPath } from './runner-local.js';
export { DockerRunner, dockerAvailable, containerOptions, buildContextFiles } from './runner-docker.js';
export { selectRunner } from './runner-select.js';
export { readManifest, verifyArtifacts, toPhase1Artifacts, promote, sha256File, Phase1Manifest } from './artifacts.js';
export { stepOf, failingLine, BuildLog } from './build-log.js';
export * from './errors.js';
export { serviceEnv, REPO_ROOT, DEFAULT_IMAGES_DIR, type ServiceEnv } from './config.js';

export type ImageBuilderConfig = Pick<
  ServiceEnv,
  | 'BT_ARTIFACT_DIR'
  | 'BT_BUILD_CACHE'
  | 'BT_RUNNER'
  | 'BT_BUILD_ON_START'
  | 'BT_PHASE1_FLAVOUR'
  | 'BT_IMAGES_DIR'
  | 'BT_DOCKER_SOCKET'
  | 'BT_BUILDER_IMAGE'
  | 'BT_BUILDER_BASE_IMAGE'
>;

export interface ImageBuilderService extends RunningService {
  builder: Phase1Builder;
  /** The build started at start-up (BT_BUILD_ON_START), if any. */
  startupBuild: Promise<BuildOutcome> | null;
}

/** Build events go to NATS: progress and failures as events, artifacts into KV and an event. */
export async function natsBuildEvents(nc: NatsConnection, logger: Logger): Promise<BuildEvents> {
  const kv = await openBucket(nc, buckets.artifacts, logger);
  return {
    progress: (progress) => publish(nc, events.imageProgress, progress),
    ready: async (artifacts: Phase1Artifacts) => {
      await kv.put('phase1', artifacts);
      publish(nc, events.phase1Ready, artifacts);
    },
    failed: (failure) => publish(nc, events.imageFailed, failure),
  };
}

/**
 * The image-builder: answers `image build` requests (bt.image.build), streams progress,
 * publishes the artifacts (KV bt_artifacts/phase1 + bt.image.phase1.ready) that the config
 * service serves at /phase1/*. At start it publishes artifacts already on disk, and builds
 * as BT_BUILD_ON_START says.
 */
export async function startImageBuilder(deps: {
  nc: NatsConnection;
  logger: Logger;
  config: ImageBuilderConfig;
}): Promise<ImageBuilderService> {
  const { nc, logger, config } = deps;
  const builder = new Phase1Builder({
    artifactDir: config.BT_ARTIFACT_DIR,
    cacheDir: config.BT_BUILD_CACHE,
    imagesDir: config.BT_IMAGES_DIR,
    events: await natsBuildEvents(nc, logger),
    logger,
    selectRunner: () =>
      selectRunner({
        runner: config.BT_RUNNER,
        imagesDir: config.BT_IMAGES_DIR,
        dockerSocket: config.BT_DOCKER_SOCKET,
        builderImage: config.BT_BUILDER_IMAGE,
        builderBaseImage: config.BT_BUILDER_BASE_IMAGE,
        logger,
      }),
  });

  const subscription = serve(
    nc,
    requests.imageBuild,
    async (request: ImageBuildRequest) => {
      const { accepted } = await builder.request(request);
      logger.info({ request, accepted }, 'image build requested');
      return accepted;
    },
    { logger, queue: 'image-builder' },
  );

  let existing: Phase1Artifacts | null = null;
  if (config.BT_BUILD_ON_START !== 'always') {
    existing = await builder.publishExisting().catch((err: unknown) => {
      logger.warn({ err, dir: config.BT_ARTIFACT_DIR }, 'existing phase-1 artifacts are unusable; they will be rebuilt');
      return null;
    });
    if (existing) logger.info({ dir: existing.dir, kernel: existing.kernel, initrd: existing.initrd }, 'published existing phase-1 artifacts');
  }
  let startupBuild: Promise<BuildOutcome> | null = null;
  const build = config.BT_BUILD_ON_START === 'always' || (config.BT_BUILD_ON_START === 'missing' && existing === null);
  if (build) {
    const { done } = await builder.request({ target: 'phase1', flavour: config.BT_PHASE1_FLAVOUR, force: config.BT_BUILD_ON_START === 'always' });
    startupBuild = done;
  }

  return {
    builder,
    startupBuild,
    readiness: () => {
      const current = builder.current;
      const artifacts = current ? `phase-1 ${current.flavour} ${current.kernelVersion} (${current.buildId})` : 'no phase-1 artifacts yet';
      return { ready: true, detail: builder.busy ? `building; ${artifacts}` : artifacts };
    },
    close: async () => {
      subscription.unsubscribe();
      await builder.stop();
    },
  };
}
