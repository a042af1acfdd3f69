import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DockerEngine } from './docker-engine.js';
import type { ExternalMaster, LabMasterContext, LabMasterStarter } from './master.js';

/** compose.yaml's long-running services, in the order compose starts them. */
export const STACK_SERVICES = ['nats', 'config', 'tracker', 'image-builder', 'seeder', 'dhcp'] as const;
export type StackService = (typeof STACK_SERVICES)[number];
const HEALTHY_TIMEOUT_MS = 240_000;

export interface ComposeStackOptions {
  /** The engine that runs the stack: its network namespace is the master's host. */
  engine: DockerEngine;
  repoRoot: string;
  /** compose project name: prefix of its containers and volumes. */
  projectName: string;
  /** Receives the .env file, the data folder (BT_DATA_DIR) and compose.log. */
  workDir: string;
  /** The project folder (BT_PROJECT). */
  projectDir: string;
  /** Phase-1 artifacts to start from (copied into <data>/phase1, so no build runs at start). */
  artifactsDir?: string;
  /** Settings appended to deploy/.env.example (images, NATS address, ...). */
  env: Readonly<Record<string, string>>;
  /** Default: <repo>/compose.yaml. */
  composeFile?: string;
  /** The documented settings the .env starts from (default: <repo>/deploy/.env.example). */
  envExample?: string;
  /** Services to start (default: all, with what they depend on). */
  services?: readonly string[];
}

export interface StackContainer {
  service: string;
  id: string;
  image: string;
  startedAt: string;
  health: string;
  restarts: number;
}

/**
 * BootTorrent's compose.yaml brought up with docker-compose on a given engine, configured the
 * documented way: deploy/.env.example plus the settings of this run, as the .env.
 */
export class ComposeStack {
  private constructor(
    readonly options: ComposeStackOptions,
    readonly envFile: string,
    readonly dataDir: string,
  ) {}

  static async up(options: ComposeStackOptions): Promise<ComposeStack> {
    await mkdir(options.workDir, { recursive: true });
    const envFile = join(options.workDir, 'compose.env');
    const dataDir = join(options.workDir, 'data');
    await mkdir(dataDir, { recursive: true });
    if (options.artifactsDir) await cp(options.artifactsDir, join(dataDir, 'phase1'), { recursive: true });
    const example = await readFile(options.envExample ?? join(options.repoRoot, 'deploy', '.env.example'), 'utf8');
    const settings: Record<string, string> = {
      COMPOSE_PROJECT_NAME: options.projectName,
      BT_ENV_FILE: envFile,
      BT_PROJECT: options.projectDir,
      BT_DATA_DIR: dataDir,
      DOCKER_SOCKET: options.engine.socket,
      ...options.env,
    };
    const lines = Object.entries(settings).map(([key, value]) => `${key}=${value}`);
    await writeFile(envFile, `${example}\n# --- this run (${options.projectName})\n${lines.join('\n')}\n`);
    const stack = new ComposeStack(options, envFile, dataDir);
    try {
      await stack.compose(['up', '--detach', '--no-build', ...(options.services ?? [])]);
      await stack.waitHealthy(options.services ?? STACK_SERVICES);
    } catch (err) {
      await stack.saveLogs();
      throw err;
    }
    return stack;
  }

  get composeFile(): string {
    return this.options.composeFile ?? join(this.options.repoRoot, 'compose.yaml');
  }

  /** docker-compose with this stack's file, project and .env. */
  compose(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
    return this.options.engine.compose(['--file', this.composeFile, '--project-name', this.options.projectName, '--env-file', this.envFile, ...args], {
      cwd: this.options.repoRoot,
      env,
    });
  }

  /** The stack's containers by service (compose's labels), as the engine reports them now. */
  async containers(): Promise<Map<string, StackContainer>> {
    const ids = (await this.compose(['ps', '--quiet'])).split('\n').filter(Boolean);
    const found = new Map<string, StackContainer>();
    if (ids.length === 0) return found;
    const format = '{{index .Config.Labels "com.docker.compose.service"}}|{{.Id}}|{{.Config.Image}}|{{.State.StartedAt}}|{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}|{{.RestartCount}}|{{.State.Status}}';
    for (const line of (await this.options.engine.docker(['inspect', '--format', format, ...ids])).split('\n').filter(Boolean)) {
      const [service = '', id = '', image = '', startedAt = '', health = '', restarts = '0', status = ''] = line.split('|');
      found.set(service, { service, id, image, startedAt, health: status === 'running' ? health : status, restarts: Number(restarts) });
    }
    return found;
  }

  /** Waits until every named service's container is running and healthy. */
  async waitHealthy(services: readonly string[], timeoutMs = HEALTHY_TIMEOUT_MS): Promise<Map<string, StackContainer>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const containers = await this.containers();
      const waiting = services.filter((service) => containers.get(service)?.health !== 'healthy');
      if (waiting.length === 0) return containers;
      if (Date.now() > deadline) {
        const states = waiting.map((service) => `${service}: ${containers.get(service)?.health ?? 'no container'}`).join(', ');
        throw new Error(`compose services not healthy after ${timeoutMs / 1000} s (${states}); logs in ${join(this.options.workDir, 'compose.log')}`);
      }
      await sleep(1000);
    }
  }

  /** Every service's log, into <workDir>/compose.log. */
  async saveLogs(): Promise<string> {
    const file = join(this.options.workDir, 'compose.log');
    const text = await this.compose(['logs', '--no-color', '--timestamps']).catch((err: unknown) => `(no logs: ${err instanceof Error ? err.message : String(err)})`);
    await writeFile(file, text);
    return file;
  }

  /** Saves the logs, then removes the containers and the stack's volumes. */
  async down(): Promise<void> {
    await this.saveLogs();
    await this.compose(['down', '--volumes', '--timeout', '20']);
  }
}

export interface ComposeMasterOptions extends Omit<ComposeStackOptions, 'engine' | 'workDir' | 'projectDir' | 'artifactsDir' | 'repoRoot'> {
  /** Starts the engine inside the lab's namespace (on a data root that holds the built images). */
  startEngine(netns: string, workDir: string): Promise<DockerEngine>;
  /** Called with the running stack, e.g. to record its containers (tests). */
  onUp?(stack: ComposeStack): void | Promise<void>;
}

/**
 * A lab master that is BootTorrent's compose stack: an engine in the lab's namespace (so
 * `network_mode: host` means the lab's bridge), `docker-compose up` with the lab's project
 * mounted read-only and the lab's phase-1 artifacts in the data folder.
 */
export function composeMaster(options: ComposeMasterOptions): LabMasterStarter {
  return {
    async start(context: LabMasterContext): Promise<ExternalMaster> {
      const workDir = join(context.workDir, 'compose');
      await mkdir(workDir, { recursive: true });
      const engine = await options.startEngine(context.netns, workDir);
      let stack: ComposeStack;
      try {
        context.print(`starting the compose stack ${options.projectName} (engine pid ${engine.pid} in ${context.netns})`);
        stack = await ComposeStack.up({ ...options, engine, workDir, repoRoot: context.repoRoot, projectDir: context.projectDir, artifactsDir: context.artifactsDir });
        await options.onUp?.(stack);
      } catch (err) {
        // The engine and its data root are ours: whatever it runs belongs to this stack.
        await engine.removeAllContainers().catch(() => undefined);
        await engine.docker(['volume', 'prune', '--force']).catch(() => undefined);
        await engine.stop();
        throw err;
      }
      return {
        description: `docker-compose project ${options.projectName}`,
        stop: async () => {
          try {
            await stack.down();
          } finally {
            await engine.stop();
          }
        },
      };
    },
  };
}
