import { fileURLToPath } from 'node:url';
import { freePort, startProcess, waitFor, type ManagedProcess, type Netns } from '@boottorrent/testing';

/** dist/src/main.js of a service, from this compiled test file (services/seeder/dist/test/). */
export function serviceMain(service: 'seeder' | 'tracker'): string {
  return fileURLToPath(new URL(`../../../${service}/dist/src/main.js`, import.meta.url));
}

export interface ServiceProcess {
  proc: ManagedProcess;
  healthPort: number;
  stop(): Promise<void>;
}

/**
 * Starts a service from its compiled main.js as its own process (optionally inside a network
 * namespace) and waits until its /readyz answers 200.
 */
export async function startServiceProcess(
  service: 'seeder' | 'tracker',
  env: Record<string, string>,
  options: { netns?: Netns; healthHost?: string; readyTimeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const healthHost = options.healthHost ?? '127.0.0.1';
  const healthPort = await freePort();
  const fullEnv = { ...process.env, BT_LOG_LEVEL: process.env.BT_TEST_LOG ?? 'info', BT_HEALTH_HOST: healthHost, BT_HEALTH_PORT: String(healthPort), ...env };
  const args = [serviceMain(service)];
  const proc = options.netns ? options.netns.spawn(service, process.execPath, args, { env: fullEnv }) : startProcess(service, process.execPath, args, { env: fullEnv });
  const readyz = async () => {
    if (options.netns) {
      const { exec } = options.netns;
      return exec
        .call(options.netns, 'curl', ['-sf', `http://${healthHost}:${healthPort}/readyz`])
        .then(() => true)
        .catch(() => false);
    }
    const res = await fetch(`http://${healthHost}:${healthPort}/readyz`).catch(() => null);
    return res?.status === 200;
  };
  const exitedEarly = proc.exited.then((code) => {
    throw new Error(`${service} exited (${code})`);
  });
  exitedEarly.catch(() => undefined);
  try {
    await Promise.race([waitFor(readyz, { timeoutMs: options.readyTimeoutMs ?? 30_000, intervalMs: 200, what: `${service} to be ready` }), exitedEarly]);
  } catch (err) {
    await proc.stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${proc.lines.slice(-30).join('\n')}`);
  }
  return { proc, healthPort, stop: () => proc.stop() };
}
