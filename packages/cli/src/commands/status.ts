import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultHealthPorts, NodeRecord, serviceNames, SwarmStats, type Swarm } from '@boottorrent/contracts';
import { loadProject } from '@boottorrent/project';
import { z } from 'zod';
import { CliError, EXIT_FAILURE } from '../errors.js';
import { resolveProjectDir, resolveUserPath } from '../paths.js';
import { stateLayout } from '../supervisor/layout.js';
import { runningPid } from '../supervisor/pidfile.js';
import { probeReady } from '../supervisor/readiness.js';
import { renderStatus, type ServiceStatus, type StatusSnapshot } from '../supervisor/status-view.js';
import { readRuntime } from './start.js';

export const WATCH_INTERVAL_MS = 1000;

interface StatusOptions {
  project?: string;
  stateDir?: string;
  api?: string;
  watch?: boolean;
  json?: boolean;
}

/** GET /api/nodes answers { nodes: NodeRecord[] }. */
const NodeList = z.object({ nodes: z.array(NodeRecord) }).transform((body) => body.nodes);
/** The boot API answers the tracker's latest SwarmStats, or null before the first one. */
const SwarmList = SwarmStats.nullable().transform((stats): Swarm[] => stats?.swarms ?? []);

/** null for "nothing yet" answers (404, or 503 before the tracker's first statistics). */
async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (response.status === 404 || response.status === 503) return null;
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return response.json();
}

async function snapshot(options: StatusOptions): Promise<StatusSnapshot> {
  const dir = resolveProjectDir(options.project);
  const layout = stateLayout(dir, options.stateDir ? resolveUserPath(options.stateDir) : undefined);
  const runtime = (await runningPid(layout.pidFile)) !== null ? await readRuntime(layout) : null;
  let apiUrl = options.api ?? runtime?.summary.apiUrl;
  if (!apiUrl) {
    const { project } = await loadProject(dir);
    if (!project) throw new CliError(`cannot tell where the boot API is: ${dir} is not a valid project and no --api was given.`, 'pass --project <project folder> or --api http://<master>:<port>');
    apiUrl = `http://${project.config.master.address}:${project.config.boot.api_port}`;
  }
  let nodesJson: unknown;
  let swarmsJson: unknown;
  try {
    [nodesJson, swarmsJson] = await Promise.all([getJson(`${apiUrl}/api/nodes`), getJson(`${apiUrl}/api/swarms`)]);
  } catch (err) {
    throw new CliError(`the boot API at ${apiUrl} does not answer (${err instanceof Error ? err.message : String(err)}).`, `start the master (boottorrent start --project ${dir}) or pass --api <url>`, EXIT_FAILURE);
  }
  const nodes = NodeList.parse(nodesJson ?? { nodes: [] });
  const swarms = SwarmList.parse(swarmsJson);
  const services: ServiceStatus[] = runtime
    ? await Promise.all(
        serviceNames.map(async (name) => {
          const child = runtime.children[name];
          const ready = await probeReady(`http://127.0.0.1:${defaultHealthPorts[name]}/readyz`);
          return { name, pid: child?.pid ?? null, restarts: child?.restarts ?? 0, ready: ready.ready, detail: ready.detail };
        }),
      )
    : [];
  const osByInfoHash: Record<string, string> = {};
  for (const os of runtime?.summary.oses ?? []) if (os.infoHash) osByInfoHash[os.infoHash] = os.name;
  for (const node of nodes) if (node.infoHash && node.os) osByInfoHash[node.infoHash] = node.os;
  return { apiUrl, services, nodes, swarms, osByInfoHash, at: Date.now() };
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('nodes (state, OS, progress, peers) and swarms (seeders, leechers, completed) of a running master')
    .option('-p, --project <dir>', 'project folder (default: $BT_PROJECT or the current folder)')
    .option('--state-dir <dir>', 'state folder given to start (default: <project>/.boottorrent)')
    .option('--api <url>', 'boot API to ask (default: from the running master or the project)')
    .option('-w, --watch', `refresh every ${WATCH_INTERVAL_MS / 1000} s until Ctrl-C`)
    .option('--json', 'print one JSON document (services, nodes, swarms) for scripts')
    .action(async (options: StatusOptions) => {
      if (options.json && !options.watch) {
        process.stdout.write(`${JSON.stringify(await snapshot(options), null, 2)}\n`);
        return;
      }
      if (!options.watch) {
        process.stdout.write(renderStatus(await snapshot(options)));
        return;
      }
      let interrupted = false;
      process.once('SIGINT', () => (interrupted = true));
      while (!interrupted) {
        const view = await snapshot(options).then(
          (s) => (options.json ? `${JSON.stringify(s)}\n` : renderStatus(s)),
          (err: unknown) => `${err instanceof Error ? err.message : String(err)}\n`,
        );
        process.stdout.write(options.json ? view : `\u001b[2J\u001b[H${view}`);
        await sleep(WATCH_INTERVAL_MS);
      }
    });
}
