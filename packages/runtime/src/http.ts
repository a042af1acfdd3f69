import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { BtError, defineError } from './errors.js';

export const BadRequest = defineError('BT_BAD_REQUEST', 400, (detail: string) => detail);

/** Headers repeating an error's code and message, for clients that cannot read error bodies. */
export const ERROR_CODE_HEADER = 'x-bt-error-code';
export const ERROR_MESSAGE_HEADER = 'x-bt-error';
const MAX_ERROR_HEADER_LENGTH = 400;

/** One line of printable ASCII: what an HTTP header may carry. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]+/g, ' ').trim().slice(0, MAX_ERROR_HEADER_LENGTH);
}

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

  // busybox wget (the phase-1 agent) drops error bodies but can print response headers, so the
  // code and message travel in both.
  const sendError = (reply: FastifyReply, status: number, body: { code: string; message: string; fix?: string }) =>
    reply
      .status(status)
      .header(ERROR_CODE_HEADER, headerSafe(body.code))
      .header(ERROR_MESSAGE_HEADER, headerSafe(body.message))
      .send({ error: body });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof BtError) {
      if (error.statusCode >= 500) request.log.error({ err: error }, error.message);
      return sendError(reply, error.statusCode, error.toJSON());
    }
    const status = typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
    if (status < 500) {
      const code = (error as { code?: string }).code ?? 'BT_BAD_REQUEST';
      return sendError(reply, status, { code, message: error instanceof Error ? error.message : String(error) });
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, 500, { code: 'BT_INTERNAL', message: 'internal error; see the service log' });
  });

  app.setNotFoundHandler((request, reply) => {
    void sendError(reply, 404, { code: 'BT_NOT_FOUND', message: `no route for ${request.method} ${request.url.split('?')[0]}` });
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
