import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Netns } from '@boottorrent/testing';

import { execFileSync } from 'node:child_process';

/** Resolved once, so a test may run the CLI with an empty PATH. */
const ipBinary = execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim();

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const cliMain = join(repoRoot, 'packages', 'cli', 'dist', 'src', 'main.js');
const publishScript = fileURLToPath(new URL('./publish-event.js', import.meta.url));

/** GET inside the namespace (its loopback and bridge are not reachable from the host). */
export async function httpGet(ns: Netns, url: string): Promise<{ status: number; body: string }> {
  const out = await ns.exec(process.execPath, [
    '-e',
    `fetch(${JSON.stringify(url)}).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() }))).catch((e) => process.stdout.write(JSON.stringify({ status: 0, body: String(e) })))`,
  ]);
  return JSON.parse(out) as { status: number; body: string };
}

/** Publishes a contract-checked event on the namespace's NATS, as a service there would. */
export async function publishEvent(ns: Netns, natsUrl: string, event: string, payload: unknown): Promise<void> {
  await ns.exec(process.execPath, [publishScript, natsUrl, event, JSON.stringify(payload)]);
}

/** Runs `boottorrent <args>` inside the namespace. */
export async function boottorrent(ns: Netns, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = spawn(ipBinary, ['netns', 'exec', ns.name, process.execPath, cliMain, ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
