import type { MachineInfo } from './harness.js';
import type { Aria2cSeederResult, OurSeederResult, RssResult, Series } from './scenarios.js';

export interface SeederResults {
  at: string;
  machine: MachineInfo;
  sizeMiB: number;
  repeats: number;
  ours: OurSeederResult;
  aria2: Aria2cSeederResult;
  rss: RssResult;
}

const MB = 1_000_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const f1 = (x: number) => x.toFixed(1);
const mb = (bytes: number | null) => (bytes === null ? '–' : `${f1(bytes / MB)} MB`);
const seedCores = (s: Series) => {
  const values = s.runs.map((run) => run.seedCores).filter((x): x is number => x !== null);
  return values.length ? median(values).toFixed(2) : '?';
};

const wall = (s: Series) => median(s.runs.map((run) => run.wallMiBs));

function rate(s: Series): string {
  return s.runs.length > 1 ? `${f1(s.medianMiBs)} MiB/s (min ${f1(s.minMiBs)}, max ${f1(s.maxMiBs)})` : `${f1(s.medianMiBs)} MiB/s`;
}

/** The benchmark's Markdown table: one line per figure the issue asks for. */
export function renderSeederTable(r: SeederResults): string {
  const singleRatio = r.ours.single.medianMiBs / r.aria2.single.medianMiBs;
  const fourRatio = r.ours.four.medianMiBs / r.aria2.four.medianMiBs;
  const bigMiB = Math.round(r.rss.sizeBytes / 2 ** 20);
  const rows = [
    ['measure', 'our seeder', 'aria2c seeder', 'ours / aria2c', 'target', 'seed process CPU, cores (ours / aria2c)'],
    ['---', '--:', '--:', '--:', '---', '--:'],
    [`torrent creation, ${r.sizeMiB} MiB random (hashing)`, `${f1(r.ours.creation.mibPerSecond)} MiB/s`, `(verify ${f1(r.aria2.verifySeconds)} s)`, '', '', ''],
    [`torrent creation, ${bigMiB} MiB sparse (hashing)`, `${f1(r.rss.creation.mibPerSecond)} MiB/s`, '', '', '', ''],
    [`1 aria2c leecher, ${r.sizeMiB} MiB`, rate(r.ours.single), rate(r.aria2.single), `${singleRatio.toFixed(2)}`, '>= 1.0', `${seedCores(r.ours.single)} / ${seedCores(r.aria2.single)}`],
    [`4 aria2c leechers at once, aggregate`, rate(r.ours.four), rate(r.aria2.four), `${fourRatio.toFixed(2)}`, '', `${seedCores(r.ours.four)} / ${seedCores(r.aria2.four)}`],
    [`1 leecher, wall clock (aria2c overhead included)`, `${f1(wall(r.ours.single))} MiB/s`, `${f1(wall(r.aria2.single))} MiB/s`, (wall(r.ours.single) / wall(r.aria2.single)).toFixed(2), '', ''],
    [`4 leechers, wall clock, aggregate`, `${f1(wall(r.ours.four))} MiB/s`, `${f1(wall(r.aria2.four))} MiB/s`, (wall(r.ours.four) / wall(r.aria2.four)).toFixed(2), '', ''],
    [`seeder peak RSS, ${bigMiB} MiB image (VmHWM)`, mb(r.rss.peakRssBytes), '', '', '< 300 MB', ''],
    [`seeder max sampled RSS while hashing + seeding it`, mb(r.rss.maxSampledRssBytes), '', '', '', ''],
    [`${bigMiB} MiB to 1 leecher`, `${f1(r.rss.leech.mibPerSecond)} MiB/s`, '', '', '', r.rss.leech.seedCores === null ? '?' : r.rss.leech.seedCores.toFixed(2)],
  ];
  const table = rows.map((row) => `| ${row.join(' | ')} |`).join('\n');
  const m = r.machine;
  return [
    `## pnpm bench seeder (${r.at})`,
    '',
    table,
    '',
    `Loopback, ${r.repeats} run(s) per transfer figure (median, min, max), ours and aria2c interleaved (each leecher meets only the seed measured: the aria2c side uses a second tracker). ${m.cpus} x ${m.cpuModel}, kernel ${m.kernel}, Node ${m.node}, ${m.aria2c}, load at start ${m.loadAtStart.map((x) => x.toFixed(2)).join(' / ')}.`,
    "Transfer rates: bytes every leecher received, from the first unchoke any leecher got to the last piece any leecher received, per aria2c's log (aria2c's one-second command loop adds ~3 s of start-up and stop announce that do not depend on the seeder; the wall-clock rows include it).",
    "Images were just written, so both seeders read from the page cache; the big image is sparse and read cold (its RSS figure is the point; the first read of a sparse file runs at ~380 MB/s on this VM, dd included).",
    "Seed CPU: the seeding process's CPU time over the transfer time (1.00 = one core); the 2 shared cores also run the leechers.",
  ].join('\n');
}
