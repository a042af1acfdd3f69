import type { FastifyInstance } from 'fastify';
import { DashboardFull } from '../errors.js';
import type { LiveFeed } from '../live/feed.js';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  connection: 'keep-alive',
  // nginx buffers proxied responses by default, which would hold events back.
  'x-accel-buffering': 'no',
};

/**
 * GET /api/events: the dashboard's live stream (Server-Sent Events): a snapshot, then node,
 * progress, swarms and master events (live/events.ts). 503 BT_DASHBOARD_FULL beyond the
 * viewer limit.
 */
export function registerLiveEvents(app: FastifyInstance, deps: { live: LiveFeed }): void {
  app.get('/api/events', async (request, reply) => {
    // Refuse while fastify still owns the reply, so the refusal is an ordinary JSON error.
    if (!deps.live.hasRoom()) throw new DashboardFull(deps.live.maxViewers);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, SSE_HEADERS);
    const detach = deps.live.attach(res);
    res.on('close', detach);
    // A viewer gone before we got here never emits 'close' again.
    if (!res.socket || res.socket.destroyed) detach();
    request.log.debug({ viewers: deps.live.viewerCount }, 'dashboard viewer connected');
  });
}
