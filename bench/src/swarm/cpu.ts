import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { CpuFigures } from './types.js';

/*
 * CPU figures for one run. The machine has 2 cores shared with other work: a run that
 * saturated the CPU measured the CPU, not the network, so every run records how busy the
 * machine was (/proc/stat, every 0.5 s) and how much CPU our own processes took (cgroup v1
 * cpuacct, when the kernel offers it).
 */

interface CpuTimes {
  busy: number;
  total: number;
}

/** Parses the aggregate "cpu" line of /proc/stat. */
export function parseProcStat(text: string): CpuTimes {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no aggregate cpu line in /proc/stat');
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

export class CpuSampler {
  private samples: number[] = [];
  private last: CpuTimes | null = null;
  private timer: NodeJS.Timeout | null = null;

  async start(intervalMs = 500): Promise<void> {
    this.samples = [];
    this.last = parseProcStat(await readFile('/proc/stat', 'utf8'));
    this.timer = setInterval(() => void this.sample(), intervalMs);
  }

  private async sample(): Promise<void> {
    const now = parseProcStat(await readFile('/proc/stat', 'utf8'));
    if (this.last && now.total > this.last.total) this.samples.push((now.busy - this.last.busy) / (now.total - this.last.total));
    this.last = now;
  }

  /** Stops sampling and summarises (mean, max, share of saturated samples). */
  async stop(): Promise<{ busyMean: number; busyMax: number; saturatedShare: number }> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sample();
    const s = this.samples;
    if (s.length === 0) return { busyMean: 0, busyMax: 0, saturatedShare: 0 };
    return {
      busyMean: s.reduce((a, b) => a + b, 0) / s.length,
      busyMax: Math.max(...s),
      saturatedShare: s.filter((x) => x >= 0.95).length / s.length,
    };
  }
}

export async function loadAverage(): Promise<number> {
  const text = await readFile('/proc/loadavg', 'utf8');
  return Number(text.split(' ')[0]);
}

const CPUACCT_ROOT = '/sys/fs/cgroup/cpuacct';

/**
 * A cpuacct cgroup holding processes we start (their children inherit it). Unavailable on a
 * cgroup-v2-only host: then every figure is null and the machine-wide sampler still works.
 */
export class CpuAccount {
  private constructor(readonly dir: string | null) {}

  static async create(name: string): Promise<CpuAccount> {
    const dir = join(CPUACCT_ROOT, name);
    try {
      await mkdir(dir, { recursive: true });
      await readFile(join(dir, 'cpuacct.usage'), 'utf8');
      return new CpuAccount(dir);
    } catch {
      return new CpuAccount(null);
    }
  }

  /** Moves a process (and so its future children) into the group. Best effort. */
  async add(pid: number): Promise<void> {
    if (!this.dir) return;
    await writeFile(join(this.dir, 'cgroup.procs'), `${pid}\n`).catch(() => undefined);
  }

  /** CPU seconds used so far by every process that ever ran in the group. */
  async seconds(): Promise<number | null> {
    if (!this.dir) return null;
    const text = await readFile(join(this.dir, 'cpuacct.usage'), 'utf8').catch(() => null);
    return text === null ? null : Number(text.trim()) / 1e9;
  }

  /** Removes the group; it must be empty (every process gone). */
  async remove(): Promise<void> {
    if (this.dir) await rmdir(this.dir).catch(() => undefined);
  }
}

export function coreCount(): number {
  return cpus().length;
}

/** Assembles the figures of one run. */
export function cpuFigures(input: {
  loadBefore: number;
  machine: { busyMean: number; busyMax: number; saturatedShare: number };
  master: [number | null, number | null];
  nodes: [number | null, number | null];
}): CpuFigures {
  const delta = ([before, after]: [number | null, number | null]) => (before === null || after === null ? null : Math.max(0, after - before));
  return {
    loadBefore: input.loadBefore,
    ...input.machine,
    masterCpuSeconds: delta(input.master),
    nodesCpuSeconds: delta(input.nodes),
    cores: coreCount(),
  };
}
