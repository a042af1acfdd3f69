import { z } from 'zod';
import { SourceProblem, Timestamp } from './primitives.js';

/** The project folder changed but did not validate: the last good desired state stays. */
export const ProjectRejected = z.object({
  projectDir: z.string(),
  problems: z.array(SourceProblem),
  at: Timestamp,
});
export type ProjectRejected = z.infer<typeof ProjectRejected>;

/** A new desired state was published (after start or after a valid change). */
export const ProjectPublished = z.object({
  projectDir: z.string(),
  generation: z.number().int().positive(),
  changedKeys: z.array(z.string()),
  at: Timestamp,
});
export type ProjectPublished = z.infer<typeof ProjectPublished>;
