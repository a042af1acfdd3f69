import type { FastifyInstance } from 'fastify';
import { Phase1Report } from '@boottorrent/contracts';
import { parseInput } from '@boottorrent/runtime';
import { NotJson, UnknownNode } from '../errors.js';
import type { NodeRegistry } from '../registry.js';
import { parseMac } from './params.js';

/** A report is a few hundred bytes; anything near this is not one. */
export const PROGRESS_BODY_LIMIT = 16 * 1024;

/**
 * Content types a progress report may arrive with. busybox wget sends
 * application/x-www-form-urlencoded with --post-data unless told otherwise; the body is JSON
 * whatever the header says.
 */
const REPORT_CONTENT_TYPES = ['application/json', 'text/plain', 'application/x-www-form-urlencoded'];

/**
 * POST /api/nodes/:mac/progress (phase-1 and the booted OS report in), GET /api/nodes and
 * GET /api/nodes/:mac (the registry).
 */
export async function registerNodes(app: FastifyInstance, deps: { registry: NodeRegistry }): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(REPORT_CONTENT_TYPES, { parseAs: 'string', bodyLimit: PROGRESS_BODY_LIMIT }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch (err) {
        done(new NotJson(err instanceof Error ? err.message : String(err)), undefined);
      }
    });

    scope.post('/api/nodes/:mac/progress', { bodyLimit: PROGRESS_BODY_LIMIT }, async (request, reply) => {
      const mac = parseMac((request.params as { mac: string }).mac);
      const report = parseInput(Phase1Report, request.body, 'progress report');
      deps.registry.report(mac, report);
      return reply.code(204).send();
    });
  });

  app.get('/api/nodes', async () => ({ nodes: deps.registry.list() }));

  app.get('/api/nodes/:mac', async (request) => {
    const mac = parseMac((request.params as { mac: string }).mac);
    const record = deps.registry.get(mac);
    if (!record) throw new UnknownNode(mac);
    return record;
  });
}
