import { writeFile } from 'node:fs/promises';
import type { SummaryRow } from './aggregate.js';
import { SCENARIO_TITLES, type ScenarioName } from './types.js';

/*
 * The plot: time to the last node vs N, one line per scenario (median, with a min-max band of
 * the repeats) and the two bounds. Left, everything on one scale (the central line's growth);
 * right, the swarm lines and T_min alone, where "flat" is readable. Rendered without native
 * builds: vega-lite -> vega -> SVG -> resvg (PNG).
 */

export interface PlotPoint {
  nodes: number;
  series: string;
  seconds: number;
  low: number;
  high: number;
  kind: 'measured' | 'bound';
}

const T_MIN = 'T_min (Kumar-Ross bound)';
const CS_BOUND = 'client-server bound';

export function plotPoints(rows: readonly SummaryRow[], scenarios: readonly ScenarioName[]): PlotPoint[] {
  const points: PlotPoint[] = [];
  for (const row of rows) {
    for (const scenario of scenarios) {
      const s = row.scenarios[scenario];
      if (s?.medianS == null) continue;
      points.push({ nodes: row.nodes, series: SCENARIO_TITLES[scenario], seconds: s.medianS, low: s.minS ?? s.medianS, high: s.maxS ?? s.medianS, kind: 'measured' });
    }
    points.push({ nodes: row.nodes, series: T_MIN, seconds: row.bounds.p2pSeconds, low: row.bounds.p2pSeconds, high: row.bounds.p2pSeconds, kind: 'bound' });
    if (scenarios.includes('central')) {
      points.push({ nodes: row.nodes, series: CS_BOUND, seconds: row.bounds.clientServerSeconds, low: row.bounds.clientServerSeconds, high: row.bounds.clientServerSeconds, kind: 'bound' });
    }
  }
  return points;
}

const COLORS: Record<string, string> = {
  [SCENARIO_TITLES.central]: '#d62728',
  [SCENARIO_TITLES['swarm-no-linger']]: '#ff7f0e',
  [SCENARIO_TITLES['swarm-linger']]: '#1f77b4',
  [T_MIN]: '#2ca02c',
  [CS_BOUND]: '#7f7f7f',
};

function panel(points: PlotPoint[], title: string, nodes: number[]): Record<string, unknown> {
  const series = [...new Set(points.map((p) => p.series))];
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: series, range: series.map((s) => COLORS[s] ?? '#000000') }, legend: { orient: 'bottom', columns: 2, labelLimit: 320, symbolStrokeWidth: 3 } };
  // The band uses `fill`, not `color`: one legend (the lines'), no merge conflict.
  const bandFill = { ...color, legend: null };
  const x = { field: 'nodes', type: 'quantitative', title: 'nodes booting at once (N)', scale: { type: 'log', base: 2, domain: [Math.min(...nodes), Math.max(...nodes)] }, axis: { values: nodes, format: 'd' } };
  return {
    title,
    width: 420,
    height: 300,
    data: { values: points },
    layer: [
      { transform: [{ filter: "datum.kind == 'measured'" }], mark: { type: 'area', opacity: 0.15 }, encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, fill: bandFill } },
      {
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'seconds', type: 'quantitative', title: 'seconds to the last node done' }, color, strokeDash: { field: 'kind', type: 'nominal', legend: null, scale: { domain: ['measured', 'bound'], range: [[1, 0], [5, 4]] } } },
      },
    ],
  };
}

export function plotSpec(rows: readonly SummaryRow[], scenarios: readonly ScenarioName[], subtitle: string): Record<string, unknown> {
  const points = plotPoints(rows, scenarios);
  const nodes = rows.map((r) => r.nodes);
  const swarmSeries = new Set([SCENARIO_TITLES['swarm-no-linger'], SCENARIO_TITLES['swarm-linger'], T_MIN]);
  const panels = [panel(points, 'all scenarios', nodes)];
  if (scenarios.includes('central')) panels.push(panel(points.filter((p) => swarmSeries.has(p.series)), 'swarm only (zoom)', nodes));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'BootTorrent boot storm: time to the last node vs N', subtitle },
    background: 'white',
    hconcat: panels,
    resolve: { scale: { color: 'independent' } },
  };
}

/** Renders the spec to PNG (and the SVG next to it). */
export async function renderPlot(spec: Record<string, unknown>, pngPath: string): Promise<void> {
  const vegaLite = await import('vega-lite');
  const vega = await import('vega');
  const { Resvg } = await import('@resvg/resvg-js');
  // Quiet loggers: vega-lite's notes about merged legends are not the benchmark's output.
  const quiet = vega.logger(vega.None);
  const compiled = vegaLite.compile(spec as never, { logger: quiet }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger: quiet });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' } }).render().asPng();
  await writeFile(pngPath, png);
}
