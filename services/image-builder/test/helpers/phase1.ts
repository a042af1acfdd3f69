import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { run } from '@boottorrent/testing';
import { readManifest, type Phase1Manifest } from '../../src/artifacts.js';
import { REPO_ROOT } from '../../src/config.js';

/*
 * The phase-1 build is a one-time cost (about 5 minutes cold: aria2c and kexec compile):
 * every test (and the lab and end-to-end tests) reuses <repo>/.cache/phase1 while it was
 * built from the current recipe, and build.sh itself reuses the compiled tools.
 */

export const PHASE1_DIR = join(REPO_ROOT, '.cache', 'phase1');
export const BUILD_CACHE = join(REPO_ROOT, '.cache', 'phase1-build');
export const BUILD_SCRIPT = join(REPO_ROOT, 'images', 'phase1', 'build.sh');
export const DEMO_BUILD_SCRIPT = join(REPO_ROOT, 'images', 'demo-os', 'build.sh');
/** A cold build compiles aria2c (minutes on 2 busy cores). */
export const BUILD_TIMEOUT_MS = 30 * 60_000;

export async function recipeHash(flavour = 'cloud'): Promise<string> {
  return (await run('bash', [BUILD_SCRIPT, '--flavour', flavour, '--print-recipe-hash'])).trim();
}

/** <repo>/.cache/phase1, built now unless it already matches the recipe. */
export async function ensurePhase1(): Promise<{ dir: string; manifest: Phase1Manifest }> {
  const current = await readManifest(PHASE1_DIR).catch(() => null);
  if (!current || current.flavour !== 'cloud' || current.recipeHash !== (await recipeHash())) {
    await run('bash', [BUILD_SCRIPT, '--out', PHASE1_DIR, '--cache', BUILD_CACHE], { timeout: BUILD_TIMEOUT_MS });
  }
  const manifest = await readManifest(PHASE1_DIR);
  if (!manifest) throw new Error(`${PHASE1_DIR} has no manifest.json after the build`);
  return { dir: PHASE1_DIR, manifest };
}

/** Unpacks an initrd (xz or zstd cpio) into a new temporary directory; returns it. */
export async function unpackInitrd(initrd: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'bt-p1root-'));
  const head = (await readFile(initrd)).subarray(0, 4);
  const decompress = head[0] === 0xfd ? 'xz -dc' : 'zstd -dc';
  // Device nodes (dev/console) are skipped: unpacking needs only the files.
  await run('sh', ['-c', `${decompress} "$0" | (cd "$1" && cpio -i -d --quiet --no-absolute-filenames --nonmatching 'dev/*')`, initrd, root]);
  return root;
}

async function treeHash(dirs: string[]): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else {
        hash.update(relative(REPO_ROOT, full));
        hash.update(await readFile(full));
      }
    }
  };
  for (const dir of dirs) await walk(dir);
  return hash.digest('hex').slice(0, 16);
}

/**
 * A demo OS folder (vmlinuz, initrd, config.yaml, payload.bin) for a project's oss/, built by
 * images/demo-os/build.sh into <repo>/.cache/demo-os/ and reused while its recipe and
 * arguments are unchanged.
 */
export async function ensureDemoOs(options: { name: string; payloadMib: number; cmdline: string }): Promise<string> {
  const key = createHash('sha256')
    .update(JSON.stringify(options))
    .update(await treeHash([join(REPO_ROOT, 'images', 'demo-os'), join(REPO_ROOT, 'images', 'lib')]))
    .digest('hex')
    .slice(0, 12);
  const dir = join(REPO_ROOT, '.cache', 'demo-os', `${options.name}-${options.payloadMib}-${key}`);
  const stamp = join(dir, '.built');
  const built = await readFile(stamp, 'utf8').catch(() => null);
  if (built !== key) {
    await mkdir(dir, { recursive: true });
    await run('bash', [DEMO_BUILD_SCRIPT, '--out', dir, '--name', options.name, '--payload-mib', String(options.payloadMib), '--cmdline', options.cmdline, '--cache', BUILD_CACHE], {
      timeout: BUILD_TIMEOUT_MS,
    });
    await writeFile(stamp, key);
  }
  // Builds of an older recipe for the same name and size are garbage now.
  const stale = new RegExp(`^${options.name}-${options.payloadMib}-[0-9a-f]{12}$`);
  for (const entry of await readdir(dirname(dir))) {
    if (stale.test(entry) && join(dirname(dir), entry) !== dir) await rm(join(dirname(dir), entry), { recursive: true, force: true });
  }
  return dir;
}
