import type { KernelFlavour } from '@boottorrent/contracts';

/** One phase-1 build: what to build and where the script writes. */
export interface BuildSpec {
  flavour: KernelFlavour;
  /** Directory receiving vmlinuz, initrd and manifest.json. */
  outDir: string;
  /** Downloads and compiled tools, kept between builds. */
  cacheDir: string;
}

export type LineSink = (line: string) => void;

/**
 * Runs images/phase1/build.sh somewhere: on this host, or in the builder container. Each
 * output line goes to `onLine`; resolves when the script succeeded, rejects (BuildFailed)
 * otherwise.
 */
export interface BuildRunner {
  readonly kind: 'docker' | 'local';
  run(spec: BuildSpec, onLine: LineSink): Promise<void>;
  /** Stops a running build (service shutdown); run() then rejects. */
  stop(): Promise<void>;
}

/** The script's arguments for a spec (paths as the script will see them). */
export function buildArgs(spec: BuildSpec): string[] {
  return ['--flavour', spec.flavour, '--out', spec.outDir, '--cache', spec.cacheDir];
}
