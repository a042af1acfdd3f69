import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTargets, summariseRuns } from '../src/swarm/aggregate.js';
import { plotPoints, plotSpec } from '../src/swarm/plot.js';
import { renderDiagnostics, renderTable, renderTargets } from '../src/swarm/report-md.js';
import { median, slope } from '../src/swarm/stats.js';
import type { RunResult, ScenarioName } from '../src/swarm/types.js';

const MiB = 1024 * 1024;
const settings = { imageBytes: 32 * MiB, rateMbit: 20 };
const T = (32 * MiB * 8) / 20e6; // 13.42 s

function runOf(scenario: ScenarioName, nodes: number, last: number | null, repeat = 1): RunResult {
  return {
    scenario,
    nodes,
    repeat,
    startedAt: '2025-01-01T00:00:00.000Z',
    lastDoneSeconds: last,
    firstDoneSeconds: last === null ? null : last / 2,
    medianDoneSeconds: last,
    lastKexecSeconds: null,
    masterTxBytes: 0,
    seedCopies: 1.5,
    cpu: { loadBefore: 1, busyMean: 0.5, busyMax: 0.8, saturatedShare: 0, masterCpuSeconds: 1, nodesCpuSeconds: 2, cores: 2 },
    perNode: [],
    failure: last === null ? 'timed out' : null,
    seedDisruptions: [],
  };
}

describe('stats', () => {
  it('median of odd and even lists, slope of a line', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.throws(() => median([]));
    assert.equal(slope([[1, 3], [2, 5], [4, 9]]), 2);
    assert.equal(slope([[1, 3]]), null);
  });
});

describe('summariseRuns', () => {
  const runs = [
    runOf('central', 1, 14),
    runOf('central', 4, 56),
    runOf('swarm-linger', 1, 15, 1),
    runOf('swarm-linger', 1, 16, 2),
    runOf('swarm-linger', 1, 30, 3),
    runOf('swarm-linger', 4, 20, 1),
    runOf('swarm-linger', 4, null, 2),
    runOf('swarm-no-linger', 4, 28),
  ];
  const rows = summariseRuns(runs, settings);

  it('takes the median and max of the completed repeats, ratios to T_min and speed-ups vs central', () => {
    assert.deepEqual(rows.map((r) => r.nodes), [1, 4]);
    const one = rows[0]?.scenarios['swarm-linger'];
    assert.equal(one?.medianS, 16);
    assert.equal(one?.maxS, 30);
    assert.equal(one?.completed, 3);
    assert.ok(Math.abs((one?.ratioToBound ?? 0) - 16 / T) < 1e-9);
    assert.ok(Math.abs((one?.speedupVsCentral ?? 0) - 14 / 16) < 1e-9);
    const four = rows[1]?.scenarios['swarm-linger'];
    assert.equal(four?.runs, 2);
    assert.equal(four?.completed, 1);
    assert.equal(four?.medianS, 20);
    assert.equal(rows[1]?.scenarios['swarm-no-linger']?.speedupVsCentral, 2);
    assert.equal(rows[1]?.scenarios.central?.speedupVsCentral, 1);
  });

  it('checks the targets: flatness, bound ratio, linear central', () => {
    const checks = checkTargets(rows);
    const flat = checks.find((c) => c.name.startsWith('swarm with linger: time(N=4)'));
    assert.ok(flat);
    assert.equal(flat.value, 20 / 16);
    assert.equal(flat.met, true);
    const bound = checks.find((c) => c.name.includes('T_min'));
    assert.ok(bound);
    assert.ok(Math.abs((bound.value ?? 0) - 20 / T) < 1e-9);
    assert.equal(bound.met, true);
    const central = checks.find((c) => c.name.startsWith('central'));
    assert.equal(central?.value, 4);
    assert.equal(central?.met, true);
    assert.match(renderTargets(checks), /MET: swarm with linger/);
  });

  it('renders a Markdown table with one line per N', () => {
    const table = renderTable(rows, ['central', 'swarm-no-linger', 'swarm-linger']);
    const lines = table.split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0] ?? '', /^\| N \| T_min \(s\) \| client-server bound \(s\) \| central HTTP \(s\) \| x T_min \| swarm, no linger \(s\)/);
    assert.match(lines[0] ?? '', /swarm, linger: speed-up vs central \| CPU busy max \|$/);
    const cells = (lines[3] ?? '').split('|').map((c) => c.trim());
    assert.equal(cells[1], '4');
    assert.equal(cells[2], T.toFixed(1));
    assert.equal(cells[3], (4 * T).toFixed(1));
    assert.equal(cells[4], '56.0');
    assert.equal(cells[8], '20.0 [1 failed]');
    assert.equal(cells[11], '2.8x');
    assert.equal(cells[12], '80%');
    assert.equal((lines[3] ?? '').split('|').length, (lines[0] ?? '').split('|').length);
  });

  it('renders the per-scenario diagnostics', () => {
    const text = renderDiagnostics(rows, ['central', 'swarm-no-linger', 'swarm-linger']);
    assert.match(text, /\| 1 \| swarm, linger \| 3\/3 \| 8\.0 \| 15\.0\.\.30\.0 \| 1\.50 \| 50% \/ 80% \|/);
    assert.match(text, /\| 4 \| swarm, linger \| 1\/2 \|/);
  });

  it('builds plot points for each scenario and both bounds', () => {
    const points = plotPoints(rows, ['central', 'swarm-no-linger', 'swarm-linger']);
    assert.equal(points.filter((p) => p.kind === 'bound').length, 4);
    const linger1 = points.find((p) => p.series === 'swarm, linger' && p.nodes === 1);
    assert.deepEqual([linger1?.seconds, linger1?.low, linger1?.high], [16, 15, 30]);
    const spec = plotSpec(rows, ['central', 'swarm-linger'], 'test');
    assert.equal((spec.hconcat as unknown[]).length, 2);
  });
});
