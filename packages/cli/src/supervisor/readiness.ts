import { setTimeout as sleep } from 'node:timers/promises';

export interface ReadyState {
  ready: boolean;
  detail: string;
}

/** GET /readyz on a service's health port; unreachable counts as "starting". */
export async function probeReady(url: string, timeoutMs = 1500): Promise<ReadyState> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json().catch(() => ({}))) as { detail?: unknown };
    return { ready: response.status === 200, detail: typeof body.detail === 'string' ? body.detail : `HTTP ${response.status}` };
  } catch {
    return { ready: false, detail: 'starting' };
  }
}

/**
 * Waits until every probe is ready, calling `onChange` whenever a detail changes (for the
 * progress display). Rejects with the ones still not ready when the deadline passes.
 */
export async function waitAllReady(
  probes: ReadonlyArray<{ name: string; url: string }>,
  options: { timeoutMs: number; onChange: (name: string, state: ReadyState) => void; aborted?: () => boolean },
): Promise<void> {
  const last = new Map<string, string>();
  const deadline = Date.now() + options.timeoutMs;
  const pending = new Set(probes.map((probe) => probe.name));
  while (pending.size > 0) {
    if (options.aborted?.()) throw new Error('interrupted');
    await Promise.all(
      probes
        .filter((probe) => pending.has(probe.name))
        .map(async (probe) => {
          const state = await probeReady(probe.url);
          const key = `${state.ready}:${state.detail}`;
          if (last.get(probe.name) !== key) {
            last.set(probe.name, key);
            options.onChange(probe.name, state);
          }
          if (state.ready) pending.delete(probe.name);
        }),
    );
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      const waiting = [...pending].map((name) => `${name} (${last.get(name)?.split(':').slice(1).join(':') ?? 'no answer'})`);
      throw new Error(`not ready after ${Math.round(options.timeoutMs / 1000)} s: ${waiting.join(', ')}`);
    }
    await sleep(500);
  }
}
