import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { BtError, defineError } from './errors.js';

export const BadRequest = defineError('BT_BAD_REQUEST', 400, (detail: string) => detail);

export interface HttpAppOptions {
  logger: Logger;
  /** Request bodies larger than this are refused with 413 (default 64 KiB). */
  bodyLimit?: number;
}

/**
 * A fastify instance with BootTorrent's conventions: errors answer as
 * `{ "error": { "code", "message", "fix"? } }`, typed errors keep their status, unknown ones
 * are 500 and logged. Listening is left to the caller so tests can use inject().
 */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    // Per-request lines would drown the log during a boot storm; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof BtError) {
      if (error.statusCode >= 500) request.log.error({ err: error }, error.message);
      return reply.status(error.statusCode).send({ error: error.toJSON() });
    }
    const status = typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
    if (status < 500) {
      const code = (error as { code?: string }).code ?? 'BT_BAD_REQUEST';
      return reply.status(status).send({ error: { code, message: error instanceof Error ? error.message : String(error) } });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ error: { code: 'BT_INTERNAL', message: 'internal error; see the service log' } });
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'BT_NOT_FOUND', message: `no route for ${request.method} ${request.url.split('?')[0]}` } });
  });

  return app;
}

/** Parses input with a zod schema or throws a 400 BtError naming the offending fields. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const detail = result.error.issues
      .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
      .join('; ');
    throw new BadRequest(`invalid ${what}: ${detail}`);
  }
  return result.data;
}
