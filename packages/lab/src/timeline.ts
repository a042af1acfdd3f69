import type { NodeRecord, NodeStateName } from '@boottorrent/contracts';

export interface LabNodeInfo {
  name: string;
  mac: string;
  firmware: string;
  /** Expected outcome: a node assigned a broken OS is expected to fail. */
  expect: 'booted' | 'failed';
  poweredOnAt: number;
  /** When the demo OS's banner appeared on the serial console, if it did. */
  bannerAt: number | null;
}

export interface TimelineRow {
  name: string;
  mac: string;
  poweredOn: number;
  dhcp: number | null;
  phase1: number | null;
  downloaded: number | null;
  kexec: number | null;
  booted: number | null;
  state: NodeStateName | 'unseen';
  error: string | null;
}

function firstAt(record: NodeRecord | undefined, states: NodeStateName[]): number | null {
  const entry = record?.history.find((transition) => states.includes(transition.state));
  return entry?.at ?? null;
}

/** Per node, when each step happened (absolute ms), from the boot API's records. */
export function timelineRows(nodes: readonly LabNodeInfo[], records: readonly NodeRecord[]): TimelineRow[] {
  return nodes.map((node) => {
    const record = records.find((r) => r.mac === node.mac);
    return {
      name: node.name,
      mac: node.mac,
      poweredOn: node.poweredOnAt,
      dhcp: firstAt(record, ['dhcp', 'ipxe']),
      phase1: firstAt(record, ['phase1', 'downloading']),
      downloaded: firstAt(record, ['seeding', 'kexec']),
      kexec: firstAt(record, ['kexec']),
      booted: firstAt(record, ['booted']),
      state: record?.state ?? 'unseen',
      error: record?.error ? `${record.error.code}: ${record.error.message}` : null,
    };
  });
}

function seconds(from: number, at: number | null): string {
  return at === null ? '-' : `${((at - from) / 1000).toFixed(1)}s`;
}

/** The table printed when the lab ends; times are seconds after the first node powered on. */
export function renderTimeline(rows: readonly TimelineRow[]): string {
  if (rows.length === 0) return '';
  const start = Math.min(...rows.map((row) => row.poweredOn));
  const headers = ['NODE', 'POWER-ON', 'DHCP', 'PHASE-1', 'DOWNLOADED', 'KEXEC', 'BOOTED', 'RESULT'];
  const body = rows.map((row) => [
    row.name,
    seconds(start, row.poweredOn),
    seconds(start, row.dhcp),
    seconds(start, row.phase1),
    seconds(start, row.downloaded),
    seconds(start, row.kexec),
    seconds(start, row.booted),
    row.error ? `${row.state}: ${row.error}` : row.state,
  ]);
  const widths = headers.map((header, i) => Math.max(header.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  const booted = rows.map((row) => row.booted).filter((at): at is number => at !== null);
  const total = booted.length === rows.length && booted.length > 0 ? `all ${rows.length} booted in ${((Math.max(...booted) - start) / 1000).toFixed(1)} s (last node)` : `${booted.length} of ${rows.length} booted`;
  return [line(headers), ...body.map(line), '', total].join('\n');
}

/** One live line per node: state, percent, peers, rate. */
export function progressLine(node: LabNodeInfo, record: NodeRecord | undefined, now: number): string {
  const elapsed = `${((now - node.poweredOnAt) / 1000).toFixed(0)}s`.padStart(5);
  if (!record) return `${node.name.padEnd(8)} ${elapsed}  powered on, waiting for DHCP`;
  const progress = record.progress;
  const percent = progress && progress.bytesTotal > 0 ? `${Math.floor((100 * progress.bytesDone) / progress.bytesTotal)}%` : '';
  const rate = progress ? `${(progress.downloadRate / 1048576).toFixed(1)} MiB/s down ${(progress.uploadRate / 1048576).toFixed(1)} MiB/s up` : '';
  const peers = progress ? `${progress.peers} peers` : '';
  const error = record.error ? `${record.error.code}: ${record.error.message}` : '';
  return [node.name.padEnd(8), elapsed, ' ', record.state.padEnd(11), percent.padStart(4), peers.padEnd(8), rate, error].filter((part) => part !== '').join(' ');
}
