import { z } from 'zod';
import { logLevels } from './logger.js';

/** The NATS server every service connects to unless told otherwise. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
/** Health endpoints listen on loopback unless a container or a remote check needs more. */
export const DEFAULT_HEALTH_HOST = '127.0.0.1';

/** Environment variables every service understands. Services extend this in src/config.ts. */
export const baseServiceEnv = z.object({
  /** Comma-separated NATS server URLs (a cluster is fine). */
  BT_NATS_URL: z.string().default(DEFAULT_NATS_URL),
  BT_LOG_LEVEL: z.enum(logLevels).default('info'),
  BT_HEALTH_HOST: z.string().default(DEFAULT_HEALTH_HOST),
  /** Health port; defaults to the service's entry in contracts' defaultHealthPorts. 0 picks a free one. */
  BT_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Identifies this instance when several run (e.g. seeders on several hosts). */
  BT_INSTANCE: z.string().optional(),
});
export type BaseServiceEnv = z.infer<typeof baseServiceEnv>;

export class EnvError extends Error {
  readonly code = 'BT_ENV_INVALID';
  constructor(readonly problems: string[]) {
    super(`invalid environment: ${problems.join('; ')}`);
    this.name = 'EnvError';
  }
}

/** Parses process.env (or a given record) with a schema; throws EnvError naming each variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined> = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new EnvError(result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`));
  }
  return result.data;
}

export function splitServers(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
