import type { ScenarioSummary, SummaryRow, TargetCheck } from './aggregate.js';
import { machineLines, type MachineInfo } from './machine.js';
import { SCENARIO_TITLES, type ScenarioName } from './types.js';

/*
 * The Markdown report: the table first (what the issue asks for), then the targets, then how
 * it was measured. Pure functions of the summary, so the table is unit-tested.
 */

const s1 = (x: number | null | undefined) => (x == null ? '–' : x.toFixed(1));
const s2 = (x: number | null | undefined) => (x == null ? '–' : x.toFixed(2));

function timeCell(summary: ScenarioSummary | undefined): string {
  if (!summary) return '–';
  if (summary.medianS === null) return `failed (${summary.runs} runs)`;
  const spread = summary.completed > 1 ? ` (max ${s1(summary.maxS)})` : '';
  const missing = summary.completed < summary.runs ? ` [${summary.runs - summary.completed} failed]` : '';
  const disrupted = summary.disrupted > 0 ? ` †${summary.disrupted}` : '';
  return `${s1(summary.medianS)}${spread}${missing}${disrupted}`;
}

function ratioCell(summary: ScenarioSummary | undefined): string {
  return summary?.ratioToBound == null ? '–' : `${s2(summary.ratioToBound)}x`;
}

function speedupCell(summary: ScenarioSummary | undefined): string {
  return summary?.speedupVsCentral == null ? '–' : `${s1(summary.speedupVsCentral)}x`;
}

/** One line per N: bounds, each scenario's time to the LAST node done, ratio to T_min, speed-up vs central. */
export function renderTable(rows: readonly SummaryRow[], scenarios: readonly ScenarioName[]): string {
  const swarm = scenarios.filter((s) => s !== 'central');
  const header = ['N', 'T_min (s)', 'client-server bound (s)'];
  const align = ['--:', '--:', '--:'];
  for (const scenario of scenarios) {
    header.push(`${SCENARIO_TITLES[scenario]} (s)`, 'x T_min');
    align.push('--:', '--:');
  }
  if (scenarios.includes('central')) {
    for (const scenario of swarm) {
      header.push(`${SCENARIO_TITLES[scenario]}: speed-up vs central`);
      align.push('--:');
    }
  }
  header.push('CPU busy max');
  align.push('--:');
  const lines = [`| ${header.join(' | ')} |`, `| ${align.join(' | ')} |`];
  for (const row of rows) {
    const cells = [String(row.nodes), s1(row.bounds.p2pSeconds), s1(row.bounds.clientServerSeconds)];
    for (const scenario of scenarios) cells.push(timeCell(row.scenarios[scenario]), ratioCell(row.scenarios[scenario]));
    if (scenarios.includes('central')) for (const scenario of swarm) cells.push(speedupCell(row.scenarios[scenario]));
    const busy = Math.max(...Object.values(row.scenarios).map((s) => s.busyMax ?? 0));
    cells.push(`${Math.round(busy * 100)}%`);
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Why the times are what they are: ramp-up, seed copies, CPU, per N and scenario. */
export function renderDiagnostics(rows: readonly SummaryRow[], scenarios: readonly ScenarioName[]): string {
  const lines = [
    '| N | scenario | runs | first node (s, median) | last node (s, min..max) | seed copies (median) | CPU busy mean / max |',
    '| --: | --- | --: | --: | --: | --: | --: |',
  ];
  for (const row of rows) {
    for (const scenario of scenarios) {
      const s = row.scenarios[scenario];
      if (!s) continue;
      const range = s.minS === null ? '–' : `${s1(s.minS)}..${s1(s.maxS)}`;
      const cpu = s.busyMean === null ? '–' : `${Math.round(s.busyMean * 100)}% / ${Math.round((s.busyMax ?? 0) * 100)}%`;
      lines.push(`| ${row.nodes} | ${SCENARIO_TITLES[scenario]} | ${s.completed}/${s.runs} | ${s1(s.medianFirstS)} | ${range} | ${s2(s.seedCopies)} | ${cpu} |`);
    }
  }
  return lines.join('\n');
}

export function renderTargets(checks: readonly TargetCheck[]): string {
  if (checks.length === 0) return '(not enough node counts measured to check the targets)';
  return checks
    .map((c) => `- ${c.met === null ? '?' : c.met ? 'MET' : 'MISSED'}: ${c.name} = ${c.value === null ? '–' : c.value.toFixed(2)} (target ${c.name.startsWith('central') ? '~' : '<= '}${c.limit}); ${c.detail}`)
    .join('\n');
}

export interface ReportInput {
  title: string;
  date: string;
  label: string;
  rows: readonly SummaryRow[];
  scenarios: readonly ScenarioName[];
  checks: readonly TargetCheck[];
  machine: MachineInfo;
  settings: { rateMbit: number; imageMib: number; repeats: number; centralRepeats: number; pieceLength: number | null };
  durationS: number;
  files: { json: string; png: string | null };
  notes: readonly string[];
}

export function renderReport(input: ReportInput): string {
  const { settings } = input;
  return [
    `# ${input.title}`,
    '',
    `${input.date}${input.label ? `, ${input.label}` : ''}. Image F = ${settings.imageMib} MiB${settings.pieceLength ? ` (${settings.pieceLength / 1024} KiB pieces)` : ''}, every link shaped to U = ${settings.rateMbit} Mbit/s in both directions (tbf), all nodes released at the same instant.`,
    `Times are seconds to the LAST node done: median over ${settings.repeats} run(s) per swarm scenario and ${settings.centralRepeats} per central, max in brackets.`,
    '',
    renderTable(input.rows, input.scenarios),
    '',
    '## Targets',
    '',
    renderTargets(input.checks),
    '',
    '## Per scenario',
    '',
    'Seed copies: bytes the master\'s link sent during the run over the image size (1.05 is one copy plus TCP/IP headers). † marks runs during which the seeder dropped and re-added the torrent.',
    '',
    renderDiagnostics(input.rows, input.scenarios),
    '',
    '## How this was measured',
    '',
    '- One namespace per host on a bridge: the master (`boottorrent start`: NATS, boot API, tracker, seeder; plus busybox httpd for the central scenario) and N nodes.',
    '- central: every node fetches the image with curl from the master over HTTP. swarm: every node runs the phase-1 agent (`images/phase1/agent/bt-agent`, kexec replaced by a recorder) with the static aria2c of the phase-1 build; "no linger" sets linger to 0 s (leave when done), "linger" is the project default (until the tracker reports no leechers, at most 120 s).',
    '- A swarm node is done when its agent sees every piece verified (it polls aria2c once a second); a central node when curl exits 0.',
    '- T_min = max(F/u_s, F/d_min, N*F/(u_s + sum u_i)) (Kumar-Ross), client-server bound = N*F/u_s, from the nominal shaped rate; TCP/IP and Ethernet headers alone put a perfect transfer at about 1.05 x these.',
    `- CPU busy max: the busiest 0.5 s sample of the machine during the N's runs (both cores; 100% means the run measured the CPU, not the network).`,
    ...input.notes.map((note) => `- ${note}`),
    '',
    '## Machine',
    '',
    ...machineLines(input.machine),
    `- benchmark duration: ${Math.round(input.durationS)} s`,
    '',
    `Raw figures (every run, every node, download curves, CPU): \`${input.files.json}\`${input.files.png ? `; plot: \`${input.files.png}\`` : ''}.`,
    '',
  ].join('\n');
}
