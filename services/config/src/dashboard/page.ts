import { createHash } from 'node:crypto';
import * as view from './view.js';

/*
 * The dashboard: one self-contained page (the boot LAN has no internet: no CDN, no fonts).
 * Its logic is view.ts, embedded as source; below is only the glue to the DOM and EventSource.
 */

const STYLE = `
:root{font:15px/1.4 system-ui,sans-serif;color:#1a1a1a;background:#fafafa}
body{margin:0 auto;max-width:80rem;padding:0 1rem 2rem}
header{display:flex;align-items:center;justify-content:space-between;border-bottom:1px solid #ccc}
h1{font-size:1.3rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;width:100%;background:#fff}
caption{text-align:left;padding:.3rem 0;color:#333}
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
thead th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}
code{font:.85rem ui-monospace,monospace}summary{cursor:pointer}
.st{display:inline-block;padding:0 .5rem;border-radius:.7rem;font-weight:600}
.st-dhcp,.st-ipxe,.st-phase1{background:#e2e8f0;color:#1e293b}
.st-downloading{background:#dbeafe;color:#1e3a8a}.st-seeding{background:#e0e7ff;color:#3730a3}
.st-kexec{background:#fef3c7;color:#78350f}.st-booted{background:#dcfce7;color:#14532d}
.st-failed{background:#fee2e2;color:#7f1d1d}tr.row-failed{background:#fff5f5}
.err{color:#7f1d1d;margin-top:.2rem}.msg{color:#444;margin-top:.2rem}
.tl{margin:.3rem 0;padding-left:1.2rem;font-weight:normal}
progress{width:7rem;vertical-align:middle}
#conn{padding:.2rem .6rem;border-radius:.7rem;font-weight:600;background:#fef3c7;color:#78350f}
#conn.live{background:#dcfce7;color:#14532d}#conn.down{background:#fee2e2;color:#7f1d1d}
`;

/** Milliseconds the page waits before retrying after a refusal (EventSource gives up on HTTP errors). */
const RETRY_AFTER_REFUSAL_MS = 5000;

const GLUE = `
const model = emptyModel();
const expanded = new Set();
const main = document.getElementById('main');
const conn = document.getElementById('conn');
let timer = null;
function render() { timer = null; main.innerHTML = renderDashboard(model, Date.now(), expanded); }
function soon() { if (timer === null) timer = setTimeout(render, 200); }
function status(text, cls) { conn.textContent = text; conn.className = cls; }
// <details> re-rendered closed would snap shut under the reader: remember which are open.
main.addEventListener('toggle', (e) => {
  const mac = e.target.dataset && e.target.dataset.mac;
  if (mac) { if (e.target.open) expanded.add(mac); else expanded.delete(mac); }
}, true);
function connect() {
  status('connecting…', '');
  const source = new EventSource('api/events');
  source.onopen = () => status('live', 'live');
  for (const type of ['snapshot', 'node', 'progress', 'swarms', 'master']) {
    source.addEventListener(type, (e) => { applyEvent(model, { type, data: JSON.parse(e.data) }, Date.now()); soon(); });
  }
  source.onerror = () => {
    // A dropped stream is retried by EventSource itself; a refused one (503: too many viewers) is not.
    if (source.readyState === EventSource.CLOSED) { status('offline, retrying…', 'down'); setTimeout(connect, ${RETRY_AFTER_REFUSAL_MS}); }
    else status('reconnecting…', 'down');
  };
}
// Between events only the clocks move: update them in place rather than rebuild the page
// (which would close tooltips and drop selections); rebuild now and then for staleness marks.
function tick() {
  const now = Date.now() + model.clockOffsetMs;
  for (const cell of main.querySelectorAll('[data-since]')) cell.textContent = duration(now - Number(cell.dataset.since));
}
render();
setInterval(tick, 1000);
setInterval(render, 10000);
connect();
`;

// Every export of view.ts is a function (its rules say so); declarations hoist, so order is free.
const SCRIPT = `${Object.values(view)
  .map((fn) => fn.toString())
  .join('\n')}\n${GLUE}`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

/**
 * Only this page's own script and style may run, and it may only talk to this origin: node
 * messages are free text from the network, so a rendering bug must not become script injection.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>BootTorrent</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1>BootTorrent</h1><span id="conn" role="status" aria-live="polite">loading…</span></header>
<main id="main"><noscript>The dashboard needs JavaScript; <code>boottorrent status</code> shows the same in a terminal.</noscript></main>
<script>${SCRIPT}</script>
</body>
</html>
`;

/** The page's script, for tests that run it outside a browser. */
export const DASHBOARD_SCRIPT = SCRIPT;
