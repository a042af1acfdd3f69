import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { NodeProgressEvent, NodeRecord, SwarmStats } from '@boottorrent/contracts';
import { buildBootApi } from '../src/boot-api.js';
import { BootState } from '../src/boot-state.js';
import { DEFAULT_PHASE1_KERNEL_ARGS } from '../src/config.js';
import { LiveFeed } from '../src/live/feed.js';
import { masterView, snapshotOf } from '../src/live/views.js';
import { NodeRegistry } from '../src/registry.js';
import { captureLogger, createPhase1Artifacts, createTestProject, desiredOf, torrentFor, type Phase1Fixture, type TestProject } from './helpers/fixtures.js';
import { lintIpxe } from './helpers/ipxe-lint.js';

const MAC = '52:54:00:00:00:01';
const PINNED = '52:54:00:00:00:02';

let project: TestProject;
let phase1: Phase1Fixture;
let state: BootState;
let app: FastifyInstance;
let changes: NodeRecord[];
let progress: NodeProgressEvent[];
let captured: ReturnType<typeof captureLogger>;
let clock = Date.now();

before(async () => {
  project = await createTestProject({ timeout: 10, defaultOs: 'debian', nodes: { [PINNED]: 'alpine' } });
  phase1 = await createPhase1Artifacts();
});
after(async () => {
  await project.remove();
  await phase1.remove();
});

beforeEach(async () => {
  captured = captureLogger();
  state = new BootState();
  state.desired = await desiredOf(project.dir);
  state.phase1 = phase1.artifacts;
  changes = [];
  progress = [];
  const registry = new NodeRegistry(captured.logger, { changed: (record) => void changes.push(record), progress: (event) => void progress.push(event) });
  app = await buildBootApi({
    logger: captured.logger,
    state,
    registry,
    kernelArgs: DEFAULT_PHASE1_KERNEL_ARGS,
    readiness: () => ({ ready: state.desired !== null, detail: 'test' }),
    live: new LiveFeed({ logger: captured.logger, snapshot: () => snapshotOf(state, registry.list(), clock), master: () => masterView(state) }),
    now: () => clock,
  });
});

/** Sources env text in busybox sh (what phase-1 runs) and prints an expression of its variables. */
function sourceInBusybox(env: string, expression: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bt-env-'));
  try {
    writeFileSync(join(dir, 'manifest.env'), env);
    return execFileSync('busybox', ['sh', '-c', `. ./manifest.env && printf '%s' ${expression}`], { cwd: dir }).toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function errorCode(body: string): string {
  return (JSON.parse(body) as { error: { code: string } }).error.code;
}

describe('GET /boot.ipxe', () => {
  test('without mac: the chain script', async () => {
    const res = await app.inject('/boot.ipxe');
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/plain/);
    assert.match(res.body, /^#!ipxe\n/);
    assert.match(res.body, /boot\.ipxe\?mac=\$\{netX\/mac\}/);
    assert.deepEqual(lintIpxe(res.body), []);
  });

  test('with mac (any spelling iPXE uses): the node script, and the node is in state ipxe', async () => {
    for (const spelling of ['52:54:00:00:00:01', '52-54-00-00-00-01', '525400000001', '52:54:00:00:00:01'.toUpperCase()]) {
      const res = await app.inject({ url: '/boot.ipxe', query: { mac: spelling, arch: 'x86_64', platform: 'efi' } });
      assert.equal(res.statusCode, 200, spelling);
      assert.match(res.body, /bt\.node=52:54:00:00:00:01 initrd=initrd /);
      assert.deepEqual(lintIpxe(res.body), []);
    }
    const node = (await app.inject(`/api/nodes/${MAC}`)).json<NodeRecord>();
    assert.equal(node.state, 'ipxe');
    assert.equal(changes.filter((record) => record.mac === MAC).length, 4, 'each fetch is recorded; the state changed once');
  });

  test('a pinned node records its OS', async () => {
    await app.inject({ url: '/boot.ipxe', query: { mac: PINNED } });
    assert.equal((await app.inject(`/api/nodes/${PINNED}`)).json<NodeRecord>().os, 'alpine');
  });

  test('bad input: 400 with a JSON error, never a crash', async () => {
    const queries: Array<Record<string, string>> = [{ mac: 'nope' }, { mac: '' }, { mac: '52:54:00:00:00:01:02' }, { mac: 'x'.repeat(5000) }, { mac: MAC, arch: 'x86 64' }, { mac: MAC, platform: '${evil}' }];
    for (const query of queries) {
      const res = await app.inject({ url: '/boot.ipxe', query });
      assert.equal(res.statusCode, 400, JSON.stringify(query).slice(0, 80));
      assert.match(errorCode(res.body), /^BT_(BAD_MAC|BAD_REQUEST)$/);
    }
    const twice = await app.inject(`/boot.ipxe?mac=${MAC}&mac=${PINNED}`);
    assert.equal(twice.statusCode, 400);
  });

  test('before any valid project: 503 BT_NOT_READY', async () => {
    state.desired = null;
    const res = await app.inject({ url: '/boot.ipxe', query: { mac: MAC } });
    assert.equal(res.statusCode, 503);
    assert.equal(errorCode(res.body), 'BT_NOT_READY');
  });
});

describe('GET/HEAD /phase1/kernel and /phase1/initrd', () => {
  test('whole file with length and ETag = sha256', async () => {
    for (const which of ['kernel', 'initrd'] as const) {
      const res = await app.inject(`/phase1/${which}`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-length'], String(phase1[which].length));
      assert.equal(res.headers.etag, `"${phase1.artifacts[which].sha256}"`);
      assert.equal(res.headers['accept-ranges'], 'bytes');
      assert.ok(res.rawPayload.equals(phase1[which]));
    }
  });

  test('ranges: 206 with Content-Range; suffix and open ranges; 416 past the end', async () => {
    const size = phase1.kernel.length;
    const cases: Array<[string, number, number]> = [
      ['bytes=0-99', 0, 99],
      ['bytes=1000-', 1000, size - 1],
      ['bytes=-500', size - 500, size - 1],
      [`bytes=${size - 10}-${size + 1000}`, size - 10, size - 1],
    ];
    for (const [range, start, end] of cases) {
      const res = await app.inject({ url: '/phase1/kernel', headers: { range } });
      assert.equal(res.statusCode, 206, range);
      assert.equal(res.headers['content-range'], `bytes ${start}-${end}/${size}`);
      assert.equal(res.headers['content-length'], String(end - start + 1));
      assert.ok(res.rawPayload.equals(phase1.kernel.subarray(start, end + 1)), range);
    }
    const past = await app.inject({ url: '/phase1/kernel', headers: { range: `bytes=${size}-` } });
    assert.equal(past.statusCode, 416);
    assert.equal(past.headers['content-range'], `bytes */${size}`);
    assert.equal(errorCode(past.body), 'BT_RANGE_NOT_SATISFIABLE');
    // Several ranges, or nonsense: the whole file (a server may ignore Range).
    for (const range of ['bytes=0-1,5-6', 'pages=1-2', 'bytes=9-3']) {
      const res = await app.inject({ url: '/phase1/kernel', headers: { range } });
      assert.equal(res.statusCode, 200, range);
      assert.equal(res.rawPayload.length, size);
    }
  });

  test('HEAD: headers only; If-None-Match: 304; If-Range with another tag: the whole file', async () => {
    const head = await app.inject({ method: 'HEAD', url: '/phase1/initrd' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-length'], String(phase1.initrd.length));
    assert.equal(head.rawPayload.length, 0);
    const etag = `"${phase1.artifacts.initrd.sha256}"`;
    const cached = await app.inject({ url: '/phase1/initrd', headers: { 'if-none-match': etag } });
    assert.equal(cached.statusCode, 304);
    assert.equal(cached.rawPayload.length, 0);
    const stale = await app.inject({ url: '/phase1/initrd', headers: { range: 'bytes=0-9', 'if-range': '"other"' } });
    assert.equal(stale.statusCode, 200);
    const fresh = await app.inject({ url: '/phase1/initrd', headers: { range: 'bytes=0-9', 'if-range': etag } });
    assert.equal(fresh.statusCode, 206);
  });

  test('not built, or a file that does not match its build: 503 BT_PHASE1_NOT_BUILT', async () => {
    state.phase1 = null;
    const none = await app.inject('/phase1/kernel');
    assert.equal(none.statusCode, 503);
    assert.equal(errorCode(none.body), 'BT_PHASE1_NOT_BUILT');
    state.phase1 = { ...phase1.artifacts, kernel: { ...phase1.artifacts.kernel, size: 1 } };
    assert.equal((await app.inject('/phase1/kernel')).statusCode, 503);
    state.phase1 = { ...phase1.artifacts, kernel: { ...phase1.artifacts.kernel, file: '../../etc/passwd' } };
    const escaping = await app.inject('/phase1/kernel');
    assert.equal(escaping.statusCode, 503);
    assert.doesNotMatch(escaping.body, /root:/);
  });

  test('paths from the request never reach the file system', async () => {
    for (const url of ['/phase1/../../../etc/passwd', '/phase1/%2e%2e/%2e%2e/etc/passwd', '/phase1/..%2F..%2Fetc%2Fpasswd', '/phase1/kernel/..%2f..%2fpasswd', '/phase1/%2e%2e%2fkernel', '/phase1/vmlinuz']) {
      const res = await app.inject(url);
      assert.equal(res.statusCode, 404, url);
      assert.equal(errorCode(res.body), 'BT_NOT_FOUND');
    }
  });
});

describe('GET /api/manifest/:os', () => {
  test('503 until the seeder publishes; then JSON per OsManifest', async () => {
    const waiting = await app.inject('/api/manifest/debian');
    assert.equal(waiting.statusCode, 503);
    assert.equal(errorCode(waiting.body), 'BT_TORRENT_NOT_READY');
    const debian = state.desired!.oses.oses.find((os) => os.name === 'debian')!;
    const torrent = torrentFor(debian, state.desired!);
    state.torrents.set('debian', torrent);
    const res = await app.inject('/api/manifest/debian');
    assert.equal(res.statusCode, 200);
    const manifest = res.json();
    assert.equal(manifest.infoHash, torrent.infoHash);
    assert.deepEqual(manifest.trackers, ['http://10.77.0.1:6969/announce', 'udp://10.77.0.1:6969']);
    assert.deepEqual(manifest.webSeeds, torrent.webSeeds);
    assert.equal(manifest.kernel, 'vmlinuz');
    assert.equal(manifest.apiUrl, 'http://10.77.0.1:8080');
  });

  test('format=env: shell assignments busybox sh can source', async () => {
    const alpine = state.desired!.oses.oses.find((os) => os.name === 'alpine')!;
    state.torrents.set('alpine', torrentFor(alpine, state.desired!));
    const res = await app.inject({ url: '/api/manifest/alpine', query: { format: 'env' } });
    assert.equal(res.statusCode, 200);
    const out = sourceInBusybox(res.body, '"$BT_OS|$BT_KERNEL|$BT_CMDLINE|$BT_LINGER_RATIO|$BT_TRACKERS"');
    assert.equal(out, "alpine|boot/vmlinuz-lts|modules=loop,squashfs quiet it's|1.5|http://10.77.0.1:6969/announce,udp://10.77.0.1:6969");
  });

  test('410 with the missing file named when an OS lost its files since it was published', async () => {
    const debian = state.desired!.oses.oses.find((os) => os.name === 'debian')!;
    state.torrents.set('debian', torrentFor(debian, state.desired!));
    const file = join(project.dir, debian.dir, debian.kernel);
    const saved = readFileSync(file);
    rmSync(file);
    try {
      const res = await app.inject({ url: '/api/manifest/debian', query: { format: 'env' } });
      assert.equal(res.statusCode, 410);
      assert.equal(errorCode(res.body), 'BT_OS_FILES_MISSING');
      // phase-1's busybox wget never sees error bodies; the reason travels in headers too.
      assert.equal(res.headers['x-bt-error-code'], 'BT_OS_FILES_MISSING');
      assert.equal(res.headers['x-bt-error'], `OS debian cannot be served: ${debian.dir}/${debian.kernel} is missing on the master`);
    } finally {
      writeFileSync(file, saved);
    }
    assert.equal((await app.inject('/api/manifest/debian')).statusCode, 200);
  });

  test('unknown OS 404; malformed names and escape attempts 4xx', async () => {
    const unknown = await app.inject('/api/manifest/windows');
    assert.equal(unknown.statusCode, 404);
    assert.equal(errorCode(unknown.body), 'BT_UNKNOWN_OS');
    for (const url of ['/api/manifest/..', '/api/manifest/%2e%2e', '/api/manifest/..%2F..%2Fetc%2Fpasswd', '/api/manifest/..%252F', '/api/manifest/.hidden', '/api/manifest/debian?format=xml']) {
      const res = await app.inject(url);
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${url}: ${res.statusCode}`);
      assert.match(errorCode(res.body), /^BT_/);
    }
  });
});

describe('GET /api/menu and /api/swarms', () => {
  test('menu as JSON and as env', async () => {
    assert.deepEqual((await app.inject('/api/menu')).json(), {
      entries: [
        { os: 'alpine', dispname: 'Alpine Linux' },
        { os: 'debian', dispname: 'Debian GNU/Linux 12' },
      ],
      defaultOs: 'debian',
      timeout: 10,
    });
    const env = await app.inject('/api/menu?format=env');
    assert.equal(env.body, "BT_MENU_COUNT='2'\nBT_MENU_1_OS='alpine'\nBT_MENU_1_NAME='Alpine Linux'\nBT_MENU_2_OS='debian'\nBT_MENU_2_NAME='Debian GNU/Linux 12'\nBT_MENU_DEFAULT='debian'\nBT_MENU_TIMEOUT='10'\n");
  });

  test('swarms: 503 before stats; known/unknown hash; stale stats are not known', async () => {
    const hash = 'ab'.repeat(20);
    assert.equal((await app.inject('/api/swarms')).statusCode, 503);
    const unknownEnv = await app.inject(`/api/swarms/${hash}?format=env`);
    assert.equal(unknownEnv.body, "BT_SWARM_KNOWN='0'\nBT_SWARM_SEEDERS='0'\nBT_SWARM_LEECHERS='0'\nBT_SWARM_COMPLETED='0'\n");
    const stats: SwarmStats = { tracker: 'http://10.77.0.1:6969', at: clock, swarms: [{ infoHash: hash, seeders: 3, leechers: 5, completed: 2, peers: [] }] };
    state.swarmStats = stats;
    assert.equal((await app.inject('/api/swarms')).json().tracker, stats.tracker);
    assert.equal((await app.inject(`/api/swarms/${hash.toUpperCase()}`)).json().leechers, 5);
    assert.equal((await app.inject(`/api/swarms/${hash}?format=env`)).body, "BT_SWARM_KNOWN='1'\nBT_SWARM_SEEDERS='3'\nBT_SWARM_LEECHERS='5'\nBT_SWARM_COMPLETED='2'\n");
    assert.equal((await app.inject(`/api/swarms/${'cd'.repeat(20)}`)).statusCode, 404);
    clock += 60_000;
    assert.match((await app.inject(`/api/swarms/${hash}?format=env`)).body, /^BT_SWARM_KNOWN='0'$/m);
    clock -= 60_000;
    const bad = await app.inject('/api/swarms/not-a-hash');
    assert.equal(bad.statusCode, 400);
  });
});

describe('nodes: progress reports and the registry', () => {
  const report = { state: 'downloading', os: 'debian', bytesDone: 100, bytesTotal: 1000, downloadRate: 50, peers: 3 };

  test('a report for an unknown node creates it: 204, recorded, published', async () => {
    const res = await app.inject({ method: 'POST', url: `/api/nodes/${MAC}/progress`, payload: report });
    assert.equal(res.statusCode, 204);
    const node = (await app.inject(`/api/nodes/${MAC}`)).json<NodeRecord>();
    assert.equal(node.state, 'downloading');
    assert.equal(node.progress?.bytesDone, 100);
    assert.equal(progress.length, 1);
    assert.equal(progress[0]!.mac, MAC);
    const list = (await app.inject('/api/nodes')).json<{ nodes: NodeRecord[] }>();
    assert.deepEqual(list.nodes.map((n) => n.mac), [MAC]);
  });

  test('busybox wget posts form-encoded by default: the JSON body is still read', async () => {
    const res = await app.inject({ method: 'POST', url: `/api/nodes/${MAC}/progress`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: JSON.stringify(report) });
    assert.equal(res.statusCode, 204);
  });

  test('a report to a node in a final state is ignored and logged', async () => {
    await app.inject({ method: 'POST', url: `/api/nodes/${MAC}/progress`, payload: { state: 'booted' } });
    const res = await app.inject({ method: 'POST', url: `/api/nodes/${MAC}/progress`, payload: report });
    assert.equal(res.statusCode, 204);
    assert.equal((await app.inject(`/api/nodes/${MAC}`)).json<NodeRecord>().state, 'booted');
    assert.ok(captured.lines.some((line) => line.code === 'BT_NODE_REPORT_IGNORED' && line.mac === MAC));
    assert.equal(progress.length, 1, 'only the accepted report is republished');
  });

  test('bad input: malformed MAC, bad fields, not JSON, wrong type, oversized body', async () => {
    const post = (url: string, payload: string | object, contentType = 'application/json') =>
      app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
    const cases: Array<[Promise<{ statusCode: number; body: string }>, number, string]> = [
      [post('/api/nodes/not-a-mac/progress', report), 400, 'BT_BAD_MAC'],
      [post(`/api/nodes/${MAC}/progress`, { state: 'dancing' }), 400, 'BT_BAD_REQUEST'],
      [post(`/api/nodes/${MAC}/progress`, { ...report, bytesDone: -1 }), 400, 'BT_BAD_REQUEST'],
      [post(`/api/nodes/${MAC}/progress`, { ...report, extra: 1 }), 400, 'BT_BAD_REQUEST'],
      [post(`/api/nodes/${MAC}/progress`, '{"state": "downloading"'), 400, 'BT_NOT_JSON'],
      [post(`/api/nodes/${MAC}/progress`, ''), 400, 'BT_NOT_JSON'],
      [post(`/api/nodes/${MAC}/progress`, '[1,2]'), 400, 'BT_BAD_REQUEST'],
      [post(`/api/nodes/${MAC}/progress`, 'state=downloading', 'multipart/form-data; boundary=x'), 415, 'BT_UNSUPPORTED_MEDIA_TYPE'],
      [post(`/api/nodes/${MAC}/progress`, { ...report, message: 'x'.repeat(20_000) }), 413, 'BT_BODY_TOO_LARGE'],
    ];
    for (const [response, status, code] of cases) {
      const res = await response;
      assert.equal(res.statusCode, status, res.body);
      assert.equal(errorCode(res.body), code);
    }
    assert.equal(changes.length, 0, 'no bad report changed the registry');
    const unknown = await app.inject('/api/nodes/52:54:00:99:99:99');
    assert.equal(unknown.statusCode, 404);
    assert.equal(errorCode(unknown.body), 'BT_UNKNOWN_NODE');
    assert.equal((await app.inject('/api/nodes/..%2F..')).statusCode, 400);
  });
});

describe('health', () => {
  test('/healthz and /readyz', async () => {
    assert.equal((await app.inject('/healthz')).statusCode, 200);
    assert.equal((await app.inject('/readyz')).statusCode, 200);
    state.desired = null;
    assert.equal((await app.inject('/readyz')).statusCode, 503);
  });
});
