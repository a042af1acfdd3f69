import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import type {
  ImageBuildAccepted,
  ImageBuildFailed,
  ImageBuildProgress,
  ImageBuildRequest,
  KernelFlavour,
  Phase1Artifacts,
} from '@boottorrent/contracts';
import type { Logger } from '@boottorrent/runtime';
import { promote, readManifest, toPhase1Artifacts, verifyArtifacts } from './artifacts.js';
import { BuildLog } from './build-log.js';
import { BuildBusy } from './errors.js';
import { buildScriptPath } from './runner-local.js';
import type { BuildRunner } from './runner.js';

const run = promisify(execFile);

/** Where a build's outcome goes: NATS in the service, the terminal in the CLI. */
export interface BuildEvents {
  progress(progress: ImageBuildProgress): void;
  ready(artifacts: Phase1Artifacts): Promise<void>;
  failed(failure: ImageBuildFailed): void;
}

export type BuildOutcome =
  | { ok: true; artifacts: Phase1Artifacts; /** false when the artifacts were up to date */ built: boolean }
  | { ok: false; failure: ImageBuildFailed };

export interface Phase1BuilderOptions {
  /** Current artifacts: vmlinuz, initrd, manifest.json. */
  artifactDir: string;
  cacheDir: string;
  imagesDir: string;
  selectRunner(): Promise<BuildRunner>;
  events: BuildEvents;
  logger?: Logger;
}

interface RunningBuild {
  accepted: ImageBuildAccepted;
  flavour: KernelFlavour;
  runner: BuildRunner;
  done: Promise<BuildOutcome>;
}

export function newBuildId(): string {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `p1-${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * Builds phase-1 one build at a time. A build writes into a staging directory next to the
 * artifact directory; only a build whose manifest and digests check out replaces the
 * current artifacts, so a failed build leaves the previous ones in place (and published).
 */
export class Phase1Builder {
  private running: RunningBuild | null = null;
  private currentArtifacts: Phase1Artifacts | null = null;

  constructor(private readonly options: Phase1BuilderOptions) {}

  get current(): Phase1Artifacts | null {
    return this.currentArtifacts;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** Verifies and publishes the artifacts already in the artifact directory; null when none. */
  async publishExisting(): Promise<Phase1Artifacts | null> {
    const manifest = await readManifest(this.options.artifactDir);
    if (!manifest) return null;
    await verifyArtifacts(this.options.artifactDir, manifest);
    const artifacts = toPhase1Artifacts(this.options.artifactDir, manifest, `existing-${manifest.recipeHash}`);
    await this.publish(artifacts);
    return artifacts;
  }

  /** The recipe digest the build script would write for this flavour (no network, no build). */
  async recipeHash(flavour: KernelFlavour): Promise<string> {
    const { stdout } = await run('bash', [buildScriptPath(this.options.imagesDir), '--flavour', flavour, '--print-recipe-hash']);
    return stdout.trim();
  }

  /**
   * Accepts a build request: joins the running build of the same flavour, refuses another
   * flavour while one runs, else starts one. `done` settles when the build has finished.
   */
  async request(request: ImageBuildRequest): Promise<{ accepted: ImageBuildAccepted; done: Promise<BuildOutcome> }> {
    if (this.running) {
      if (this.running.flavour !== request.flavour) throw new BuildBusy(this.running.flavour, request.flavour);
      return { accepted: this.running.accepted, done: this.running.done };
    }
    const buildId = newBuildId();
    const runner = await this.options.selectRunner();
    const accepted: ImageBuildAccepted = { buildId, runner: runner.kind };
    const done = this.execute(buildId, request, runner).finally(() => {
      this.running = null;
    });
    this.running = { accepted, flavour: request.flavour, runner, done };
    return { accepted, done };
  }

  /** Stops the running build, if any, and waits for it to end (as failed). */
  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    await running.runner.stop();
    await running.done;
  }

  private async execute(buildId: string, request: ImageBuildRequest, runner: BuildRunner): Promise<BuildOutcome> {
    const log = new BuildLog();
    const emit = (line: string) => {
      log.add(line);
      this.options.events.progress({ buildId, step: log.step, line, at: Date.now() });
    };
    const { artifactDir } = this.options;
    const staging = `${artifactDir}.staging-${buildId}`;
    try {
      if (!request.force) {
        const upToDate = await this.upToDate(request.flavour, buildId);
        if (upToDate) {
          emit(`==> up to date: ${artifactDir} was built from the same recipe (force rebuilds)`);
          await this.publish(upToDate);
          return { ok: true, artifacts: upToDate, built: false };
        }
      }
      await mkdir(staging, { recursive: true });
      await mkdir(this.options.cacheDir, { recursive: true });
      this.options.logger?.info({ buildId, runner: runner.kind, flavour: request.flavour }, 'phase-1 build starting');
      await runner.run({ flavour: request.flavour, outDir: staging, cacheDir: this.options.cacheDir }, emit);
      const manifest = await readManifest(staging);
      if (!manifest) throw new Error(`the build wrote no manifest.json into ${staging}`);
      await verifyArtifacts(staging, manifest);
      await promote(staging, artifactDir, manifest);
      const artifacts = toPhase1Artifacts(artifactDir, manifest, buildId);
      await this.publish(artifacts);
      this.options.logger?.info({ buildId, kernel: artifacts.kernel, initrd: artifacts.initrd }, 'phase-1 build done');
      return { ok: true, artifacts, built: true };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (log.lines.length === 0 || !log.lines.some((line) => /^error:/i.test(line.trim()))) log.add(`error: ${message}`);
      const failure: ImageBuildFailed = { buildId, message, failingLine: log.failingLine(), at: Date.now() };
      this.options.logger?.error({ buildId, err, failingLine: failure.failingLine }, 'phase-1 build failed; previous artifacts kept');
      this.options.events.failed(failure);
      return { ok: false, failure };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** The current artifacts when they match the recipe and flavour (and their digests). */
  private async upToDate(flavour: KernelFlavour, buildId: string): Promise<Phase1Artifacts | null> {
    const manifest = await readManifest(this.options.artifactDir).catch(() => null);
    if (!manifest || manifest.flavour !== flavour) return null;
    if (manifest.recipeHash !== (await this.recipeHash(flavour))) return null;
    try {
      await verifyArtifacts(this.options.artifactDir, manifest);
    } catch {
      return null;
    }
    return toPhase1Artifacts(this.options.artifactDir, manifest, buildId);
  }

  private async publish(artifacts: Phase1Artifacts): Promise<void> {
    this.currentArtifacts = artifacts;
    await this.options.events.ready(artifacts);
  }
}
