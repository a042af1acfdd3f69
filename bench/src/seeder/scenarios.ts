import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { aria2cDone, freePort, startAria2c, waitFor, type ManagedProcess } from '@boottorrent/testing';
import { transferWindow } from './aria2c-log.js';
import { processCpuSeconds, withCpu } from './cpu.js';
import { memoryOf, type SeederBench } from './harness.js';
import { writeBenchOs } from './project.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface TransferRun {
  /** Wall time from starting the leechers to the last one exiting. */
  seconds: number;
  /** First unchoke any leecher got -> last piece any leecher received (aria2c's log clock). */
  transferSeconds: number;
  /** Bytes received by all leechers over transferSeconds, in MiB/s. */
  mibPerSecond: number;
  /** The same bytes over the wall time (aria2c's ~3 s of fixed overhead included). */
  wallMiBs: number;
  /** Busy share of all cores during the run (mean over its wall clock). */
  busy: number;
  /** CPU seconds the seeding process used during the run, over the transfer time (1.0 = one full core). */
  seedCores: number | null;
}

export interface Series {
  leechers: number;
  runs: TransferRun[];
  medianMiBs: number;
  minMiBs: number;
  maxMiBs: number;
}

export interface Creation {
  bytes: number;
  ms: number;
  mibPerSecond: number;
}

export interface OurSeederResult {
  infoHash: string;
  torrentPath: string;
  creation: Creation;
  single: Series;
  four: Series;
  peakRssBytes: number | null;
}

export interface Aria2cSeederResult {
  /** aria2c hash-checks the image before it seeds. */
  verifySeconds: number;
  single: Series;
  four: Series;
}

export interface RssResult {
  sizeBytes: number;
  creation: Creation;
  leech: TransferRun;
  /** VmHWM: the process's peak resident set over its whole life (hashing included). */
  peakRssBytes: number | null;
  /** Highest VmRSS sampled every 100 ms while hashing and seeding. */
  maxSampledRssBytes: number;
}

type Log = (line: string) => void;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The seeder logs {"bytes","ms","hashed":true,"msg":"torrent created"} for every torrent it hashed. */
async function creationOf(seeder: ManagedProcess, os: string): Promise<Creation> {
  const line = await seeder.waitForLine(new RegExp(`"os":"${os}".*"hashed":true.*"msg":"torrent created"`), 600_000);
  const { bytes, ms } = JSON.parse(line) as { bytes: number; ms: number };
  return { bytes, ms, mibPerSecond: bytes / MiB / (Math.max(ms, 1) / 1000) };
}

async function saveTorrent(url: string, path: string): Promise<string> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  await writeFile(path, new Uint8Array(await res.arrayBuffer()));
  return path;
}

/** `leechers` aria2c leechers started together; the run lasts until the last one is done. */
async function leechRun(bench: SeederBench, torrent: string, leechers: number, sizeBytes: number, tag: string, seedPid: number, extraArgs: string[] = []): Promise<TransferRun> {
  const seedCpuBefore = await processCpuSeconds(seedPid);
  const dirs = Array.from({ length: leechers }, (_, i) => join(bench.work, `${tag}-${i}`));
  const ports = await Promise.all(dirs.map(() => freePort()));
  const logs = dirs.map((dir) => `${dir}.log`);
  const { value: seconds, busy } = await withCpu(async () => {
    const started = performance.now();
    const procs = dirs.map((dir, i) =>
      bench.track(startAria2c(`${tag}-${i}`, { torrent, dir, listenPort: ports[i]!, extraArgs: [...extraArgs, `--log=${logs[i]}`, '--log-level=info'] })),
    );
    try {
      await Promise.all(procs.map((proc) => aria2cDone(proc, 600_000)));
    } finally {
      await Promise.all(procs.map((proc) => proc.stop()));
    }
    return (performance.now() - started) / 1000;
  });
  const seedCpuAfter = await processCpuSeconds(seedPid);
  const windows = await Promise.all(logs.map((log) => transferWindow(log)));
  const transferSeconds = (Math.max(...windows.map((w) => w.completeMs)) - Math.min(...windows.map((w) => w.firstUnchokeMs))) / 1000;
  await Promise.all([...dirs, ...logs].map((path) => rm(path, { recursive: true, force: true })));
  const mib = (leechers * sizeBytes) / MiB;
  const seedCores = seedCpuBefore !== null && seedCpuAfter !== null ? (seedCpuAfter - seedCpuBefore) / transferSeconds : null;
  return { seconds, transferSeconds, mibPerSecond: mib / transferSeconds, wallMiBs: mib / seconds, busy, seedCores };
}

function summarise(leechers: number, runs: TransferRun[]): Series {
  const rates = runs.map((run) => run.mibPerSecond);
  return { leechers, runs, medianMiBs: median(rates), minMiBs: Math.min(...rates), maxMiBs: Math.max(...rates) };
}

interface Side {
  label: string;
  pid: number;
  /** aria2c arguments that make a leecher find this seed only. */
  leecherArgs: string[];
}

/**
 * Runs of `leechers` leechers against each seed, interleaved (ours, aria2c, aria2c, ours, ...)
 * so that load from other work on the shared machine falls on both alike.
 */
async function interleaved(bench: SeederBench, torrent: string, leechers: number, repeats: number, sizeBytes: number, sides: [Side, Side], log: Log): Promise<[Series, Series]> {
  const runs: [TransferRun[], TransferRun[]] = [[], []];
  for (let i = 0; i < repeats; i++) {
    const order = i % 2 === 0 ? [0, 1] : [1, 0];
    for (const index of order) {
      const side = sides[index]!;
      const run = await leechRun(bench, torrent, leechers, sizeBytes, `${side.label}-${leechers}x-${i}`, side.pid, side.leecherArgs);
      log(
        `${side.label}: ${leechers} leecher(s), run ${i + 1}/${repeats}: transfer ${run.transferSeconds.toFixed(2)} s = ${run.mibPerSecond.toFixed(1)} MiB/s (wall ${run.seconds.toFixed(2)} s), seed ${run.seedCores?.toFixed(2) ?? '?'} cores, machine ${(run.busy * 100).toFixed(0)}% busy`,
      );
      runs[index]!.push(run);
    }
  }
  return [summarise(leechers, runs[0]), summarise(leechers, runs[1])];
}

/**
 * Our seeder service (a real process) and an aria2c seed of the same torrent from the same
 * files, side by side: ours announces to the tracker in the .torrent, the aria2c seed and its
 * leechers to a second tracker (same service, bound to 127.0.0.2) and ignore the .torrent's,
 * so each leecher only ever meets the seed being measured.
 */
export async function measureSeeders(bench: SeederBench, options: { sizeMiB: number; repeats: number; log: Log }): Promise<{ ours: OurSeederResult; aria2: Aria2cSeederResult }> {
  const project = join(bench.work, 'project');
  const sizeBytes = options.sizeMiB * MiB;
  options.log(`writing a ${options.sizeMiB} MiB random image`);
  const os = await writeBenchOs(project, 'bench', sizeBytes, 'random');
  await bench.setOses(project, [os]);
  const seeder = await bench.startService('seeder', { BT_PROJECT_DIR: project, BT_STATE_DIR: join(bench.work, 'state-ours'), BT_BIND_HOST: '127.0.0.1' });
  const ready = await bench.waitTorrent('bench');
  const creation = await creationOf(seeder, 'bench');
  options.log(`torrent created: ${creation.mibPerSecond.toFixed(0)} MiB/s of hashing`);
  const torrentPath = await saveTorrent(ready.torrentUrl, join(bench.work, 'bench.torrent'));
  await waitFor(async () => (await bench.seeders(ready.infoHash)) >= 1, { timeoutMs: 30_000, what: 'our seeder in the swarm' });

  const otherTracker = await bench.startService('tracker', { BT_BIND_HOST: '127.0.0.2' });
  const aria2Args = ['--bt-exclude-tracker=*', `--bt-tracker=http://127.0.0.2:${bench.network.tracker.port}/announce`];
  const started = performance.now();
  const seed = bench.track(
    startAria2c('aria2c-seed', { torrent: torrentPath, dir: join(project, 'oss'), listenPort: await freePort(), seed: true, checkIntegrity: true, extraArgs: aria2Args }),
  );
  try {
    await seed.waitForLine(/SEED\(/, 300_000);
    const verifySeconds = (performance.now() - started) / 1000;
    options.log(`aria2c seeder verified the image in ${verifySeconds.toFixed(1)} s and is seeding`);
    const sides: [Side, Side] = [
      { label: 'ours', pid: seeder.pid, leecherArgs: [] },
      { label: 'aria2c', pid: seed.pid, leecherArgs: aria2Args },
    ];
    const [oursSingle, aria2Single] = await interleaved(bench, torrentPath, 1, options.repeats, sizeBytes, sides, options.log);
    const [oursFour, aria2Four] = await interleaved(bench, torrentPath, 4, options.repeats, sizeBytes, sides, options.log);
    const peakRssBytes = (await memoryOf(seeder.pid))?.peak ?? null;
    return {
      ours: { infoHash: ready.infoHash, torrentPath, creation, single: oursSingle, four: oursFour, peakRssBytes },
      aria2: { verifySeconds, single: aria2Single, four: aria2Four },
    };
  } finally {
    await seed.stop();
    await otherTracker.stop();
    await seeder.stop();
  }
}

/** A fresh seeder process with one 2 GiB (sparse) OS: its memory while hashing and seeding it to a leecher. */
export async function measureRss(bench: SeederBench, options: { sizeGiB: number; log: Log }): Promise<RssResult> {
  const project = join(bench.work, 'big-project');
  const sizeBytes = Math.round(options.sizeGiB * GiB);
  const os = await writeBenchOs(project, 'big', sizeBytes, 'sparse');
  await bench.setOses(project, [os]);
  const seeder = await bench.startService('seeder', { BT_PROJECT_DIR: project, BT_STATE_DIR: join(bench.work, 'state-big'), BT_BIND_HOST: '127.0.0.1' });
  let maxSampledRssBytes = 0;
  const sampler = setInterval(() => {
    void memoryOf(seeder.pid).then((memory) => (maxSampledRssBytes = Math.max(maxSampledRssBytes, memory?.rss ?? 0)));
  }, 100);
  try {
    const ready = await bench.waitTorrent('big');
    const creation = await creationOf(seeder, 'big');
    options.log(`${options.sizeGiB} GiB torrent created: ${creation.mibPerSecond.toFixed(0)} MiB/s of hashing`);
    const torrent = await saveTorrent(ready.torrentUrl, join(bench.work, 'big.torrent'));
    await waitFor(async () => (await bench.seeders(ready.infoHash)) >= 1, { timeoutMs: 30_000, what: 'our seeder in the swarm' });
    const leech = await leechRun(bench, torrent, 1, sizeBytes, 'big', seeder.pid);
    options.log(`${options.sizeGiB} GiB to one leecher: transfer ${leech.transferSeconds.toFixed(1)} s (wall ${leech.seconds.toFixed(1)} s)`);
    const peakRssBytes = (await memoryOf(seeder.pid))?.peak ?? null;
    return { sizeBytes, creation, leech, peakRssBytes, maxSampledRssBytes };
  } finally {
    clearInterval(sampler);
    await seeder.stop();
  }
}
