import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactFile, KernelFlavour, NonNegativeInt, type Phase1Artifacts } from '@boottorrent/contracts';
import { z } from 'zod';
import { DigestMismatch, ManifestInvalid } from './errors.js';

export const MANIFEST_FILE = 'manifest.json';
export const KERNEL_FILE = 'vmlinuz';
export const INITRD_FILE = 'initrd';

/** manifest.json as images/phase1/build.sh writes it. */
export const Phase1Manifest = z.object({
  format: z.literal(1),
  target: z.literal('phase1'),
  flavour: KernelFlavour,
  kernelVersion: z.string().min(1),
  compression: z.enum(['xz', 'zstd']),
  /** Digest of the recipe (build script, agent, library): equal recipes build equal images. */
  recipeHash: z.string().min(1),
  sourceDateEpoch: NonNegativeInt,
  builtAt: NonNegativeInt,
  files: z.array(ArtifactFile),
  packages: z.record(z.string(), z.string()),
  contents: z.record(z.string(), z.number()),
});
export type Phase1Manifest = z.infer<typeof Phase1Manifest>;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Reads and validates DIR/manifest.json; null when there is none. */
export async function readManifest(dir: string): Promise<Phase1Manifest | null> {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ManifestInvalid(file, `not JSON (${(err as Error).message})`);
  }
  const result = Phase1Manifest.safeParse(json);
  if (!result.success) throw new ManifestInvalid(file, z.prettifyError(result.error).replaceAll('\n', '; '));
  for (const name of [KERNEL_FILE, INITRD_FILE]) {
    if (!result.data.files.some((entry) => entry.file === name)) throw new ManifestInvalid(file, `no entry for ${name}`);
  }
  return result.data;
}

function entry(manifest: Phase1Manifest, name: string): ArtifactFile {
  const found = manifest.files.find((file) => file.file === name);
  if (!found) throw new ManifestInvalid(MANIFEST_FILE, `no entry for ${name}`);
  return found;
}

/** Recomputes size and sha256 of every file the manifest names; throws on a difference. */
export async function verifyArtifacts(dir: string, manifest: Phase1Manifest): Promise<void> {
  for (const file of manifest.files) {
    const path = join(dir, file.file);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      throw new DigestMismatch(path, 'the file is missing');
    }
    if (size !== file.size) throw new DigestMismatch(path, `size ${size}, manifest says ${file.size}`);
    const digest = await sha256File(path);
    if (digest !== file.sha256) throw new DigestMismatch(path, `sha256 ${digest}, manifest says ${file.sha256}`);
  }
}

/** What the boot API needs to serve /phase1/kernel and /phase1/initrd. */
export function toPhase1Artifacts(dir: string, manifest: Phase1Manifest, buildId: string): Phase1Artifacts {
  return {
    buildId,
    flavour: manifest.flavour,
    kernelVersion: manifest.kernelVersion,
    dir,
    kernel: entry(manifest, KERNEL_FILE),
    initrd: entry(manifest, INITRD_FILE),
    builtAt: manifest.builtAt,
  };
}

/**
 * Moves a verified build from `staging` into `target`, file by file (each rename is atomic,
 * the manifest goes last: whoever reads the new manifest finds the new files). Both
 * directories must be on one filesystem; `staging` is removed afterwards.
 */
export async function promote(staging: string, target: string, manifest: Phase1Manifest): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const file of manifest.files) await rename(join(staging, file.file), join(target, file.file));
  await rename(join(staging, MANIFEST_FILE), join(target, MANIFEST_FILE));
  await rm(staging, { recursive: true, force: true });
}
