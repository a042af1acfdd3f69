import { z } from 'zod';
import { NonNegativeInt, Sha256, Timestamp } from './primitives.js';

export const KernelFlavour = z.enum(['cloud', 'generic']);
export type KernelFlavour = z.infer<typeof KernelFlavour>;

export const ImageBuildRequest = z.object({
  target: z.literal('phase1'),
  flavour: KernelFlavour.default('cloud'),
  /** Rebuild even when the inputs did not change. */
  force: z.boolean().default(false),
});
export type ImageBuildRequest = z.infer<typeof ImageBuildRequest>;

export const ImageBuildAccepted = z.object({
  buildId: z.string(),
  /** 'docker' when run in the builder container, 'local' when the script ran on this host. */
  runner: z.enum(['docker', 'local']),
});
export type ImageBuildAccepted = z.infer<typeof ImageBuildAccepted>;

export const ImageBuildProgress = z.object({
  buildId: z.string(),
  step: z.string(),
  line: z.string().default(''),
  at: Timestamp,
});
export type ImageBuildProgress = z.infer<typeof ImageBuildProgress>;

export const ArtifactFile = z.object({
  /** File name inside the artifact directory. */
  file: z.string(),
  size: NonNegativeInt,
  sha256: Sha256,
});
export type ArtifactFile = z.infer<typeof ArtifactFile>;

/** The phase-1 kernel + initrd the boot API serves at /phase1/kernel and /phase1/initrd. */
export const Phase1Artifacts = z.object({
  buildId: z.string(),
  flavour: KernelFlavour,
  kernelVersion: z.string(),
  /** Absolute directory holding the files, on the host (or shared volume) the boot API reads. */
  dir: z.string(),
  kernel: ArtifactFile,
  initrd: ArtifactFile,
  builtAt: Timestamp,
});
export type Phase1Artifacts = z.infer<typeof Phase1Artifacts>;

export const ImageBuildFailed = z.object({
  buildId: z.string(),
  message: z.string(),
  /** The build log line that failed, so the operator need not dig. */
  failingLine: z.string(),
  at: Timestamp,
});
export type ImageBuildFailed = z.infer<typeof ImageBuildFailed>;
