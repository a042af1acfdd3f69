import { spawn } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

/** Runs a build script, passing each output line on (progress), rejecting with the last lines on failure. */
export function runBuildScript(script: string, args: string[], onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const take = (line: string) => {
      tail.push(line);
      if (tail.length > 30) tail.shift();
      onLine(line);
    };
    createInterface({ input: child.stdout }).on('line', take);
    createInterface({ input: child.stderr }).on('line', take);
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script} failed (exit ${code}):\n${tail.join('\n')}`))));
  });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Phase-1 kernel+initrd in `dir`, up to date with images/phase1: build.sh knows its recipe
 * and takes seconds when nothing changed, minutes only for a first (compiling) build.
 */
export async function ensurePhase1(repoRoot: string, dir: string, onLine: (line: string) => void): Promise<void> {
  if (!(await exists(join(dir, 'manifest.json')))) onLine(`building phase-1 into ${dir} (the first build compiles aria2c and kexec: minutes)`);
  await runBuildScript(join(repoRoot, 'images', 'phase1', 'build.sh'), ['--out', dir], onLine);
}

/** The demo OS folder with a payload of `payloadMib`, built (and cached per payload size) when missing. */
export async function ensureDemoOs(repoRoot: string, cacheDir: string, payloadMib: number, onLine: (line: string) => void): Promise<string> {
  const dir = join(cacheDir, `demo-${payloadMib}mib`);
  if (await exists(join(dir, 'config.yaml'))) return dir;
  onLine(`building the demo OS (payload ${payloadMib} MiB) into ${dir}`);
  await runBuildScript(join(repoRoot, 'images', 'demo-os', 'build.sh'), ['--out', dir, '--payload-mib', String(payloadMib)], onLine);
  if (!(await exists(join(dir, 'config.yaml')))) throw new Error(`the demo OS build wrote no config.yaml into ${dir}`);
  return dir;
}

export async function readJsonFile<T>(path: string): Promise<T | null> {
  const text = await readFile(path, 'utf8').catch(() => null);
  return text === null ? null : (JSON.parse(text) as T);
}
