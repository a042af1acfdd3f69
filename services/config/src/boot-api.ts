import type { FastifyError, FastifyInstance } from 'fastify';
import { BadRequest, createHttpApp, isBtError, type Logger, type Readiness } from '@boottorrent/runtime';
import type { BootState } from './boot-state.js';
import { BodyTooLarge, NotJson, UnsupportedMediaType } from './errors.js';
import type { LiveFeed } from './live/feed.js';
import type { NodeRegistry } from './registry.js';
import { registerBootScript } from './routes/boot-script.js';
import { registerDashboard } from './routes/dashboard.js';
import { registerLiveEvents } from './routes/events.js';
import { registerHealth } from './routes/health.js';
import { registerManifest } from './routes/manifest.js';
import { registerMenu } from './routes/menu.js';
import { registerNodes } from './routes/nodes.js';
import { registerPhase1Files } from './routes/phase1-files.js';
import { registerSwarms } from './routes/swarms.js';

export interface BootApiDeps {
  logger: Logger;
  state: BootState;
  registry: NodeRegistry;
  /** Extra phase-1 kernel arguments (config BT_PHASE1_KERNEL_ARGS). */
  kernelArgs: string;
  readiness: () => Readiness;
  /** The dashboard's live feed (GET /api/events); closed with the app. */
  live: LiveFeed;
  /** Clock for the staleness of swarm statistics; tests pin it. */
  now?: () => number;
}

/** fastify's own request errors, given our stable codes (the JSON shape comes from createHttpApp). */
function withStableCode(error: FastifyError): Error {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new BodyTooLarge();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaType(error.message.replace(/^Unsupported Media Type:?\s*/i, '') || 'unknown');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new NotJson(error.message);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new BadRequest(error.message);
    default:
      return error;
  }
}

/**
 * The boot API: every route iPXE, phase-1, the dashboard and the CLI use. Returned without
 * listening, so tests drive it with inject().
 */
export async function buildBootApi(deps: BootApiDeps): Promise<FastifyInstance> {
  const app = createHttpApp({ logger: deps.logger });
  // Open event streams would keep the server from closing: end them first.
  app.addHook('preClose', async () => deps.live.close());
  await app.register(async (api) => {
    // Re-thrown errors go on to createHttpApp's handler, which answers { error: { code, message } }.
    api.setErrorHandler((error: FastifyError, request, reply) => {
      // "Not ready yet" is routine while seeders hash and nodes poll: a warning, not an error.
      if (isBtError(error) && error.statusCode === 503) {
        request.log.warn({ code: error.code, url: request.url }, error.message);
        return reply.status(503).send({ error: error.toJSON() });
      }
      throw withStableCode(error);
    });
    registerHealth(api, deps);
    registerBootScript(api, deps);
    registerPhase1Files(api, deps);
    registerManifest(api, deps);
    registerMenu(api, deps);
    registerSwarms(api, deps);
    registerDashboard(api);
    registerLiveEvents(api, deps);
    await registerNodes(api, deps);
  });
  return app;
}
