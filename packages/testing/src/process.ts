import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** A child process whose output lines are kept for assertions and failure messages. */
export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout and stderr lines, interleaved in arrival order. */
  readonly lines: string[];
  /** Resolves with the exit code (or signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** Resolves with the first line matching, or rejects after timeoutMs. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, then SIGKILL after graceMs. Only ever signals the PID we started. */
  stop(graceMs?: number): Promise<void>;
  output(): string;
}

export function startProcess(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): ManagedProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const pid = child.pid;
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const onLine = (line: string) => {
    lines.push(line);
    if (lines.length > 20_000) lines.splice(0, 10_000);
    for (const waiter of waiters) {
      if (waiter.pattern.test(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  };
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', onLine);
  }
  let ended = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      ended = true;
      lines.push(`spawn error: ${err.message}`);
      resolve('spawn-error');
    });
  });

  return {
    name,
    child,
    pid,
    lines,
    exited,
    output: () => lines.join('\n'),
    waitForLine(pattern, timeoutMs = 10_000) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { pattern, resolve: (line: string) => (clearTimeout(timer), resolve(line)) };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${name}: no line matching ${pattern} within ${timeoutMs} ms; output:\n${lines.slice(-40).join('\n')}`));
        }, timeoutMs);
        waiters.add(waiter);
        void exited.then((code) => {
          if (!waiters.has(waiter)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`${name} exited (${code}) before printing ${pattern}; output:\n${lines.slice(-40).join('\n')}`));
        });
      });
    },
    async stop(graceMs = 5000) {
      if (ended) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!ended) child.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a command to completion; rejects with its output when it exits non-zero. */
export async function run(command: string, args: readonly string[], options: SpawnOptions & { input?: string } = {}): Promise<string> {
  const { input, ...spawnOptions } = options;
  const child = spawn(command, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...spawnOptions });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  if (input !== undefined && child.stdin) {
    // A command may exit without reading its input; that is its answer, not our error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  }
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim() || stdout.trim()}`);
  }
  return stdout;
}
