import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { z } from 'zod';
import type { EventDef, RequestDef } from './subjects.js';

/** The part of a pino logger the bus needs; kept structural so contracts stay dependency-light. */
export interface BusLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export class ContractViolation extends Error {
  readonly code = 'BT_CONTRACT_VIOLATION';
  constructor(
    readonly subject: string,
    readonly issues: z.core.$ZodIssue[],
  ) {
    super(`payload for ${subject} does not match its schema: ${z.prettifyError(new z.ZodError(issues))}`);
    this.name = 'ContractViolation';
  }
}

export class RequestFailed extends Error {
  constructor(
    readonly subject: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestFailed';
  }
}

function validate<S extends z.ZodType>(subject: string, schema: S, payload: unknown): z.output<S> {
  const result = schema.safeParse(payload);
  if (!result.success) throw new ContractViolation(subject, result.error.issues);
  return result.data;
}

/** Validates before sending: a service never puts a malformed event on the bus. */
export function publish<S extends z.ZodType>(nc: NatsConnection, def: EventDef<S>, payload: z.input<S>): void {
  const value = validate(def.pattern, def.schema, payload);
  nc.publish(def.subjectOf(value), JSON.stringify(value));
}

export interface SubscribeOptions {
  logger: BusLogger;
  /** Narrow the subscription, e.g. one node's subject instead of the wildcard pattern. */
  subject?: string;
  queue?: string;
}

/**
 * Validates on receipt. A message that is not JSON or does not match the schema is logged and
 * dropped; a handler that throws is logged. Neither stops the subscription.
 */
export function subscribe<S extends z.ZodType>(
  nc: NatsConnection,
  def: EventDef<S>,
  handler: (payload: z.output<S>, subject: string) => void | Promise<void>,
  options: SubscribeOptions,
): Subscription {
  const subject = options.subject ?? def.pattern;
  const sub = nc.subscribe(subject, options.queue ? { queue: options.queue } : {});
  void (async () => {
    for await (const msg of sub) {
      let payload: unknown;
      try {
        payload = msg.json();
      } catch {
        options.logger.warn({ subject: msg.subject, code: 'BT_CONTRACT_NOT_JSON' }, 'dropped a message that is not JSON');
        continue;
      }
      const result = def.schema.safeParse(payload);
      if (!result.success) {
        options.logger.warn(
          { subject: msg.subject, code: 'BT_CONTRACT_VIOLATION', issues: result.error.issues },
          'dropped a message that does not match its schema',
        );
        continue;
      }
      try {
        await handler(result.data, msg.subject);
      } catch (err) {
        options.logger.error({ subject: msg.subject, err }, 'event handler failed');
      }
    }
  })();
  return sub;
}

type Reply<R> = { ok: true; value: R } | { ok: false; error: { code: string; message: string } };

export async function request<Q extends z.ZodType, R extends z.ZodType>(
  nc: NatsConnection,
  def: RequestDef<Q, R>,
  payload: z.input<Q>,
  options: { timeoutMs?: number } = {},
): Promise<z.output<R>> {
  const body = validate(def.subject, def.request, payload);
  const msg = await nc.request(def.subject, JSON.stringify(body), { timeout: options.timeoutMs ?? 5000 });
  const reply = msg.json<Reply<unknown>>();
  if (!reply || typeof reply !== 'object' || !('ok' in reply)) {
    throw new RequestFailed(def.subject, 'BT_CONTRACT_VIOLATION', `malformed reply on ${def.subject}`);
  }
  if (!reply.ok) throw new RequestFailed(def.subject, reply.error.code, reply.error.message);
  return validate(def.subject, def.reply, reply.value);
}

/** Serves a request subject. Invalid requests get { ok: false } with BT_CONTRACT_VIOLATION. */
export function serve<Q extends z.ZodType, R extends z.ZodType>(
  nc: NatsConnection,
  def: RequestDef<Q, R>,
  handler: (payload: z.output<Q>) => Promise<z.input<R>>,
  options: { logger: BusLogger; queue?: string },
): Subscription {
  const sub = nc.subscribe(def.subject, options.queue ? { queue: options.queue } : {});
  void (async () => {
    for await (const msg of sub) {
      let reply: Reply<unknown>;
      try {
        let body: unknown;
        try {
          body = msg.json();
        } catch {
          throw new RequestFailed(def.subject, 'BT_CONTRACT_NOT_JSON', 'request body is not JSON');
        }
        const input = validate(def.subject, def.request, body);
        reply = { ok: true, value: validate(def.subject, def.reply, await handler(input)) };
      } catch (err) {
        const code = err instanceof RequestFailed ? err.code : ((err as { code?: string }).code ?? 'BT_REQUEST_FAILED');
        const message = err instanceof Error ? err.message : String(err);
        options.logger.warn({ subject: def.subject, code, err }, 'request failed');
        reply = { ok: false, error: { code, message } };
      }
      msg.respond(JSON.stringify(reply));
    }
  })();
  return sub;
}
