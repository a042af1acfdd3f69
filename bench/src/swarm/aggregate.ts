import { uniformBounds, type Bounds } from './bounds.js';
import { median, slope } from './stats.js';
import { SCENARIOS, type RunResult, type ScenarioName } from './types.js';

/*
 * From raw runs to the figures the table, the plot and the targets use. Repeats of a
 * scenario are summarised by their median (the headline) and their max (the noise): this
 * machine is shared and noisy, and a single run proves little.
 */

export interface ScenarioSummary {
  runs: number;
  /** Runs in which every node finished. */
  completed: number;
  /** Time to the last node done, over the completed runs. */
  medianS: number | null;
  minS: number | null;
  maxS: number | null;
  /** Median over runs of the first node's time (ramp-up). */
  medianFirstS: number | null;
  /** median / T_min. */
  ratioToBound: number | null;
  /** central median / this median (1 for central itself). */
  speedupVsCentral: number | null;
  /** Bytes the master sent over the image size (median over runs). */
  seedCopies: number | null;
  /** Worst CPU figures over the runs: a saturated run measured the CPU, not the network. */
  busyMax: number | null;
  saturatedShareMax: number | null;
  /** Mean busy share of the machine over the runs (median). */
  busyMean: number | null;
  /** Runs during which the seeder dropped and re-added the torrent (see master-events.ts). */
  disrupted: number;
}

export interface SummaryRow {
  nodes: number;
  bounds: Bounds;
  scenarios: Partial<Record<ScenarioName, ScenarioSummary>>;
}

function summarise(runs: readonly RunResult[], bound: number): ScenarioSummary {
  const times = runs.map((r) => r.lastDoneSeconds).filter((t): t is number => t !== null);
  const firsts = runs.map((r) => r.firstDoneSeconds).filter((t): t is number => t !== null);
  const med = times.length > 0 ? median(times) : null;
  return {
    runs: runs.length,
    completed: times.length,
    medianS: med,
    minS: times.length > 0 ? Math.min(...times) : null,
    maxS: times.length > 0 ? Math.max(...times) : null,
    medianFirstS: firsts.length > 0 ? median(firsts) : null,
    ratioToBound: med === null ? null : med / bound,
    speedupVsCentral: null,
    seedCopies: runs.length > 0 ? median(runs.map((r) => r.seedCopies)) : null,
    busyMax: runs.length > 0 ? Math.max(...runs.map((r) => r.cpu.busyMax)) : null,
    saturatedShareMax: runs.length > 0 ? Math.max(...runs.map((r) => r.cpu.saturatedShare)) : null,
    busyMean: runs.length > 0 ? median(runs.map((r) => r.cpu.busyMean)) : null,
    disrupted: runs.filter((r) => (r.seedDisruptions ?? []).length > 0).length,
  };
}

export function summariseRuns(runs: readonly RunResult[], settings: { imageBytes: number; rateMbit: number }): SummaryRow[] {
  const counts = [...new Set(runs.map((r) => r.nodes))].sort((a, b) => a - b);
  return counts.map((nodes) => {
    const bounds = uniformBounds(settings.imageBytes, nodes, settings.rateMbit);
    const scenarios: SummaryRow['scenarios'] = {};
    for (const scenario of SCENARIOS) {
      const mine = runs.filter((r) => r.nodes === nodes && r.scenario === scenario);
      if (mine.length > 0) scenarios[scenario] = summarise(mine, bounds.p2pSeconds);
    }
    const central = scenarios.central?.medianS ?? null;
    for (const summary of Object.values(scenarios)) {
      if (central !== null && summary.medianS !== null && summary.medianS > 0) summary.speedupVsCentral = central / summary.medianS;
    }
    return { nodes, bounds, scenarios };
  });
}

export interface TargetCheck {
  name: string;
  /** Measured value (null: not measured in this run). */
  value: number | null;
  limit: number;
  met: boolean | null;
  detail: string;
}

const fmt = (x: number) => x.toFixed(2);

/** The targets, evaluated on medians (and on the worst repeat for the bound ratio). */
export function checkTargets(rows: readonly SummaryRow[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const linger = rows.filter((r) => r.scenarios['swarm-linger']?.medianS != null);
  if (linger.length >= 2) {
    const first = linger[0] as SummaryRow;
    const last = linger[linger.length - 1] as SummaryRow;
    const value = (last.scenarios['swarm-linger']?.medianS as number) / (first.scenarios['swarm-linger']?.medianS as number);
    checks.push({ name: `swarm with linger: time(N=${last.nodes}) / time(N=${first.nodes})`, value, limit: 1.5, met: value <= 1.5, detail: `medians ${fmt(last.scenarios['swarm-linger']?.medianS as number)} s / ${fmt(first.scenarios['swarm-linger']?.medianS as number)} s` });
  }
  if (linger.length > 0) {
    const worst = linger.reduce((a, b) => ((b.scenarios['swarm-linger']?.ratioToBound ?? 0) > (a.scenarios['swarm-linger']?.ratioToBound ?? 0) ? b : a));
    const value = worst.scenarios['swarm-linger']?.ratioToBound as number;
    const over = linger.filter((r) => (r.scenarios['swarm-linger']?.ratioToBound ?? 0) > 1.5).map((r) => r.nodes);
    checks.push({ name: 'swarm with linger: time / T_min at every N (worst median)', value, limit: 1.5, met: value <= 1.5, detail: over.length === 0 ? `worst at N=${worst.nodes}` : `above 1.5 at N = ${over.join(', ')}` });
  }
  const central = rows.filter((r) => r.scenarios.central?.medianS != null);
  if (central.length >= 2) {
    const points = central.map((r) => [r.nodes, r.scenarios.central?.medianS as number] as const);
    const perNode = slope(points);
    const first = central[0] as SummaryRow;
    const last = central[central.length - 1] as SummaryRow;
    const growth = (last.scenarios.central?.medianS as number) / (first.scenarios.central?.medianS as number);
    const expected = last.nodes / first.nodes;
    checks.push({
      name: `central: time(N=${last.nodes}) / time(N=${first.nodes}) (linear would be ${expected})`,
      value: growth,
      limit: expected,
      met: growth >= 0.8 * expected,
      detail: `${perNode === null ? '?' : fmt(perNode)} s per extra node; F/u_s = ${fmt(first.bounds.clientServerSeconds / first.nodes)} s`,
    });
  }
  return checks;
}
