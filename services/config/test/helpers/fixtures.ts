import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DesiredState, OsDesired, Phase1Artifacts, TorrentReady } from '@boottorrent/contracts';
import { loadProject, toDesiredState } from '@boottorrent/project';
import { createLogger, type Logger } from '@boottorrent/runtime';

/*
 * Test projects in temporary folders, with small random "kernels" and "initrds": the config
 * service reads, hashes the metadata of and serves these files but never boots them.
 */

export interface TestOs {
  name: string;
  dispname: string;
  kernel?: string;
  initrd?: string | null;
  cmdline?: string;
  /** Extra files in the OS folder, path -> size in bytes. */
  extra?: Record<string, number>;
}

export interface TestProjectOptions {
  address?: string;
  apiPort?: number;
  timeout?: number;
  defaultOs?: string | null;
  menu?: string[];
  unknownNodes?: 'menu' | 'default' | 'refuse';
  /** MAC -> pinned OS (null: known node without a pin). */
  nodes?: Record<string, string | null>;
  webSeed?: boolean;
  oses?: TestOs[];
}

export const DEBIAN: TestOs = { name: 'debian', dispname: 'Debian GNU/Linux 12', kernel: 'vmlinuz', initrd: 'initrd.img', cmdline: 'console=ttyS0 quiet' };
export const ALPINE: TestOs = { name: 'alpine', dispname: 'Alpine Linux', kernel: 'boot/vmlinuz-lts', initrd: 'boot/initramfs-lts', cmdline: "modules=loop,squashfs quiet it's" };

function yamlString(value: string): string {
  return JSON.stringify(value);
}

export function projectYaml(options: TestProjectOptions = {}): string {
  const nodes = Object.entries(options.nodes ?? {});
  const address = options.address ?? '10.77.0.1';
  const subnet = address.split('.').slice(0, 3).join('.');
  return [
    'version: 1',
    'master:',
    `  address: ${address}`,
    '  interface: br-test',
    'dhcp:',
    '  mode: full',
    `  range: ${subnet}.150,${subnet}.200,1h`,
    'boot:',
    `  api_port: ${options.apiPort ?? 8080}`,
    `  timeout: ${options.timeout ?? 30}`,
    `  default_os: ${options.defaultOs === undefined || options.defaultOs === null ? 'null' : options.defaultOs}`,
    `  menu: [${(options.menu ?? []).join(', ')}]`,
    `  unknown_nodes: ${options.unknownNodes ?? 'menu'}`,
    nodes.length === 0 ? 'nodes: {}' : 'nodes:',
    ...nodes.flatMap(([mac, os]) => [`  ${yamlString(mac)}:`, `    os: ${os ?? 'null'}`]),
    'seeder:',
    `  web_seed: ${options.webSeed ?? true}`,
    'linger:',
    '  until_swarm_done: true',
    '  min_seconds: 5',
    '  max_seconds: 90',
    '  max_ratio: 1.5',
    '',
  ].join('\n');
}

async function writeOs(projectDir: string, os: TestOs): Promise<void> {
  const dir = join(projectDir, 'oss', os.name);
  const kernel = os.kernel ?? 'vmlinuz';
  const initrd = os.initrd === undefined ? 'initrd.img' : os.initrd;
  const files: Record<string, number> = { [kernel]: 4096, ...(initrd ? { [initrd]: 8192 } : {}), ...(os.extra ?? {}) };
  for (const [path, size] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), randomBytes(size));
  }
  const config = [`dispname: ${yamlString(os.dispname)}`, 'method: kexec', `kernel: ${kernel}`, `initrd: ${initrd ?? 'null'}`, `cmdline: ${yamlString(os.cmdline ?? '')}`, ''];
  await writeFile(join(dir, 'config.yaml'), config.join('\n'));
}

export interface TestProject {
  dir: string;
  write(options: TestProjectOptions): Promise<void>;
  remove(): Promise<void>;
}

/** A project folder in a fresh temporary directory. */
export async function createTestProject(options: TestProjectOptions = {}): Promise<TestProject> {
  const dir = await mkdtemp(join(tmpdir(), 'bt-config-project-'));
  await mkdir(join(dir, 'oss'));
  for (const os of options.oses ?? [DEBIAN, ALPINE]) await writeOs(dir, os);
  await writeFile(join(dir, 'Boottorrent.yaml'), projectYaml(options));
  return {
    dir,
    write: (next) => writeFile(join(dir, 'Boottorrent.yaml'), projectYaml(next)),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Loads a project the way the service does; throws with the problems when it does not validate. */
export async function desiredOf(dir: string): Promise<DesiredState> {
  const { project, problems } = await loadProject(dir);
  if (!project) throw new Error(`test project does not validate:\n${problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n')}`);
  return toDesiredState(project);
}

/** The TorrentReady a seeder would publish for this OS (the hash is made up; nothing checks it here). */
export function torrentFor(os: OsDesired, desired: DesiredState, salt = ''): TorrentReady {
  const infoHash = createHash('sha1').update(`${os.name}:${salt}:${JSON.stringify(os.files)}`).digest('hex');
  const length = os.files.reduce((sum, file) => sum + file.length, 0);
  const pieceLength = 262_144;
  const base = desired.network.seeder.baseUrl;
  return {
    os: os.name,
    infoHash,
    magnet: `magnet:?xt=urn:btih:${infoHash}&dn=${os.name}`,
    name: os.name,
    length,
    pieceLength,
    pieceCount: Math.max(1, Math.ceil(length / pieceLength)),
    files: os.files.map((file) => ({ path: file.path, length: file.length })),
    torrentUrl: `${base}/torrents/${infoHash}.torrent`,
    webSeeds: [`${base}/webseed/`],
    announce: desired.network.tracker.announceUrls,
    seeder: { id: 'test-seeder', host: 'localhost' },
    at: Date.now(),
  };
}

export interface Phase1Fixture {
  artifacts: Phase1Artifacts;
  kernel: Buffer;
  initrd: Buffer;
  remove(): Promise<void>;
}

/**
 * Phase-1 "artifacts" in a temporary directory, described as the image-builder would: random
 * bytes, or (for the qemu tests) a real bootable image as the kernel.
 */
export async function createPhase1Artifacts(options: { kernel?: number | string; initrd?: number } = {}): Promise<Phase1Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'bt-config-phase1-'));
  const kernel = typeof options.kernel === 'string' ? await readFile(options.kernel) : randomBytes(options.kernel ?? 70_000);
  const initrd = randomBytes(options.initrd ?? 150_000);
  await writeFile(join(dir, 'vmlinuz'), kernel);
  await writeFile(join(dir, 'initrd.img'), initrd);
  const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
  return {
    kernel,
    initrd,
    artifacts: {
      buildId: 'test-build',
      flavour: 'cloud',
      kernelVersion: '6.1.0-test',
      dir,
      kernel: { file: 'vmlinuz', size: kernel.length, sha256: sha256(kernel) },
      initrd: { file: 'initrd.img', size: initrd.length, sha256: sha256(initrd) },
      builtAt: Date.now(),
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface CapturedLogger {
  logger: Logger;
  lines: Array<Record<string, unknown> & { msg?: string; level?: number }>;
}

/** A real pino logger whose lines the test can read. */
export function captureLogger(level: 'debug' | 'info' = 'debug'): CapturedLogger {
  const lines: CapturedLogger['lines'] = [];
  const logger = createLogger('config', { level, destination: { write: (text: string) => void lines.push(JSON.parse(text)) } });
  return { logger, lines };
}
