import type { FastifyInstance } from 'fastify';
import type { BootState } from '../boot-state.js';
import { buildMenu, menuEnv } from '../menu.js';
import { toShellEnv } from '../shell-env.js';
import { ENV_CONTENT_TYPE, parseFormat } from './params.js';

/** GET /api/menu[?format=env]: the boot menu, for a phase-1 started with bt.menu=1. */
export function registerMenu(app: FastifyInstance, deps: { state: BootState }): void {
  app.get('/api/menu', async (request, reply) => {
    const format = parseFormat(request.query);
    const desired = deps.state.requireDesired();
    const menu = buildMenu(desired.policy, desired.oses.oses);
    void reply.header('cache-control', 'no-store');
    if (format === 'env') return reply.type(ENV_CONTENT_TYPE).send(toShellEnv(menuEnv(menu)));
    return menu;
  });
}
