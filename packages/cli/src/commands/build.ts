import { join } from 'node:path';
import type { Command } from 'commander';
import { KernelFlavour, type Phase1Artifacts } from '@boottorrent/contracts';
import { DEFAULT_IMAGES_DIR, LocalRunner, Phase1Builder, REPO_ROOT, readManifest } from '@boottorrent/service-image-builder';
import { CliError, EXIT_FAILURE } from '../errors.js';
import { color } from '../output.js';
import { resolveUserPath } from '../paths.js';

/** Where `boottorrent build phase1` writes unless told otherwise; tests and the lab reuse it. */
export const DEFAULT_PHASE1_OUT = join(REPO_ROOT, '.cache', 'phase1');
export const DEFAULT_PHASE1_CACHE = join(REPO_ROOT, '.cache', 'phase1-build');

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

interface BuildOptions {
  flavour: string;
  out?: string;
  cache?: string;
  force?: boolean;
}

export function registerBuild(program: Command): void {
  const build = program.command('build').description('build images (the phase-1 kernel + initrd every node boots first)');
  build
    .command('phase1')
    .description('build the phase-1 kernel + initrd on this host (images/phase1/build.sh), progress shown')
    .option('--flavour <flavour>', 'kernel flavour: cloud (virtual machines) or generic (real hardware NICs)', 'cloud')
    .option('--out <dir>', `output folder for vmlinuz, initrd, manifest.json (default ${DEFAULT_PHASE1_OUT})`)
    .option('--cache <dir>', `downloads and compiled tools, reused between builds (default ${DEFAULT_PHASE1_CACHE})`)
    .option('--force', 'rebuild even when the output was built from the same recipe')
    .action(async (options: BuildOptions) => {
      const flavour = KernelFlavour.safeParse(options.flavour);
      if (!flavour.success) throw new CliError(`--flavour must be cloud or generic, not "${options.flavour}".`, 'use --flavour cloud (VMs) or --flavour generic (real hardware)');
      const out = options.out ? resolveUserPath(options.out) : DEFAULT_PHASE1_OUT;
      const cacheDir = options.cache ? resolveUserPath(options.cache) : DEFAULT_PHASE1_CACHE;
      let failureLine: string | null = null;
      const builder = new Phase1Builder({
        artifactDir: out,
        cacheDir,
        imagesDir: DEFAULT_IMAGES_DIR,
        selectRunner: async () => new LocalRunner(DEFAULT_IMAGES_DIR),
        events: {
          progress: ({ line }) => process.stdout.write(`${line.startsWith('==>') ? color.cyan(line) : line}\n`),
          ready: async () => undefined,
          failed: (failure) => {
            failureLine = failure.failingLine;
          },
        },
      });
      const { done } = await builder.request({ target: 'phase1', flavour: flavour.data, force: options.force ?? false });
      const outcome = await done;
      if (!outcome.ok) {
        const why = (failureLine ?? outcome.failure.message).replace(/^error:\s*/i, '');
        throw new CliError(`the phase-1 build failed: ${why}`, 'read the output above; the previous artifacts (if any) are unchanged', EXIT_FAILURE);
      }
      await printSummary(outcome.artifacts, outcome.built);
    });
}

async function printSummary(artifacts: Phase1Artifacts, built: boolean): Promise<void> {
  const manifest = await readManifest(artifacts.dir);
  const total = artifacts.kernel.size + artifacts.initrd.size;
  const lines = [
    `${color.green(built ? 'built' : 'up to date')} phase-1 ${artifacts.flavour} (kernel ${artifacts.kernelVersion}) in ${artifacts.dir}`,
    `  vmlinuz        ${mib(artifacts.kernel.size).padStart(9)}  sha256 ${artifacts.kernel.sha256}`,
    `  initrd         ${mib(artifacts.initrd.size).padStart(9)}  sha256 ${artifacts.initrd.sha256}`,
    `  total          ${mib(total).padStart(9)}  (what every node pulls from the master)`,
  ];
  if (manifest) {
    const contents = manifest.contents;
    lines.push(
      `  inside initrd  aria2c ${mib(contents.aria2c ?? 0)}, kexec ${mib(contents.kexec ?? 0)}, busybox ${mib(contents.busybox ?? 0)}, ${contents.modules ?? 0} kernel modules`,
      `  packages       ${Object.entries(manifest.packages)
        .map(([name, version]) => `${name} ${version}`)
        .join(', ')}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
