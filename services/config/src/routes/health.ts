import type { FastifyInstance } from 'fastify';
import type { Readiness } from '@boottorrent/runtime';

/** GET /healthz (the process answers) and /readyz (a desired state is published), on the boot API's port. */
export function registerHealth(app: FastifyInstance, deps: { readiness: () => Readiness }): void {
  app.get('/healthz', async () => ({ service: 'config', status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const readiness = deps.readiness();
    return reply.code(readiness.ready ? 200 : 503).send({ service: 'config', ...readiness });
  });
}
