import { setTimeout as sleep } from 'node:timers/promises';

/** Polls until `probe` returns true, or throws naming what it waited for. */
export async function waitFor(probe: () => Promise<boolean> | boolean, options: { timeoutMs: number; intervalMs?: number; what: string }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs / 1000} s waiting for ${options.what}`);
    await sleep(options.intervalMs ?? 200);
  }
}
