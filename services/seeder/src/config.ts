import { baseServiceEnv } from '@boottorrent/runtime';
import type { z } from 'zod';

export const serviceEnv = baseServiceEnv;
export type ServiceEnv = z.output<typeof serviceEnv>;
