import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeederBench } from './seeder/harness.js';
import { renderSeederTable, type SeederResults } from './seeder/report.js';
import { measureRss, measureSeeders } from './seeder/scenarios.js';

/*
 * pnpm bench seeder [--size-mib N] [--big-gib N] [--repeats N]
 *
 * On loopback, one run: hashing throughput of torrent creation (from the seeder's own log),
 * one aria2c leecher from our seeder vs from an aria2c seeder of the same torrent, four
 * leechers at once, and the seeder's peak RSS while it hashes and seeds a 2 GiB image.
 * Prints a Markdown table and writes the raw figures to bench/results/seeder-<time>.json.
 */

const RESULTS_DIR = fileURLToPath(new URL('../../results/', import.meta.url));

function option(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  const value = index >= 0 ? Number(args[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}

export async function run(args: string[]): Promise<number> {
  const sizeMiB = option(args, '--size-mib', 512);
  const bigGiB = option(args, '--big-gib', 2);
  const repeats = option(args, '--repeats', 3);
  const work = join(tmpdir(), `bt-bench-seeder-${process.pid}`);
  await mkdir(work, { recursive: true });
  const bench = await SeederBench.start(work);
  const stop = () => void bench.close().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const log = (line: string) => process.stderr.write(`[bench seeder] ${line}\n`);
    const { ours, aria2 } = await measureSeeders(bench, { sizeMiB, repeats, log });
    const rss = await measureRss(bench, { sizeGiB: bigGiB, log });
    const results: SeederResults = { at: new Date().toISOString(), machine: await bench.machine(), sizeMiB, repeats, ours, aria2, rss };
    const table = renderSeederTable(results);
    process.stdout.write(`${table}\n`);
    await mkdir(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `seeder-${results.at.replace(/[:.]/g, '-')}.json`);
    await writeFile(file, `${JSON.stringify({ ...results, table }, null, 2)}\n`);
    process.stderr.write(`[bench seeder] results written to ${file}\n`);
    return 0;
  } finally {
    await bench.close();
    await rm(work, { recursive: true, force: true });
  }
}
