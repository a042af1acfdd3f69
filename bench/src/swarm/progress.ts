import type { RunProgress } from './scenario.js';
import { SCENARIO_TITLES, type RunResult, type ScenarioName } from './types.js';

/*
 * Progress while the benchmark runs: on a terminal one line rewritten in place; in a log
 * (CI, a pipe) a line every 5 s, so the output stays readable.
 */

export interface PlannedRun {
  scenario: ScenarioName;
  nodes: number;
  repeat: number;
  repeats: number;
}

function bar(fraction: number, width = 20): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function progressLine(run: PlannedRun, index: number, total: number, p: RunProgress): string {
  const label = `${SCENARIO_TITLES[run.scenario]} N=${run.nodes}${run.repeats > 1 ? ` #${run.repeat}/${run.repeats}` : ''}`;
  return `[${index}/${total}] ${label.padEnd(30)} ${p.elapsedS.toFixed(1).padStart(6)} s ${bar(p.fraction)} ${Math.round(p.fraction * 100)
    .toString()
    .padStart(3)}%  done ${p.done}/${p.total}`;
}

export function resultLine(run: PlannedRun, index: number, total: number, result: RunResult, bound: number): string {
  const label = `${SCENARIO_TITLES[run.scenario]} N=${run.nodes}${run.repeats > 1 ? ` #${run.repeat}/${run.repeats}` : ''}`;
  if (result.lastDoneSeconds === null) return `[${index}/${total}] ${label.padEnd(30)} FAILED: ${result.failure ?? 'unknown'}`;
  const cpu = `CPU mean ${Math.round(result.cpu.busyMean * 100)}% max ${Math.round(result.cpu.busyMax * 100)}%`;
  const disrupted = result.seedDisruptions.length > 0 ? `; SEEDER DISRUPTED: ${result.seedDisruptions.join('; ')}` : '';
  return `[${index}/${total}] ${label.padEnd(30)} last ${result.lastDoneSeconds.toFixed(1)} s (${(result.lastDoneSeconds / bound).toFixed(2)}x T_min), first ${result.firstDoneSeconds?.toFixed(1)} s, seed ${result.seedCopies.toFixed(1)} copies, ${cpu}${disrupted}`;
}

export class ProgressView {
  private lastPrinted = 0;
  private live = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly tty = Boolean(out.isTTY),
  ) {}

  update(line: string): void {
    if (this.tty) {
      this.out.write(`\r\x1b[K${line}`);
      this.live = true;
    } else if (Date.now() - this.lastPrinted >= 5000) {
      this.out.write(`${line}\n`);
      this.lastPrinted = Date.now();
    }
  }

  /** A line that stays (results, notes). */
  print(line: string): void {
    if (this.live) this.out.write('\r\x1b[K');
    this.live = false;
    this.lastPrinted = 0;
    this.out.write(`${line}\n`);
  }
}
