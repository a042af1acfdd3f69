import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { runInNewContext, Script } from 'node:vm';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { NodeRecord } from '@boottorrent/contracts';
import { buildBootApi } from '../src/boot-api.js';
import { BootState } from '../src/boot-state.js';
import { DASHBOARD_SCRIPT } from '../src/dashboard/page.js';
import * as view from '../src/dashboard/view.js';
import type { LiveSnapshot } from '../src/live/events.js';
import { LiveFeed } from '../src/live/feed.js';
import { masterView, snapshotOf } from '../src/live/views.js';
import { NodeRegistry } from '../src/registry.js';
import { captureLogger, createTestProject, desiredOf, type TestProject } from './helpers/fixtures.js';

/*
 * The dashboard page as served (inject), and its rendering logic, which is the same source the
 * page embeds. Why not a real browser: Debian's chromium adds about 280 MiB (plus libraries) to
 * every CI machine and a few seconds per run; what the page does is render strings from
 * events, which these tests run as they are, and live-events.test.ts runs the page's whole
 * script against a real stream.
 */

let project: TestProject;
let app: FastifyInstance;

before(async () => {
  project = await createTestProject({ defaultOs: 'debian' });
  const { logger } = captureLogger('info');
  const state = new BootState();
  state.desired = await desiredOf(project.dir);
  const registry = new NodeRegistry(logger, { changed: () => undefined, progress: () => undefined });
  const live = new LiveFeed({ logger, snapshot: () => snapshotOf(state, registry.list(), Date.now()), master: () => masterView(state) });
  app = await buildBootApi({ logger, state, registry, kernelArgs: '', readiness: () => ({ ready: true, detail: '' }), live });
});

after(async () => {
  await app.close();
  await project.remove();
});

function inline(html: string, tag: 'script' | 'style'): string {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(html);
  assert.ok(match, `the page has an inline <${tag}>`);
  return match[1]!;
}

describe('GET / and /dashboard', () => {
  test('serve one self-contained HTML page that loads nothing from elsewhere', async () => {
    for (const url of ['/', '/dashboard']) {
      const res = await app.inject(url);
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(res.body, /^<!doctype html>/);
      assert.doesNotMatch(res.body, /https?:\/\//, 'no absolute URL: the boot LAN has no internet');
      assert.doesNotMatch(res.body, /\b(?:src|href)\s*=\s*(?!["']?data:)/i, 'nothing fetched but data: URLs');
      assert.doesNotMatch(res.body, /@import|url\(|@font-face/i);
      assert.equal(res.body.match(/<script/g)?.length, 1);
      assert.equal(res.body.match(/<\/script/gi)?.length, 1, 'the script never closes its own element early');
      assert.ok(res.body.split('\n').length < 300, 'the page stays small');
    }
  });

  test('the content security policy admits exactly the inline script and style', async () => {
    const res = await app.inject('/');
    const csp = String(res.headers['content-security-policy']);
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    assert.ok(csp.includes(`script-src ${hash(inline(res.body, 'script'))}`), csp);
    assert.ok(csp.includes(`style-src ${hash(inline(res.body, 'style'))}`), csp);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /connect-src 'self'/);
  });

  test("the page's script parses, and its functions run with nothing but ES globals", () => {
    assert.doesNotThrow(() => new Script(DASHBOARD_SCRIPT));
    // Every function alone in an empty context: one that reached for module scope would throw.
    const source = Object.values(view).map((fn) => fn.toString()).join('\n');
    const html = runInNewContext(`${source}\nrenderDashboard(emptyModel(), 0, new Set())`, {}) as string;
    assert.match(html, /No node seen yet/);
  });
});

const NOW = 1_700_000_100_000;

function record(overrides: Partial<NodeRecord>): NodeRecord {
  return {
    mac: '52:54:00:00:0d:01',
    state: 'downloading',
    os: 'demo',
    ip: '10.77.0.150',
    clientArch: 0,
    infoHash: 'ab'.repeat(20),
    progress: { bytesDone: 3 * 1024 * 1024, bytesTotal: 4 * 1024 * 1024, downloadRate: 5 * 1024 * 1024, uploadRate: 1536, uploaded: 0, peers: 4, seeders: 1 },
    error: null,
    message: null,
    bootCount: 1,
    history: [
      { state: 'dhcp', at: NOW - 40_000 },
      { state: 'ipxe', at: NOW - 38_000 },
      { state: 'downloading', at: NOW - 25_000 },
    ],
    firstSeenAt: NOW - 40_000,
    updatedAt: NOW - 1000,
    ...overrides,
  };
}

function snapshot(nodes: NodeRecord[]): LiveSnapshot {
  return {
    master: { apiUrl: 'http://10.77.0.1:8080', dashboardUrl: 'http://10.77.0.1:8080/', trackerUrls: ['http://10.77.0.1:6969/announce'], oses: [{ name: 'demo', dispname: 'Demo OS', infoHash: 'ab'.repeat(20), isDefault: true }] },
    nodes,
    swarms: { tracker: 't1', at: NOW - 2000, swarms: [{ infoHash: 'ab'.repeat(20), seeders: 2, leechers: 3, completed: 7 }] },
    at: NOW,
  };
}

describe('dashboard rendering (view.ts, as the browser runs it)', () => {
  test('zero nodes: the master, its OSes, an empty node table and the swarms', () => {
    const model = view.emptyModel();
    view.applyEvent(model, { type: 'snapshot', data: snapshot([]) }, NOW);
    const html = view.renderDashboard(model, NOW, new Set());
    assert.match(html, /Boot API <code>http:\/\/10\.77\.0\.1:8080<\/code>/);
    assert.match(html, /<th scope="row">demo <small>\(default\)<\/small><\/th><td>Demo OS<\/td><td><code>a{0}(ab){20}<\/code>/);
    assert.match(html, /<caption>No node seen yet/);
    assert.match(html, /<th scope="col">Node \(MAC\)<\/th>/);
    assert.match(html, /<td>demo<\/td><td class="n">2<\/td><td class="n">3<\/td><td class="n">7<\/td>/);
  });

  test('a downloading node: state, OS, percent, peers, rates, IP, time in state (master clock), timeline', () => {
    const model = view.emptyModel();
    // The browser's clock is 1 h behind the master's: time in state must not care.
    const local = NOW - 3_600_000;
    view.applyEvent(model, { type: 'snapshot', data: snapshot([record({})]) }, local);
    const html = view.renderDashboard(model, local + 5000, new Set());
    assert.match(html, /<span class="st st-downloading">downloading<\/span>/);
    assert.match(html, /<progress max="100" value="75"[^>]*>75%<\/progress> 75%/);
    assert.match(html, /<td class="n">4<\/td><td class="n">5\.0 MiB\/s<\/td><td class="n">1\.5 KiB\/s<\/td><td>10\.77\.0\.150<\/td><td class="n" data-since="\d+">30s<\/td>/);
    assert.match(html, /title="boot 1: dhcp \+0s, ipxe \+2s, downloading \+15s"/);
    assert.match(html, /<li><span class="st st-ipxe">ipxe<\/span> at \+2s, took 13s<\/li>/);
    assert.match(html, /<caption>1 node: 1 downloading<\/caption>/);
    assert.doesNotMatch(html, /<details[^>]* open/);
    assert.match(view.renderDashboard(model, local, new Set(['52:54:00:00:0d:01'])), /<details data-mac="52:54:00:00:0d:01" open>/);
  });

  test('a failed node shows its code and message, escaped (messages are free text from the network)', () => {
    const model = view.emptyModel();
    const failed = record({ state: 'failed', error: { code: 'BT_P1_MANIFEST', message: '<img src=x onerror=alert(1)> & "quotes"' } });
    view.applyEvent(model, { type: 'snapshot', data: snapshot([failed]) }, NOW);
    const html = view.renderDashboard(model, NOW, new Set());
    assert.match(html, /<tr class="row-failed"/);
    assert.match(html, /<div class="err"><code>BT_P1_MANIFEST<\/code> &#60;img src=x onerror=alert\(1\)&#62; &#38; &#34;quotes&#34;<\/div>/);
    assert.doesNotMatch(html, /<img/);
  });

  test('events: node replaces, progress merges (stale ones ignored), swarms and master replace', () => {
    const model = view.emptyModel();
    view.applyEvent(model, { type: 'snapshot', data: snapshot([record({})]) }, NOW);
    const mac = '52:54:00:00:0d:01';
    const moving = { mac, state: 'downloading' as const, os: 'demo', ip: '10.77.0.151', infoHash: null, progress: { ...record({}).progress!, bytesDone: 4 * 1024 * 1024 }, error: null, message: null, updatedAt: NOW };
    view.applyEvent(model, { type: 'progress', data: moving }, NOW);
    assert.equal(model.nodes[mac]?.ip, '10.77.0.151');
    assert.equal(model.nodes[mac]?.history.length, 3, 'a progress update keeps the timeline');
    view.applyEvent(model, { type: 'progress', data: { ...moving, ip: '10.0.0.9', updatedAt: NOW - 5000 } }, NOW);
    assert.equal(model.nodes[mac]?.ip, '10.77.0.151', 'an older update does not win');
    view.applyEvent(model, { type: 'progress', data: { ...moving, mac: '52:54:00:00:0d:99' } }, NOW);
    assert.equal(model.nodes['52:54:00:00:0d:99'], undefined);
    view.applyEvent(model, { type: 'node', data: record({ state: 'booted', updatedAt: NOW + 1 }) }, NOW);
    assert.equal(model.nodes[mac]?.state, 'booted');
    view.applyEvent(model, { type: 'swarms', data: { tracker: 't1', at: NOW - 60_000, swarms: [] } }, NOW);
    assert.match(view.renderSwarms(model, NOW), /stale: 1m 0s old/);
    view.applyEvent(model, { type: 'master', data: { apiUrl: null, dashboardUrl: null, trackerUrls: [], oses: [] } }, NOW);
    assert.match(view.renderMaster(model.master), /no valid project yet/);
  });

  test('numbers for humans', () => {
    assert.deepEqual([0, 1023, 1536, 10 * 1024 * 1024].map(view.humanBytes), ['0 B', '1023 B', '1.5 KiB', '10 MiB']);
    assert.deepEqual([0, 59_999, 61_000, 3_725_000].map(view.duration), ['0s', '59s', '1m 1s', '1h 2m']);
    assert.equal(view.percentOf(record({ progress: null })), null);
  });
});
