import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '@boottorrent/testing';

/*
 * Everything the benchmark creates is recorded here and undone on every way out: normal end,
 * an error, Ctrl-C, SIGTERM. Processes are signalled by the PIDs we recorded; namespaces are
 * deleted by the names we gave them. A process still living inside one of OUR namespaces after
 * that (an aria2c whose agent was killed, a service of the master) is ours by construction and
 * is killed before its namespace goes.
 */
export class Cleanup {
  private readonly namespaces: string[] = [];
  private readonly pids = new Set<number>();
  private readonly tasks: Array<() => Promise<void>> = [];
  private running: Promise<void> | null = null;

  addNetns(name: string): void {
    this.namespaces.push(name);
  }

  addPid(pid: number): void {
    this.pids.add(pid);
  }

  forgetPid(pid: number): void {
    this.pids.delete(pid);
  }

  /** Runs last, in reverse order of registration (e.g. remove a work folder). */
  addTask(task: () => Promise<void>): void {
    this.tasks.push(task);
  }

  /** Idempotent: a second call waits for the first. */
  run(): Promise<void> {
    this.running ??= this.undo();
    return this.running;
  }

  private async undo(): Promise<void> {
    await stopPids([...this.pids], 5000);
    this.pids.clear();
    for (const name of [...this.namespaces].reverse()) {
      const inside = await namespacePids(name);
      await stopPids(inside, 2000);
      await run('ip', ['netns', 'delete', name]).catch(() => undefined);
    }
    for (const task of [...this.tasks].reverse()) await task().catch(() => undefined);
  }

  /** Ctrl-C and SIGTERM clean up, then exit 130 / 143. */
  installSignalHandlers(onSignal: (signal: NodeJS.Signals) => void = () => undefined): () => void {
    const handler = (signal: NodeJS.Signals) => {
      onSignal(signal);
      void this.run().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM, then SIGKILL for those still alive after graceMs. */
export async function stopPids(pids: readonly number[], graceMs: number): Promise<void> {
  const living = pids.filter(alive);
  if (living.length === 0) return;
  for (const pid of living) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && living.some(alive)) await sleep(100);
  for (const pid of living.filter(alive)) signal(pid, 'SIGKILL');
}

/** PIDs of the processes inside a namespace (empty when it is gone). */
export async function namespacePids(name: string): Promise<number[]> {
  const out = await run('ip', ['netns', 'pids', name]).catch(() => '');
  return out
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0 && pid !== process.pid);
}
