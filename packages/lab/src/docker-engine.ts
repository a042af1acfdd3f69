import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Netns, run } from '@boottorrent/testing';

/** Debian's engine and client (docker.io 20.10, API 1.41); a newer client elsewhere on PATH may not speak to it. */
export const DOCKERD = '/usr/sbin/dockerd';
export const DOCKER = '/usr/bin/docker';
export const DOCKER_COMPOSE = '/usr/bin/docker-compose';
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 45_000;

export interface DockerEngineOptions {
  /** Images, build cache, containers, volumes. Keep it between runs to reuse built layers. */
  dataRoot: string;
  /** Socket, pid file and the engine's containerd state. Short: unix socket paths are limited to 107 bytes. */
  runDir: string;
  /**
   * Run the engine in this network namespace (a name under /var/run/netns). Containers with
   * host networking then share that namespace. Entered with `nsenter --net` rather than
   * `ip netns exec`, which also remounts /sys and so hides the cgroup mounts dockerd needs.
   */
  netns?: string;
  /** dockerd's output. */
  logFile: string;
}

/**
 * A Docker engine of our own: Debian's dockerd without iptables or a default bridge, with its
 * own data root, socket and pid file, so it cannot collide with a system engine or another
 * test's. Started and stopped by the PID it was started with.
 */
export class DockerEngine {
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly options: DockerEngineOptions,
    readonly socket: string,
  ) {
    child.once('exit', () => (this.exited = true));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** DOCKER_HOST for clients of this engine. */
  get host(): string {
    return `unix://${this.socket}`;
  }

  static async start(options: DockerEngineOptions): Promise<DockerEngine> {
    await mkdir(options.dataRoot, { recursive: true });
    await mkdir(options.runDir, { recursive: true });
    const socket = join(options.runDir, 'docker.sock');
    const pidFile = join(options.runDir, 'dockerd.pid');
    const stale = await readFile(pidFile, 'utf8').catch(() => null);
    if (stale !== null && isAlive(Number(stale))) {
      throw new Error(`a Docker engine (pid ${stale.trim()}) already runs with ${pidFile}; stop it before starting another on the same folders`);
    }
    const args = [
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      `--data-root=${options.dataRoot}`,
      `--exec-root=${join(options.runDir, 'exec')}`,
      `--pidfile=${pidFile}`,
      `--host=unix://${socket}`,
    ];
    const log = await open(options.logFile, 'a');
    let child: ChildProcess;
    try {
      child = options.netns
        ? spawn('nsenter', [`--net=/var/run/netns/${options.netns}`, DOCKERD, ...args], { stdio: ['ignore', log.fd, log.fd] })
        : spawn(DOCKERD, args, { stdio: ['ignore', log.fd, log.fd] });
    } finally {
      await log.close();
    }
    const engine = new DockerEngine(child, options, socket);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (engine.exited) throw new Error(`dockerd exited while starting:\n${await tail(options.logFile)}`);
      const up = await run(DOCKER, ['--host', engine.host, 'version', '--format', '{{.Server.Version}}']).then(
        () => true,
        () => false,
      );
      if (up) return engine;
      if (Date.now() > deadline) {
        await engine.stop();
        throw new Error(`dockerd did not answer within ${START_TIMEOUT_MS / 1000} s:\n${await tail(options.logFile)}`);
      }
      await sleep(250);
    }
  }

  /** Environment for docker and docker-compose talking to this engine (classic builder, as compose 1.29 uses). */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, DOCKER_HOST: this.host, COMPOSE_DOCKER_CLI_BUILD: '0', DOCKER_BUILDKIT: '0', ...extra };
  }

  /** Runs the docker client against this engine; resolves with its stdout. */
  docker(args: readonly string[], options: { input?: string } = {}): Promise<string> {
    return run(DOCKER, ['--host', this.host, ...args], { env: this.env(), ...options });
  }

  /** Runs docker-compose against this engine; resolves with its stdout. */
  compose(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
    return run(DOCKER_COMPOSE, args, { env: this.env(options.env), ...(options.cwd ? { cwd: options.cwd } : {}) });
  }

  async imageExists(tag: string): Promise<boolean> {
    return this.docker(['image', 'inspect', tag]).then(
      () => true,
      () => false,
    );
  }

  /** Removes every container of this engine (they are all ours: the data root is ours). */
  async removeAllContainers(): Promise<void> {
    const ids = (await this.docker(['ps', '--all', '--quiet'])).split('\n').filter(Boolean);
    if (ids.length > 0) await this.docker(['rm', '--force', '--volumes', ...ids]);
  }

  /** SIGTERM to the PID we started (dockerd stops its containers and containerd), SIGKILL after a grace period. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
    await rm(join(this.options.runDir, 'exec'), { recursive: true, force: true }).catch(() => undefined);
  }
}

/** True when a data root holds containers (left by a run that was killed before cleaning up). */
export async function hasContainers(dataRoot: string): Promise<boolean> {
  const entries = await readdir(join(dataRoot, 'containers')).catch(() => []);
  return entries.length > 0;
}

/**
 * Starts an engine on a data root that may hold containers from a run killed before it cleaned
 * up. An engine restarts such containers at once (restart policies), with host networking in
 * whatever namespace it runs in; so they are first removed by an engine in an empty namespace
 * of their own, where they can reach nothing.
 */
export async function startCleanEngine(options: DockerEngineOptions): Promise<DockerEngine> {
  if (await hasContainers(options.dataRoot)) {
    const quarantine = await Netns.create('btdkq');
    try {
      const engine = await DockerEngine.start({ ...options, netns: quarantine.name });
      try {
        await engine.removeAllContainers();
        await engine.docker(['volume', 'prune', '--force']);
        await engine.docker(['network', 'prune', '--force']);
      } finally {
        await engine.stop();
      }
    } finally {
      await quarantine.delete();
    }
  }
  return DockerEngine.start(options);
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function tail(file: string, lines = 25): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-lines).join('\n');
}
