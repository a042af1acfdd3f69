import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '@boottorrent/runtime';
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
  /**
   * Socket, pid file and the engine's containerd state; this engine's alone (removed when it
   * stops). Short: unix socket paths are limited to 107 bytes.
   */
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
    await stopOrphan(options.dataRoot);
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
    await writeFile(recordFile(options.dataRoot), `${JSON.stringify({ dockerdPid: engine.pid, ownerPid: process.pid, runDir: options.runDir } satisfies EngineRecord)}\n`);
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
    if (!this.exited) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    await releaseRunDir(this.options.runDir);
    await rm(recordFile(this.options.dataRoot), { force: true });
  }
}

/** Who runs an engine on a data root: `<dataRoot>.engine.json`, removed when it stops. */
interface EngineRecord {
  dockerdPid: number;
  /** The process that started it. */
  ownerPid: number;
  runDir: string;
}

function recordFile(dataRoot: string): string {
  return `${dataRoot}.engine.json`;
}

/**
 * Two engines on one data root corrupt it. An engine recorded on this data root whose owner is
 * alive means the data root is in use: refuse. One whose owner died (a test run killed hard)
 * is an orphan we started: stop it, by its recorded PID, once /proc confirms it is that dockerd.
 */
async function stopOrphan(dataRoot: string): Promise<void> {
  const text = await readFile(recordFile(dataRoot), 'utf8').catch(() => null);
  if (text === null) return;
  const record = JSON.parse(text) as EngineRecord;
  const cmdline = await readFile(`/proc/${record.dockerdPid}/cmdline`, 'utf8').catch(() => '');
  const running = cmdline.split('\0').includes(`--data-root=${dataRoot}`);
  if (running && isAlive(record.ownerPid)) {
    throw new Error(`the Docker data root ${dataRoot} is in use by an engine (pid ${record.dockerdPid}) of process ${record.ownerPid}`);
  }
  if (running) {
    process.kill(record.dockerdPid, 'SIGTERM');
    const deadline = Date.now() + STOP_GRACE_MS;
    while (isAlive(record.dockerdPid) && Date.now() < deadline) await sleep(250);
    if (isAlive(record.dockerdPid)) process.kill(record.dockerdPid, 'SIGKILL');
  }
  await releaseRunDir(record.runDir);
  await rm(recordFile(dataRoot), { force: true });
}

/**
 * dockerd bind-mounts its network namespace under its exec root and leaves it mounted: that
 * mount would keep a deleted namespace (the lab's bridge and addresses) alive. Then the run
 * folder goes: it is one engine's alone (socket, pid file, containerd state).
 */
async function releaseRunDir(runDir: string): Promise<void> {
  for (const mountPoint of await mountsBelow(runDir)) await run('umount', ['--lazy', mountPoint]).catch(() => undefined);
  await rm(runDir, { recursive: true, force: true }).catch(() => undefined);
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

/** Mount points at or below `dir`, deepest first. */
async function mountsBelow(dir: string): Promise<string[]> {
  const mountInfo = await readFile('/proc/self/mountinfo', 'utf8');
  return mountInfo
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

async function tail(file: string, lines = 25): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-lines).join('\n');
}
