import type { FastifyInstance } from 'fastify';
import { DASHBOARD_CSP, DASHBOARD_HTML } from '../dashboard/page.js';

/** GET / and GET /dashboard: the live dashboard page (it reads GET /api/events). */
export function registerDashboard(app: FastifyInstance): void {
  for (const path of ['/', '/dashboard']) {
    app.get(path, async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('content-security-policy', DASHBOARD_CSP)
        .header('x-content-type-options', 'nosniff')
        .send(DASHBOARD_HTML),
    );
  }
}
