import { spawn, type ChildProcess } from 'node:child_process';
import { rename, rm, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Logger } from '@boottorrent/runtime';
import { failuresAfter, restartDelay, type BackoffPolicy } from './backoff.js';
import { ConfigRejected, DnsmasqMissing, StartFailed } from './errors.js';
import { reapOrphan } from './orphan.js';
import type { StatePaths } from './paths.js';

/*
 * Runs one dnsmasq in the foreground as our child. A new configuration is checked with
 * `dnsmasq --test` before it replaces the running one, and applied by a restart: SIGHUP does
 * not make dnsmasq re-read its main configuration. When a new configuration passes the test
 * but dnsmasq will not start with it, the previous one is put back. A dnsmasq that dies is
 * restarted with exponential backoff.
 */

export type SupervisorState = 'stopped' | 'starting' | 'running' | 'backoff';

export interface SupervisorOptions {
  bin: string;
  /** Prepended to every dnsmasq command line; tests use ['ip', 'netns', 'exec', '<ns>']. */
  commandPrefix?: readonly string[];
  paths: Pick<StatePaths, 'configFile' | 'candidateFile' | 'pidFile'>;
  backoff: BackoffPolicy;
  startTimeoutMs: number;
  stopGraceMs: number;
  logger: Logger;
  /** Every line dnsmasq prints, stdout and stderr. */
  onLine(line: string): void;
}

export interface SupervisorStatus {
  state: SupervisorState;
  pid: number | null;
  /** Restarts after a death (not counting restarts for a new configuration). */
  restarts: number;
  /** Deaths in a row without a long enough run in between. */
  failures: number;
}

/** dnsmasq logs this once every socket is bound and every check passed. */
const STARTED = /dnsmasq\[\d+\]: started, version/;
const OUTPUT_KEPT = 40;

interface Run {
  child: ChildProcess;
  startedAt: number;
  output: string[];
  exited: Promise<string>;
  /** Resolves when dnsmasq reports "started". */
  started: Promise<void>;
  stopping: boolean;
}

export class DnsmasqSupervisor {
  private run: Run | null = null;
  private state: SupervisorState = 'stopped';
  /** The configuration dnsmasq runs (or will run again after a backoff); null when stopped. */
  private text: string | null = null;
  private failures = 0;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SupervisorOptions) {}

  status(): SupervisorStatus {
    return { state: this.state, pid: this.run?.child.pid ?? null, restarts: this.restarts, failures: this.failures };
  }

  /** The configuration in force (running, or being restarted), or null when stopped. */
  get configText(): string | null {
    return this.text;
  }

  /** Stops a dnsmasq that an earlier run of the service left behind (recorded in the pid file). */
  async reapOrphan(): Promise<void> {
    await reapOrphan(this.options.paths.pidFile, this.options.paths.configFile, this.options.stopGraceMs, this.options.logger);
  }

  /** Checks a configuration with `dnsmasq --test`; throws ConfigRejected with dnsmasq's words. */
  async test(text: string): Promise<void> {
    await writeFile(this.options.paths.candidateFile, text);
    const { code, output } = await this.execute(['--test', `--conf-file=${this.options.paths.candidateFile}`]);
    if (code !== 0) throw new ConfigRejected(output.trim() || `exit code ${code}`);
  }

  /** Tests, then runs dnsmasq with `text`; on failure the previous configuration keeps (or goes back to) serving. */
  apply(text: string): Promise<void> {
    return this.serialized(async () => {
      await this.test(text);
      const previous = this.text;
      this.cancelRestart();
      await this.stopChild();
      await rename(this.options.paths.candidateFile, this.options.paths.configFile);
      try {
        await this.startChild();
        this.text = text;
        this.failures = 0;
      } catch (err) {
        this.text = previous;
        if (previous !== null) await this.restorePrevious(previous);
        else this.state = 'stopped';
        throw err;
      }
    });
  }

  /** Stops dnsmasq and any pending restart. */
  stop(): Promise<void> {
    return this.serialized(async () => {
      this.cancelRestart();
      this.text = null;
      await this.stopChild();
      this.state = 'stopped';
    });
  }

  private serialized<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async restorePrevious(previous: string): Promise<void> {
    await writeFile(this.options.paths.configFile, previous);
    try {
      await this.startChild();
    } catch (err) {
      this.options.logger.error({ err }, 'the previous dnsmasq configuration did not start again either');
      this.failures += 1;
      this.scheduleRestart();
    }
  }

  private command(args: readonly string[]): [string, string[]] {
    const [command = this.options.bin, ...rest] = [...(this.options.commandPrefix ?? []), this.options.bin, ...args];
    return [command, rest];
  }

  private async execute(args: readonly string[]): Promise<{ code: number | null; output: string }> {
    const [command, rest] = this.command(args);
    const child = spawn(command, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (err) => reject(new DnsmasqMissing(this.options.bin).causedBy(err)));
      child.once('close', (exitCode) => resolve(exitCode));
    });
    return { code, output };
  }

  private spawnRun(): Run {
    const [command, rest] = this.command(['--keep-in-foreground', `--conf-file=${this.options.paths.configFile}`]);
    const child = spawn(command, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => resolve(String(code ?? signal)));
      child.once('error', (err) => {
        output.push(err.message);
        resolve('spawn-error');
      });
    });
    let markStarted = () => {};
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        if (output.length > OUTPUT_KEPT) output.shift();
        if (STARTED.test(line)) markStarted();
        this.options.onLine(line);
      });
    }
    return { child, startedAt: Date.now(), output, exited, started, stopping: false };
  }

  /** Starts dnsmasq and waits until it reports "started"; throws StartFailed otherwise. */
  private async startChild(): Promise<void> {
    this.state = 'starting';
    const run = this.spawnRun();
    this.run = run;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      run.started.then(() => 'started'),
      run.exited.then((code) => `exited (${code})`),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no "started" within ${this.options.startTimeoutMs} ms`), this.options.startTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (outcome !== 'started') {
      await this.stopChild();
      if (outcome === 'exited (spawn-error)') throw new DnsmasqMissing(this.options.bin);
      throw new StartFailed(`${outcome}: ${run.output.slice(-5).join(' | ')}`);
    }
    if (run.child.pid !== undefined) await writeFile(this.options.paths.pidFile, `${run.child.pid}\n`);
    this.state = 'running';
    void run.exited.then((code) => this.onExit(run, code));
  }

  private async stopChild(): Promise<void> {
    const run = this.run;
    if (!run) return;
    run.stopping = true;
    this.run = null;
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGTERM');
      const timer = setTimeout(() => run.child.kill('SIGKILL'), this.options.stopGraceMs);
      await run.exited;
      clearTimeout(timer);
    }
    await rm(this.options.paths.pidFile, { force: true });
  }

  private onExit(run: Run, code: string): void {
    if (run.stopping || this.run !== run) return;
    this.run = null;
    const ranMs = Date.now() - run.startedAt;
    this.failures = failuresAfter(this.options.backoff, this.failures, ranMs);
    this.options.logger.warn({ code, ranMs, failures: this.failures, lastOutput: run.output.slice(-5) }, 'dnsmasq died; restarting it');
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.text === null) return;
    const delayMs = restartDelay(this.options.backoff, this.failures);
    this.state = 'backoff';
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      void this.serialized(async () => {
        if (this.text === null || this.run) return;
        try {
          await this.startChild();
          this.restarts += 1;
          this.options.logger.info({ dnsmasqPid: this.status().pid, restarts: this.restarts }, 'dnsmasq restarted');
        } catch (err) {
          this.failures += 1;
          this.options.logger.error({ err, failures: this.failures }, 'dnsmasq restart failed');
          this.scheduleRestart();
        }
      });
    }, delayMs);
  }

  private cancelRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }
}
