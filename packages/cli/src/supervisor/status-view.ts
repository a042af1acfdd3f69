import type { NodeRecord, Swarm } from '@boottorrent/contracts';

export interface ServiceStatus {
  name: string;
  pid: number | null;
  restarts: number;
  ready: boolean;
  detail: string;
}

export interface StatusSnapshot {
  apiUrl: string;
  services: ServiceStatus[];
  nodes: NodeRecord[];
  swarms: Swarm[];
  /** info-hash -> OS name, where known. */
  osByInfoHash: Record<string, string>;
  at: number;
}

function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)];
}

export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

function percent(node: NodeRecord): string {
  const progress = node.progress;
  if (!progress || progress.bytesTotal === 0) return '';
  return `${Math.floor((100 * progress.bytesDone) / progress.bytesTotal)}%`;
}

function age(at: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  return seconds < 60 ? `${seconds}s ago` : seconds < 3600 ? `${Math.round(seconds / 60)}m ago` : `${Math.round(seconds / 3600)}h ago`;
}

/** The `status` screen: services, nodes, swarms. Pure, so it is tested as text. */
export function renderStatus(snapshot: StatusSnapshot): string {
  const out: string[] = [`BootTorrent master  ${snapshot.apiUrl}  ${new Date(snapshot.at).toTimeString().slice(0, 8)}`, ''];
  if (snapshot.services.length > 0) {
    out.push(
      ...table(
        ['SERVICE', 'PID', 'RESTARTS', 'STATE'],
        snapshot.services.map((s) => [s.name, s.pid === null ? '-' : String(s.pid), String(s.restarts), s.ready ? 'ready' : `not ready: ${s.detail}`]),
      ),
      '',
    );
  }
  if (snapshot.nodes.length === 0) out.push('NODES  none seen yet');
  else {
    out.push(
      ...table(
        ['NODE', 'STATE', 'OS', 'PROGRESS', 'PEERS', 'DOWN/s', 'UP/s', 'IP', 'UPDATED'],
        snapshot.nodes.map((node) => [
          node.mac,
          node.state === 'failed' && node.error ? `failed (${node.error.code})` : node.state,
          node.os ?? '-',
          percent(node),
          node.progress ? String(node.progress.peers) : '',
          node.progress ? humanBytes(node.progress.downloadRate) : '',
          node.progress ? humanBytes(node.progress.uploadRate) : '',
          node.ip ?? '-',
          age(node.updatedAt, snapshot.at),
        ]),
      ),
    );
  }
  out.push('');
  if (snapshot.swarms.length === 0) out.push('SWARMS none reported yet');
  else {
    out.push(
      ...table(
        ['SWARM', 'OS', 'SEEDERS', 'LEECHERS', 'COMPLETED'],
        snapshot.swarms.map((swarm) => [swarm.infoHash.slice(0, 12), snapshot.osByInfoHash[swarm.infoHash] ?? '-', String(swarm.seeders), String(swarm.leechers), String(swarm.completed)]),
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
