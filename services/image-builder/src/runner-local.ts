import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '@boottorrent/runtime';
import { BuildLog } from './build-log.js';
import { BuildFailed, BuildScriptMissing } from './errors.js';
import { buildArgs, type BuildRunner, type BuildSpec, type LineSink } from './runner.js';

/** images/phase1/build.sh under an images/ folder. */
export function buildScriptPath(imagesDir: string): string {
  return join(imagesDir, 'phase1', 'build.sh');
}

/** Runs the build script on this host, as a child process whose lines are streamed. */
export class LocalRunner implements BuildRunner {
  readonly kind = 'local' as const;
  private child: ChildProcess | null = null;

  constructor(
    private readonly imagesDir: string,
    private readonly logger?: Logger,
  ) {}

  async run(spec: BuildSpec, onLine: LineSink): Promise<void> {
    const script = buildScriptPath(this.imagesDir);
    try {
      await access(script, constants.R_OK);
    } catch {
      throw new BuildScriptMissing(script);
    }
    const log = new BuildLog();
    // Its own process group, so stop() reaches make and the compilers too.
    const child = spawn('bash', [script, ...buildArgs(spec)], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.logger?.info({ pid: child.pid, script, spec }, 'phase-1 build started (local)');
    const sink = (line: string) => {
      log.add(line);
      onLine(line);
    };
    const readers = [child.stdout, child.stderr].map(
      (stream) => new Promise<void>((resolve) => createInterface({ input: stream }).on('line', sink).on('close', resolve)),
    );
    const code = await new Promise<number | string>((resolve) => {
      child.once('error', (err) => {
        sink(`error: cannot run bash ${script}: ${err.message}`);
        resolve('spawn-error');
      });
      child.once('exit', (exitCode, signal) => resolve(exitCode ?? signal ?? 'unknown'));
    });
    await Promise.all(readers);
    this.child = null;
    if (code !== 0) throw new BuildFailed('local', `${log.failingLine()} (exit ${code})`);
  }

  async stop(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
}
