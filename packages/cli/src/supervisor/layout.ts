import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceName } from '@boottorrent/contracts';

/** The folder holding pnpm-workspace.yaml: services are started from their built dist/. */
export function findRepoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the BootTorrent checkout above ${from}`);
    dir = parent;
  }
}

export function serviceEntry(repoRoot: string, service: ServiceName): string {
  return join(repoRoot, 'services', service, 'dist', 'src', 'main.js');
}

/** Where a running master keeps its state: `<project>/.boottorrent` unless told otherwise. */
export interface StateLayout {
  root: string;
  pidFile: string;
  logFile: string;
  natsStore: string;
  /** Written by the supervisor once everything is ready: what `start --detach` and `stop` read. */
  runtimeFile: string;
  serviceState(service: ServiceName): string;
}

export const STATE_SUBDIR = '.boottorrent';

export function stateLayout(projectDir: string, stateDir?: string): StateLayout {
  const root = stateDir ?? join(projectDir, STATE_SUBDIR);
  return {
    root,
    pidFile: join(root, 'boottorrent.pid'),
    logFile: join(root, 'boottorrent.log'),
    natsStore: join(root, 'nats'),
    runtimeFile: join(root, 'runtime.json'),
    serviceState: (service) => (service === 'config' ? root : join(root, service)),
  };
}
