import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildSpec {
  /** "nats" or a service name: the prefix of its log lines. */
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export type ChildEvent =
  | { kind: 'started'; name: string; pid: number; attempt: number }
  | { kind: 'exited'; name: string; pid: number; code: number | null; signal: string | null; restartInMs: number | null };

/** First restart after 1 s, doubling to 30 s; a child that stayed up a minute starts over at 1 s. */
export const RESTART_BACKOFF_INITIAL_MS = 1000;
export const RESTART_BACKOFF_MAX_MS = 30_000;
export const RESTART_BACKOFF_RESET_AFTER_MS = 60_000;
export const STOP_GRACE_MS = 10_000;

export function restartDelay(consecutiveFailures: number): number {
  return Math.min(RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_INITIAL_MS * 2 ** Math.max(0, consecutiveFailures - 1));
}

/**
 * One child process that is restarted with backoff when it dies on its own. Stopping it is
 * by the PID we spawned: SIGTERM, then SIGKILL after a grace period.
 */
export class SupervisedChild {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private startedAt = 0;
  restarts = 0;

  constructor(
    readonly spec: ChildSpec,
    private readonly onLine: (name: string, line: string) => void,
    private readonly onEvent: (event: ChildEvent) => void,
  ) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  start(): void {
    this.stopping = false;
    const child = spawn(this.spec.command, this.spec.args, { env: this.spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.startedAt = Date.now();
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.onLine(this.spec.name, line));
    }
    child.once('error', (err) => this.onLine(this.spec.name, `could not start ${this.spec.command}: ${err.message}`));
    child.once('exit', (code, signal) => this.exited(child, code, signal));
    if (child.pid !== undefined) this.onEvent({ kind: 'started', name: this.spec.name, pid: child.pid, attempt: this.restarts + 1 });
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child === child) this.child = null;
    if (this.stopping) {
      this.onEvent({ kind: 'exited', name: this.spec.name, pid: child.pid ?? -1, code, signal, restartInMs: null });
      return;
    }
    this.failures = Date.now() - this.startedAt > RESTART_BACKOFF_RESET_AFTER_MS ? 1 : this.failures + 1;
    const delay = restartDelay(this.failures);
    this.onEvent({ kind: 'exited', name: this.spec.name, pid: child.pid ?? -1, code, signal, restartInMs: delay });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.restarts++;
      this.start();
    }, delay);
  }

  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
