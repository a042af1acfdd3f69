import type { FastifyInstance } from 'fastify';
import { InfoHash } from '@boottorrent/contracts';
import { parseInput } from '@boottorrent/runtime';
import { z } from 'zod';
import type { BootState } from '../boot-state.js';
import { NoSwarmStats, UnknownSwarm } from '../errors.js';
import { toShellEnv } from '../shell-env.js';
import { findSwarm, swarmEnv } from '../swarm-view.js';
import { ENV_CONTENT_TYPE, parseFormat } from './params.js';

const SwarmParams = z.object({ infoHash: InfoHash });

/** GET /api/swarms and /api/swarms/:infoHash[?format=env]: the tracker's latest statistics. */
export function registerSwarms(app: FastifyInstance, deps: { state: BootState; now?: () => number }): void {
  const now = deps.now ?? Date.now;

  app.get('/api/swarms', async () => {
    if (!deps.state.swarmStats) throw new NoSwarmStats();
    return deps.state.swarmStats;
  });

  app.get('/api/swarms/:infoHash', async (request, reply) => {
    const { infoHash } = parseInput(SwarmParams, request.params, 'info-hash');
    const format = parseFormat(request.query);
    const swarm = findSwarm(deps.state.swarmStats, infoHash, now());
    void reply.header('cache-control', 'no-store');
    // The agent asks this while lingering: "not known" is an answer it acts on, not an error.
    if (format === 'env') return reply.type(ENV_CONTENT_TYPE).send(toShellEnv(swarmEnv(swarm)));
    if (!swarm) throw new UnknownSwarm(infoHash);
    return swarm;
  });
}
