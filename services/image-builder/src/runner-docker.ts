import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import type { Logger } from '@boottorrent/runtime';
import Docker from 'dockerode';
import { BuildLog } from './build-log.js';
import { BuildFailed, DockerUnavailable } from './errors.js';
import { buildArgs, type BuildRunner, type BuildSpec, type LineSink } from './runner.js';

/** Where the container sees the output and cache directories (bind mounts). */
export const CONTAINER_OUT = '/out';
export const CONTAINER_CACHE = '/cache';
/** The Dockerfile, relative to the images/ folder that is the build context. */
export const DOCKERFILE = 'phase1/Dockerfile';
const PING_TIMEOUT_MS = 1500;

export interface DockerRunnerOptions {
  imagesDir: string;
  /** Tag of the builder image. */
  image: string;
  /** Build arg DEBIAN_IMAGE: the base the builder image starts from. */
  baseImage: string;
  logger?: Logger;
}

/** True when a Docker engine answers on the socket within a moment. */
export async function dockerAvailable(socketPath: string): Promise<boolean> {
  const docker = new Docker({ socketPath, timeout: PING_TIMEOUT_MS });
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/**
 * The files sent as build context: the Dockerfile, the build script, the agent and the
 * shared library; never tests or docs, so editing those does not rebuild the image.
 */
export async function buildContextFiles(imagesDir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'test' && entry.name !== 'node_modules') await walk(full);
      } else if (entry.isFile() && !entry.name.endsWith('.md')) {
        files.push(relative(imagesDir, full));
      }
    }
  };
  await walk(join(imagesDir, 'phase1'));
  await walk(join(imagesDir, 'lib'));
  return files.sort();
}

/** How the builder container runs one build: output and cache bind-mounted, host network for apt. */
export function containerOptions(spec: BuildSpec, image: string): Docker.ContainerCreateOptions {
  return {
    Image: image,
    Cmd: buildArgs({ ...spec, outDir: CONTAINER_OUT, cacheDir: CONTAINER_CACHE }),
    Tty: true,
    Labels: { 'org.boottorrent.role': 'phase1-builder' },
    HostConfig: {
      Binds: [`${spec.outDir}:${CONTAINER_OUT}`, `${spec.cacheDir}:${CONTAINER_CACHE}`],
      // apt-get download/source reach Debian's mirrors; the engine may run without a bridge.
      NetworkMode: 'host',
      AutoRemove: false,
    },
  };
}

/** Streams a stream's text as lines (Docker sends \r\n on a TTY). */
function pipeLines(stream: NodeJS.ReadableStream, sink: LineSink): Promise<void> {
  return new Promise((resolve) => {
    createInterface({ input: stream })
      .on('line', (line) => sink(line.replace(/\r$/, '')))
      .on('close', resolve);
  });
}

/** Builds images/phase1/Dockerfile, then runs build.sh in it (dockerode). */
export class DockerRunner implements BuildRunner {
  readonly kind = 'docker' as const;
  private readonly docker: Docker;
  private container: Docker.Container | null = null;

  constructor(
    private readonly socketPath: string,
    private readonly options: DockerRunnerOptions,
  ) {
    this.docker = new Docker({ socketPath });
  }

  async run(spec: BuildSpec, onLine: LineSink): Promise<void> {
    const log = new BuildLog();
    const sink = (line: string) => {
      log.add(line);
      onLine(line);
    };
    try {
      await this.docker.ping();
    } catch (err) {
      throw new DockerUnavailable(this.socketPath, err instanceof Error ? err.message : String(err));
    }
    await this.buildImage(sink);
    const container = await this.docker.createContainer(containerOptions(spec, this.options.image));
    this.container = container;
    this.options.logger?.info({ container: container.id, spec }, 'phase-1 build started (docker)');
    try {
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const done = pipeLines(stream, sink);
      await container.start();
      const result = (await container.wait()) as { StatusCode?: number };
      await done;
      if (result.StatusCode !== 0) throw new BuildFailed('docker', `${log.failingLine()} (exit ${result.StatusCode})`);
    } finally {
      this.container = null;
      await container.remove({ force: true }).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    await this.container?.kill().catch(() => undefined);
  }

  private async buildImage(sink: LineSink): Promise<void> {
    sink(`==> builder image ${this.options.image}`);
    const src = await buildContextFiles(this.options.imagesDir);
    const stream = await this.docker.buildImage(
      { context: this.options.imagesDir, src },
      // The engine may run without a bridge (dockerd --bridge=none): apt in RUN needs the host's network.
      { t: this.options.image, dockerfile: DOCKERFILE, buildargs: { DEBIAN_IMAGE: this.options.baseImage }, networkmode: 'host' },
    );
    const text = new PassThrough();
    const lines = pipeLines(text, sink);
    // The engine reports a failed Dockerfile step as an { error } event, not a stream error.
    let stepError: string | undefined;
    const streamError = await new Promise<Error | null>((resolve) => {
      this.docker.modem.followProgress(
        stream,
        (err) => resolve(err),
        (event: { stream?: string; error?: string }) => {
          if (event.stream) text.write(event.stream);
          if (event.error) {
            stepError = event.error;
            text.write(`error: ${event.error}\n`);
          }
        },
      );
    });
    text.end();
    await lines;
    const problem = streamError?.message ?? stepError;
    if (problem !== undefined) throw new BuildFailed('docker', `building the builder image failed: ${problem}`);
  }
}
