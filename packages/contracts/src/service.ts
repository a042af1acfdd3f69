import { z } from 'zod';
import { Timestamp } from './primitives.js';

/** The master's services, in start order (NATS comes before all, and goes after all). */
export const serviceNames = ['config', 'tracker', 'seeder', 'image-builder', 'dhcp'] as const;
export const ServiceName = z.enum(serviceNames);
export type ServiceName = z.infer<typeof ServiceName>;

/**
 * Each service answers GET /healthz and /readyz on its own health port (127.0.0.1 by default),
 * used by `boottorrent start` and by container HEALTHCHECKs.
 */
export const defaultHealthPorts: Readonly<Record<ServiceName, number>> = {
  config: 9181,
  dhcp: 9182,
  seeder: 9183,
  tracker: 9184,
  'image-builder': 9185,
};

export const ServiceHealth = z.object({
  service: ServiceName,
  instance: z.string(),
  status: z.enum(['starting', 'ready', 'degraded', 'stopping']),
  detail: z.string().default(''),
  at: Timestamp,
});
export type ServiceHealth = z.infer<typeof ServiceHealth>;

/** Something a service could not do, for the operator to see (dashboard, status, logs). */
export const ServiceError = z.object({
  service: ServiceName,
  instance: z.string(),
  code: z.string(),
  message: z.string(),
  detail: z.record(z.string(), z.unknown()).default({}),
  at: Timestamp,
});
export type ServiceError = z.infer<typeof ServiceError>;
