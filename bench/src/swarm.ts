import { fileURLToPath } from 'node:url';
import { runSwarmBench } from './swarm/index.js';

/*
 * pnpm bench swarm [--quick] [--nodes 1,2,4] [--rate 20] [--image-mib 32] [--repeat 3] ...
 *
 * Boot storm in network namespaces: central HTTP vs the BitTorrent swarm (phase-1 agent, real
 * master), nodes leaving at once vs lingering, against the Kumar-Ross bound. Writes
 * bench/results/swarm-<date>.{md,json,png}. `--help` lists every option.
 */

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function run(args: string[]): Promise<number> {
  return runSwarmBench(args, REPO_ROOT.replace(/\/$/, ''));
}
