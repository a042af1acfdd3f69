import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { checkTargets, summariseRuns, type SummaryRow, type TargetCheck } from './aggregate.js';
import type { MachineInfo } from './machine.js';
import { plotSpec, renderPlot } from './plot.js';
import { renderReport, renderTable } from './report-md.js';
import type { BenchSettings, RunResult } from './types.js';

/*
 * Writes <stem>.json (every raw figure), <stem>.md (table, targets, machine) and <stem>.png.
 * Called after every N too, so an interrupted full run still leaves what it measured.
 */

export interface ResultsDoc {
  format: 1;
  benchmark: 'swarm';
  startedAt: string;
  finishedAt: string | null;
  settings: Omit<BenchSettings, 'outDir'> & { imageBytes: number; pieceLength: number | null; infoHash: string | null };
  machine: MachineInfo;
  summary: SummaryRow[];
  targets: TargetCheck[];
  /** Notes written under "How this was measured" (overrides, ...). */
  notes?: string[];
  runs: RunResult[];
}

export interface WrittenResults {
  json: string;
  md: string;
  png: string | null;
  table: string;
  checks: TargetCheck[];
  plotError: string | null;
}

export async function writeResults(input: {
  settings: BenchSettings;
  imageBytes: number;
  pieceLength: number | null;
  infoHash: string | null;
  machine: MachineInfo;
  runs: RunResult[];
  startedAt: Date;
  finished: boolean;
  notes: string[];
  repoRoot: string;
  withPlot: boolean;
  /** Wall time of the benchmark; default: since startedAt. */
  durationS?: number;
}): Promise<WrittenResults> {
  const { settings } = input;
  await mkdir(settings.outDir, { recursive: true });
  const rows = summariseRuns(input.runs, { imageBytes: input.imageBytes, rateMbit: settings.rateMbit });
  const checks = checkTargets(rows);
  const base = join(settings.outDir, settings.stem);
  const files = { json: `${base}.json`, md: `${base}.md`, png: `${base}.png` };
  const { outDir: _outDir, ...kept } = settings;
  const doc: ResultsDoc = {
    format: 1,
    benchmark: 'swarm',
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finished ? new Date().toISOString() : null,
    settings: { ...kept, aria2c: relative(input.repoRoot, settings.aria2c).startsWith('..') ? settings.aria2c : relative(input.repoRoot, settings.aria2c), imageBytes: input.imageBytes, pieceLength: input.pieceLength, infoHash: input.infoHash },
    machine: input.machine,
    summary: rows,
    targets: checks,
    notes: input.notes,
    runs: input.runs,
  };
  if (input.durationS === undefined) await writeFile(files.json, `${JSON.stringify(doc, null, 1)}\n`);

  let plotError: string | null = null;
  const subtitle = `F = ${settings.imageMib} MiB, U = ${settings.rateMbit} Mbit/s per link; median of ${settings.repeats} swarm run(s), band = min..max`;
  if (input.withPlot) {
    try {
      await renderPlot(plotSpec(rows, settings.scenarios, subtitle), files.png);
    } catch (err) {
      plotError = err instanceof Error ? err.message : String(err);
    }
  }
  const png = input.withPlot && plotError === null ? files.png : null;
  const show = (path: string) => relative(input.repoRoot, path) || path;
  const md = renderReport({
    title: `Swarm benchmark${settings.quick ? ' (quick)' : ''}${input.finished ? '' : ' (incomplete)'}`,
    date: input.startedAt.toISOString().slice(0, 10),
    label: settings.label,
    rows,
    scenarios: settings.scenarios,
    checks,
    machine: input.machine,
    settings: { rateMbit: settings.rateMbit, imageMib: settings.imageMib, repeats: settings.repeats, centralRepeats: settings.centralRepeats, pieceLength: input.pieceLength },
    durationS: input.durationS ?? (Date.now() - input.startedAt.getTime()) / 1000,
    files: { json: show(files.json), png: png ? show(png) : null },
    notes: input.notes,
  });
  await writeFile(files.md, md);
  return { json: files.json, md: files.md, png, table: renderTable(rows, settings.scenarios), checks, plotError };
}

/**
 * Renders the Markdown and the plot again from a results JSON (the raw figures stay as
 * measured): `pnpm bench swarm --from-json bench/results/swarm-<date>.json`.
 */
export async function rerenderResults(jsonPath: string, repoRoot: string): Promise<WrittenResults> {
  const doc = JSON.parse(await readFile(jsonPath, 'utf8')) as ResultsDoc;
  const { imageBytes, pieceLength, infoHash, ...kept } = doc.settings;
  const settings: BenchSettings = { ...kept, outDir: dirname(jsonPath), stem: basename(jsonPath, '.json'), projectSettings: kept.projectSettings ?? {} };
  const startedAt = new Date(doc.startedAt);
  const finishedAt = doc.finishedAt ? new Date(doc.finishedAt) : null;
  return writeResults({
    settings,
    imageBytes,
    pieceLength,
    infoHash,
    machine: doc.machine,
    runs: doc.runs,
    startedAt,
    finished: finishedAt !== null,
    notes: doc.notes ?? overrideNotes(settings.projectSettings),
    repoRoot,
    withPlot: true,
    durationS: finishedAt ? (finishedAt.getTime() - startedAt.getTime()) / 1000 : 0,
  });
}

/** The note that says which Boottorrent.yaml keys a run overrode (--set). */
export function overrideNotes(overrides: Record<string, string | number | boolean>): string[] {
  const entries = Object.entries(overrides);
  return entries.length === 0 ? [] : [`Boottorrent.yaml overrides: ${entries.map(([k, v]) => `${k}=${v}`).join(', ')} (--set)`];
}
