import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { buckets, openBucket, type NetworkDesired, type OsDesired } from '@boottorrent/contracts';
import { createLogger, type Logger } from '@boottorrent/runtime';
import type { NatsConnection } from '@nats-io/transport-node';

/** Quiet unless BT_TEST_LOG=debug|info|... is set. */
export function testLogger(name: string): Logger {
  return createLogger(name, { level: (process.env.BT_TEST_LOG as 'info' | undefined) ?? 'silent' });
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** Writes `bytes` random bytes in 1 MiB chunks (never the whole file in memory). */
export async function writeRandomFile(path: string, bytes: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'w');
  try {
    for (let done = 0; done < bytes; ) {
      const chunk = randomBytes(Math.min(1024 * 1024, bytes - done));
      await handle.write(chunk);
      done += chunk.length;
    }
  } finally {
    await handle.close();
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Creates oss/<name>/ with a config.yaml, a dot-file and the given files (path -> size). */
export async function makeOs(projectDir: string, name: string, files: Record<string, number>): Promise<void> {
  const dir = join(projectDir, 'oss', name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.yaml'), `dispname: ${name}\nmethod: kexec\nkernel: vmlinuz\ninitrd: initrd.img\ncmdline: quiet\n`);
  await writeFile(join(dir, '.hidden'), 'not part of the torrent');
  for (const [path, size] of Object.entries(files)) await writeRandomFile(join(dir, path), size);
}

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full, base)));
    else if (entry.isFile() && relative(base, full) !== 'config.yaml') out.push(relative(base, full));
  }
  return out;
}

/** The desired state of oss/<name>/ as the config service builds it: every file but config.yaml and dot-files, sorted. */
export async function osDesired(projectDir: string, name: string, dirName = name): Promise<OsDesired> {
  const dir = join(projectDir, 'oss', dirName);
  const paths = (await listFiles(dir)).sort();
  const files = [];
  for (const path of paths) {
    const info = await stat(join(dir, path));
    files.push({ path, length: info.size, mtimeMs: info.mtimeMs });
  }
  return {
    name,
    dispname: name,
    method: 'kexec',
    dir: `oss/${dirName}`,
    kernel: 'vmlinuz',
    initrd: paths.includes('initrd.img') ? 'initrd.img' : null,
    cmdline: 'quiet',
    files,
  };
}

export interface NetworkPorts {
  trackerPort: number;
  peerPort: number;
  httpPort: number;
}

/** Desired `network` for a master at `address` (loopback in tests). */
export function networkDesired(address: string, ports: NetworkPorts, options: { webSeed?: boolean; trackerEnabled?: boolean; announceInterval?: number } = {}): NetworkDesired {
  const trackerEnabled = options.trackerEnabled ?? true;
  return {
    address,
    interface: 'lo',
    api: { port: 8080, url: `http://${address}:8080` },
    tracker: {
      enabled: trackerEnabled,
      port: ports.trackerPort,
      announceInterval: options.announceInterval ?? 2,
      announceUrls: trackerEnabled ? [`http://${address}:${ports.trackerPort}/announce`, `udp://${address}:${ports.trackerPort}`] : [],
    },
    seeder: {
      peerPort: ports.peerPort,
      httpPort: ports.httpPort,
      webSeed: options.webSeed ?? true,
      baseUrl: `http://${address}:${ports.httpPort}`,
    },
  };
}

export const openDesired = (nc: NatsConnection) => openBucket(nc, buckets.desired, testLogger('test'));
export const openTorrents = (nc: NatsConnection) => openBucket(nc, buckets.torrents, testLogger('test'));
export type DesiredKv = Awaited<ReturnType<typeof openDesired>>;
export type TorrentsKv = Awaited<ReturnType<typeof openTorrents>>;
