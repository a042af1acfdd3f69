import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DOCKER_COMPOSE, type DockerEngine } from '@boottorrent/lab';
import { isAlive } from '@boottorrent/runtime';
import { run, shortId, type Netns } from '@boottorrent/testing';
import { repoRoot } from '../system/in-netns.js';

/**
 * The engine's data root for the container tests: kept in the repo's gitignored cache, so a
 * second run on the same machine reuses the base images and every unchanged build layer.
 */
export const DOCKER_DATA_ROOT = join(repoRoot, '.cache', 'docker');
export const IMAGE_TAG = 'local';
export const SERVICE_IMAGES = ['config', 'dhcp', 'seeder', 'tracker', 'image-builder'] as const;
export const BUILDER_IMAGE = 'boottorrent/phase1-builder:local';

export function serviceImage(service: string): string {
  return `boottorrent/${service}:${IMAGE_TAG}`;
}

/** Each engine gets its own socket and containerd state: short (socket paths), never shared. */
export function engineRunDir(label: string): string {
  return `/run/btdk-${label}-${shortId(4)}`;
}

/** Wall-clock time of each phase, printed at the end (CI budget). */
export class Timings {
  readonly rows: Array<{ what: string; seconds: number }> = [];

  async time<T>(what: string, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await work();
    } finally {
      this.rows.push({ what, seconds: (Date.now() - started) / 1000 });
    }
  }

  table(): string {
    const width = Math.max(...this.rows.map((row) => row.what.length), 10);
    return this.rows.map((row) => `${row.what.padEnd(width)}  ${row.seconds.toFixed(1).padStart(7)} s`).join('\n');
  }
}

/** scripts/build-base-images.sh against `engine`: the stand-in image names it prints. */
export async function buildBaseImages(engine: DockerEngine): Promise<Record<'DEBIAN_IMAGE' | 'NODE_IMAGE' | 'NATS_IMAGE', string>> {
  const out = await run('bash', [join(repoRoot, 'scripts', 'build-base-images.sh')], { env: engine.env() });
  const values = Object.fromEntries(
    out
      .split('\n')
      .map((line) => /^([A-Z_]+)=(\S+)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1], match[2]]),
  );
  const { DEBIAN_IMAGE, NODE_IMAGE, NATS_IMAGE } = values;
  if (!DEBIAN_IMAGE || !NODE_IMAGE || !NATS_IMAGE) throw new Error(`build-base-images.sh printed no image names:\n${out}`);
  return { DEBIAN_IMAGE, NODE_IMAGE, NATS_IMAGE };
}

/**
 * An env file as an operator writes it: deploy/.env.example (or another documented example)
 * with this run's settings appended. Returned with its path.
 */
export async function writeEnvFile(dir: string, example: string, settings: Readonly<Record<string, string>>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${shortId(6)}.env`);
  const lines = Object.entries({ ...settings, BT_ENV_FILE: file }).map(([key, value]) => `${key}=${value}`);
  await writeFile(file, `${await readFile(example, 'utf8')}\n${lines.join('\n')}\n`);
  return file;
}

/** `docker-compose config` of a compose file with an env file, as JSON (compose prints YAML). */
export async function composeConfig(composeFile: string, envFile: string): Promise<ComposeConfig> {
  const yaml = await run(DOCKER_COMPOSE, ['--file', composeFile, '--env-file', envFile, 'config'], { cwd: repoRoot });
  // PyYAML comes with docker-compose (it is written in Python).
  const json = await run('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: yaml });
  return JSON.parse(json) as ComposeConfig;
}

export interface ComposeService {
  image?: string;
  network_mode?: string;
  restart?: string;
  read_only?: boolean;
  cap_add?: string[];
  cap_drop?: string[];
  security_opt?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  environment?: Record<string, string>;
  profiles?: string[];
  build?: { context: string; dockerfile: string; network?: string; args?: Record<string, string> };
}

export interface ComposeConfig {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, unknown>;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Copies images from one engine to another (docker save | docker load), as one would between hosts. */
export async function copyImages(from: DockerEngine, to: DockerEngine, images: readonly string[], tarFile: string): Promise<void> {
  await from.docker(['save', '--output', tarFile, ...images]);
  await to.docker(['load', '--input', tarFile]);
}

/** Bytes sent or received on an interface of a namespace, from its own view of /sys. */
export async function interfaceBytes(ns: Netns, dev: string, direction: 'tx' | 'rx'): Promise<number> {
  return Number((await ns.exec('cat', [`/sys/class/net/${dev}/statistics/${direction}_bytes`])).trim());
}

/** JSON from a URL inside a namespace (its addresses are not reachable from here). */
export async function getJsonIn<T>(ns: Netns, url: string): Promise<T> {
  const { stdout } = await promisify(execFile)('ip', [
    'netns',
    'exec',
    ns.name,
    process.execPath,
    '-e',
    `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(5000) }).then(async (r) => { if (!r.ok) throw new Error(r.status + ' ' + (await r.text())); process.stdout.write(JSON.stringify(await r.json())); })`,
  ]);
  return JSON.parse(stdout) as T;
}

/**
 * Waits until no other run (another checkout's test, a second `pnpm test`) uses the engine data
 * root, then claims it: two engines on one data root corrupt it. The claim is a file holding
 * our PID; one whose process is gone counts as free. Returns the release function.
 */
export async function claimDataRoot(dataRoot: string, waitMs = 60 * 60_000): Promise<() => Promise<void>> {
  await mkdir(dataRoot, { recursive: true });
  const file = `${dataRoot}.owner`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (!isAlive(owner)) {
      await rm(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${dataRoot} is still in use by pid ${owner} after ${waitMs / 60_000} min`);
    await sleep(5000);
  }
}
