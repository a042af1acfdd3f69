import type { Logger } from '@boottorrent/runtime';
import type { Runner } from './config.js';
import { DockerRunner, dockerAvailable } from './runner-docker.js';
import { LocalRunner } from './runner-local.js';
import type { BuildRunner } from './runner.js';

export interface RunnerChoice {
  runner: Runner;
  imagesDir: string;
  dockerSocket: string;
  builderImage: string;
  builderBaseImage: string;
  logger?: Logger;
}

/**
 * The runner for the next build: the builder container when BT_RUNNER=docker, or when it is
 * auto and a Docker engine answers; otherwise build.sh on this host. Asked per build, so a
 * Docker engine started later is used from then on.
 */
export async function selectRunner(choice: RunnerChoice): Promise<BuildRunner> {
  const docker = () =>
    new DockerRunner(choice.dockerSocket, {
      imagesDir: choice.imagesDir,
      image: choice.builderImage,
      baseImage: choice.builderBaseImage,
      ...(choice.logger ? { logger: choice.logger } : {}),
    });
  if (choice.runner === 'docker') return docker();
  if (choice.runner === 'auto' && (await dockerAvailable(choice.dockerSocket))) return docker();
  return new LocalRunner(choice.imagesDir, choice.logger);
}
