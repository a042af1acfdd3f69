import type { NodeRecord } from '@boottorrent/contracts';
import type { LiveEvent, LiveMaster, LiveSwarms } from '../live/events.js';

/*
 * The dashboard's logic, run by the browser: page.ts embeds every function exported here as
 * its source text (Function.prototype.toString), so the page needs no bundler and the tests
 * run the very code the browser runs. Hence the rules for this file: functions only, each
 * using nothing but its arguments, the other functions here and browser/ES globals; no
 * imports other than types, no module-level values. Rendering returns HTML strings; every
 * value that came from a node (messages are free text posted by phase-1) goes through esc().
 */

/** What the page knows: the latest snapshot with every event applied since. */
export interface DashboardModel {
  master: LiveMaster | null;
  nodes: Record<string, NodeRecord>;
  swarms: LiveSwarms | null;
  /** Master clock minus browser clock, from the snapshot: "time in state" uses the master's clock. */
  clockOffsetMs: number;
}

export function emptyModel(): DashboardModel {
  return { master: null, nodes: {}, swarms: null, clockOffsetMs: 0 };
}

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
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

export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function percentOf(node: NodeRecord): number | null {
  const p = node.progress;
  if (!p || p.bytesTotal === 0) return null;
  return Math.min(100, Math.floor((100 * p.bytesDone) / p.bytesTotal));
}

/** Applies one stream event; `localNow` is the browser's clock when it arrived. */
export function applyEvent(model: DashboardModel, event: LiveEvent, localNow: number): void {
  if (event.type === 'snapshot') {
    model.master = event.data.master;
    model.swarms = event.data.swarms;
    model.clockOffsetMs = event.data.at - localNow;
    model.nodes = {};
    for (const node of event.data.nodes) model.nodes[node.mac] = node;
  } else if (event.type === 'node') {
    model.nodes[event.data.mac] = event.data;
  } else if (event.type === 'progress') {
    const node = model.nodes[event.data.mac];
    // A node is always announced by a `node` event first; an update for another is stale.
    if (node && event.data.updatedAt >= node.updatedAt) model.nodes[event.data.mac] = { ...node, ...event.data };
  } else if (event.type === 'swarms') {
    model.swarms = event.data;
  } else if (event.type === 'master') {
    model.master = event.data;
  }
}

export function stateBadge(state: string): string {
  return `<span class="st st-${esc(state)}">${esc(state)}</span>`;
}

/** The boot's steps: when each began (from the first) and how long it lasted. */
export function timeline(node: NodeRecord, now: number): string {
  const start = node.history[0]?.at ?? node.firstSeenAt;
  const steps = node.history.map((step, i) => {
    const end = node.history[i + 1]?.at ?? now;
    return `<li>${stateBadge(step.state)} at +${duration(step.at - start)}, ${i + 1 < node.history.length ? 'took' : 'for'} ${duration(end - step.at)}</li>`;
  });
  return `<ol class="tl">${steps.join('')}</ol>`;
}

export function nodeRow(node: NodeRecord, now: number, open: boolean): string {
  const pct = percentOf(node);
  const p = node.progress;
  const since = node.history[node.history.length - 1]?.at ?? node.updatedAt;
  const steps = node.history.map((step) => `${step.state} +${duration(step.at - (node.history[0]?.at ?? step.at))}`).join(', ');
  const error = node.error ? `<div class="err"><code>${esc(node.error.code)}</code> ${esc(node.error.message)}</div>` : '';
  const message = node.message && !node.error ? `<div class="msg">${esc(node.message)}</div>` : '';
  return (
    `<tr class="row-${esc(node.state)}" title="${esc(`boot ${node.bootCount}: ${steps}`)}">` +
    `<th scope="row"><details data-mac="${esc(node.mac)}"${open ? ' open' : ''}><summary><code>${esc(node.mac)}</code></summary>${timeline(node, now)}</details></th>` +
    `<td>${stateBadge(node.state)}${error}${message}</td>` +
    `<td>${esc(node.os ?? '—')}</td>` +
    `<td>${pct === null ? '—' : `<progress max="100" value="${pct}" aria-label="${esc(node.mac)} download">${pct}%</progress> ${pct}%`}</td>` +
    `<td class="n">${p ? p.peers : '—'}</td>` +
    `<td class="n">${p ? `${humanBytes(p.downloadRate)}/s` : '—'}</td>` +
    `<td class="n">${p ? `${humanBytes(p.uploadRate)}/s` : '—'}</td>` +
    `<td>${esc(node.ip ?? '—')}</td>` +
    `<td class="n" data-since="${since}">${duration(now - since)}</td></tr>`
  );
}

export function nodeSummary(nodes: NodeRecord[]): string {
  if (nodes.length === 0) return 'No node seen yet: power one on on the boot network.';
  const counts: Record<string, number> = {};
  for (const node of nodes) counts[node.state] = (counts[node.state] ?? 0) + 1;
  const parts = Object.keys(counts).sort().map((state) => `${counts[state]} ${state}`);
  return `${nodes.length} node${nodes.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

export function renderMaster(master: LiveMaster | null): string {
  if (!master || master.apiUrl === null) return '<p>The master has no valid project yet (run <code>boottorrent check</code>).</p>';
  const oses = master.oses.map(
    (os) =>
      `<tr><th scope="row">${esc(os.name)}${os.isDefault ? ' <small>(default)</small>' : ''}</th><td>${esc(os.dispname)}</td>` +
      `<td><code>${os.infoHash ? esc(os.infoHash) : 'not seeded yet'}</code></td></tr>`,
  );
  return (
    `<p>Boot API <code>${esc(master.apiUrl)}</code>` +
    (master.trackerUrls.length > 0 ? ` · tracker <code>${master.trackerUrls.map(esc).join(' ')}</code>` : ' · tracker off') +
    '</p><table><caption>Operating systems</caption><thead><tr><th scope="col">OS</th><th scope="col">Name</th><th scope="col">Info-hash</th></tr></thead>' +
    `<tbody>${oses.join('') || '<tr><td colspan="3">No OS in the project.</td></tr>'}</tbody></table>`
  );
}

export function renderNodes(nodes: NodeRecord[], now: number, expanded: ReadonlySet<string>): string {
  const sorted = [...nodes].sort((a, b) => (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0));
  const head = ['Node (MAC)', 'State', 'OS', 'Progress', 'Peers', 'Down', 'Up', 'IP', 'In state'].map((h) => `<th scope="col">${h}</th>`).join('');
  const rows = sorted.map((node) => nodeRow(node, now, expanded.has(node.mac))).join('');
  return `<table class="nodes"><caption>${esc(nodeSummary(nodes))}</caption><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderSwarms(model: DashboardModel, now: number): string {
  const stats = model.swarms;
  if (!stats) return '<p>The tracker has not reported yet.</p>';
  const osOf: Record<string, string> = {};
  for (const node of Object.values(model.nodes)) if (node.infoHash && node.os) osOf[node.infoHash] = `${node.os} (older)`;
  for (const os of model.master?.oses ?? []) if (os.infoHash) osOf[os.infoHash] = os.name;
  const rows = stats.swarms.map(
    (s) =>
      `<tr><th scope="row"><code title="${esc(s.infoHash)}">${esc(s.infoHash.slice(0, 12))}</code></th><td>${esc(osOf[s.infoHash] ?? '—')}</td>` +
      `<td class="n">${s.seeders}</td><td class="n">${s.leechers}</td><td class="n">${s.completed}</td></tr>`,
  );
  const age = now - stats.at;
  const caption = `Swarms (tracker ${esc(stats.tracker)}, ${age > 30_000 ? `<strong>stale: ${duration(age)} old</strong>` : `${duration(age)} ago`})`;
  return (
    `<table><caption>${caption}</caption><thead><tr><th scope="col">Info-hash</th><th scope="col">OS</th><th scope="col">Seeders</th>` +
    `<th scope="col">Leechers</th><th scope="col">Completed</th></tr></thead><tbody>${rows.join('') || '<tr><td colspan="5">No swarm yet.</td></tr>'}</tbody></table>`
  );
}

/** Everything below the header, for the browser's local time `localNow`. */
export function renderDashboard(model: DashboardModel, localNow: number, expanded: ReadonlySet<string>): string {
  const now = localNow + model.clockOffsetMs;
  return (
    `<section aria-labelledby="h-master"><h2 id="h-master">Master</h2>${renderMaster(model.master)}</section>` +
    `<section aria-labelledby="h-nodes"><h2 id="h-nodes">Nodes</h2>${renderNodes(Object.values(model.nodes), now, expanded)}</section>` +
    `<section aria-labelledby="h-swarms"><h2 id="h-swarms">Swarms</h2>${renderSwarms(model, now)}</section>`
  );
}
