import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { buckets, events, openBucket, publish } from '@boottorrent/contracts';
import { connectNats, type NatsConnection } from '@boottorrent/runtime';
import { freePort, startNatsServer, waitFor, type NatsServerHandle } from '@boottorrent/testing';
import { createConfigService, type ConfigService } from '../src/app.js';
import { DEFAULT_PROGRESS_INTERVAL_MS, RECONNECT_MS } from '../src/live/feed.js';
import { captureLogger, createTestProject, desiredOf, torrentFor, type TestProject } from './helpers/fixtures.js';
import { runPage } from './helpers/page-runner.js';
import { SseClient } from './helpers/sse.js';

/*
 * GET /api/events against the real service and a real nats-server: what a dashboard sees when
 * it connects, how node, progress, swarm and master news reach it, and that viewers who leave
 * (or are too many) cost nothing.
 */

const MAC_A = '52:54:00:00:0e:01';
const MAC_B = '52:54:00:00:0e:02';
const MAX_VIEWERS = 3;
const WAIT = { timeoutMs: 8000 };

let nats: NatsServerHandle;
let observer: NatsConnection;
let serviceNc: NatsConnection;
let project: TestProject;
let service: ConfigService;
let apiPort: number;
let serviceClosed = false;
const clients: SseClient[] = [];

async function viewer(): Promise<SseClient> {
  const client = await SseClient.connect(`http://127.0.0.1:${apiPort}/api/events`);
  clients.push(client);
  return client;
}

async function report(mac: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${apiPort}/api/nodes/${mac}/progress`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 204, await res.text());
}

function downloading(bytesDone: number): Record<string, unknown> {
  return { state: 'downloading', os: 'debian', bytesDone, bytesTotal: 100, downloadRate: 2048, uploadRate: 512, peers: 2 };
}

function connections(): Promise<number> {
  return new Promise((resolve, reject) => service.app.server.getConnections((err, count) => (err ? reject(err) : resolve(count))));
}

before(async () => {
  nats = await startNatsServer();
  const quiet = captureLogger('info').logger;
  observer = await connectNats({ servers: nats.url, name: 'test-observer', logger: quiet, reconnectWaitMs: 200 });
  serviceNc = await connectNats({ servers: nats.url, name: 'test-config', logger: quiet, reconnectWaitMs: 200 });
  apiPort = await freePort();
  project = await createTestProject({ apiPort, defaultOs: 'debian' });
  service = await createConfigService({
    nc: serviceNc,
    logger: quiet,
    config: { BT_PROJECT_DIR: project.dir, BT_STATE_DIR: join(project.dir, '.boottorrent'), BT_BIND_HOST: '127.0.0.1', BT_PHASE1_KERNEL_ARGS: '' },
    // The progress interval stays the real default: coalescing is what is tested.
    live: { maxViewers: MAX_VIEWERS, heartbeatMs: 300 },
  });
  await service.listen();
});

// A failed test must not leave viewers behind for the next one to trip over.
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

after(async () => {
  if (!serviceClosed) await service?.close();
  await observer?.close();
  await serviceNc?.close();
  await nats?.dispose();
  await project?.remove();
});

describe('GET /api/events (live dashboard stream)', () => {
  test('on connect: SSE headers, then a snapshot of the master, its OSes, nodes and swarms', async () => {
    const client = await viewer();
    assert.match(String(client.headers['content-type']), /^text\/event-stream/);
    assert.equal(client.headers['cache-control'], 'no-store');
    const snapshot = await client.next('snapshot');
    assert.equal(client.events[0]?.type, 'snapshot', 'the snapshot comes first');
    assert.equal(client.retryMs, RECONNECT_MS);
    const desired = await desiredOf(project.dir);
    assert.equal(snapshot.master.apiUrl, desired.network.api.url);
    assert.equal(snapshot.master.dashboardUrl, `${desired.network.api.url}/`);
    assert.deepEqual(snapshot.master.oses, [
      { name: 'alpine', dispname: 'Alpine Linux', infoHash: null, isDefault: false },
      { name: 'debian', dispname: 'Debian GNU/Linux 12', infoHash: null, isDefault: true },
    ]);
    assert.deepEqual(snapshot.nodes, []);
    assert.equal(snapshot.swarms, null);
    assert.ok(Math.abs(snapshot.at - Date.now()) < 5000);

    // A seeder publishing a torrent changes the master's info-hashes: every viewer is told.
    const torrent = torrentFor(desired.oses.oses.find((os) => os.name === 'debian')!, desired);
    await (await openBucket(observer, buckets.torrents, captureLogger('info').logger)).put('debian', torrent);
    const master = await client.next('master', (m) => m.oses.some((os) => os.infoHash === torrent.infoHash), WAIT.timeoutMs);
    assert.equal(master.oses.find((os) => os.name === 'alpine')?.infoHash, null);
    client.close();
  });

  test('a node seen by dhcp (over NATS) and its phase-1 state changes reach the stream at once', async () => {
    const client = await viewer();
    await client.next('snapshot');
    publish(observer, events.nodeDhcp, { mac: MAC_A, kind: 'discover', clientArch: 7, mode: 'full', at: Date.now() });
    const seen = await client.next('node', (node) => node.mac === MAC_A);
    assert.equal(seen.state, 'dhcp');
    assert.equal(seen.clientArch, 7);
    await report(MAC_A, downloading(1));
    const moved = await client.next('node', (node) => node.mac === MAC_A && node.state === 'downloading');
    assert.deepEqual(moved.history.map((step) => step.state), ['dhcp', 'downloading']);
    assert.equal(moved.progress?.bytesDone, 1);
    assert.equal(client.of('progress').length, 0, 'a state change is a node event, not also a progress event');
    assert.deepEqual(client.invalid, []);
    client.close();
  });

  test('progress is coalesced per node: at most one event per interval, the latest value last', async () => {
    await report(MAC_B, downloading(0));
    const client = await viewer();
    await client.next('snapshot');
    const started = Date.now();
    for (let bytes = 10; bytes <= 17; bytes++) {
      await report(MAC_A, downloading(bytes));
      await report(MAC_B, downloading(bytes));
    }
    const sendingMs = Date.now() - started;
    for (const mac of [MAC_A, MAC_B]) await client.next('progress', (update) => update.mac === mac && update.progress?.bytesDone === 17, WAIT.timeoutMs);

    for (const mac of [MAC_A, MAC_B]) {
      const indexes = client.events.flatMap((event, i) => (event.type === 'progress' && event.data.mac === mac ? [i] : []));
      const values = indexes.map((i) => (client.events[i]!.data as { progress: { bytesDone: number } }).progress.bytesDone);
      assert.equal(values[0], 10, `${mac}: the first report after a quiet interval goes out at once`);
      assert.equal(values.at(-1), 17, `${mac}: the last report is delivered`);
      assert.ok(values.length >= 2 && values.length <= 2 + Math.floor(sendingMs / DEFAULT_PROGRESS_INTERVAL_MS), `${mac}: 8 reports in ${sendingMs} ms gave ${values.join(',')}`);
      for (let k = 1; k < indexes.length; k++) {
        const gap = client.arrivals[indexes[k]!]! - client.arrivals[indexes[k - 1]!]!;
        assert.ok(gap >= DEFAULT_PROGRESS_INTERVAL_MS - 100, `${mac}: progress events ${gap} ms apart`);
      }
    }
    const update = client.of('progress').at(-1)!;
    assert.deepEqual(Object.keys(update).sort(), ['error', 'infoHash', 'ip', 'mac', 'message', 'os', 'progress', 'state', 'updatedAt']);
    client.close();
  });

  test('swarm statistics reach the stream without the peer lists; heartbeats keep it open', async () => {
    const client = await viewer();
    await client.next('snapshot');
    const peer = { address: '10.77.0.150:6881', peerId: 'x', uploaded: 0, downloaded: 0, left: 10, complete: false, lastAnnounceAt: Date.now() };
    publish(observer, events.swarmStats, { tracker: 'test', at: Date.now(), swarms: [{ infoHash: 'cd'.repeat(20), seeders: 1, leechers: 3, completed: 2, peers: [peer] }] });
    const stats = await client.next('swarms');
    assert.deepEqual(stats.swarms, [{ infoHash: 'cd'.repeat(20), seeders: 1, leechers: 3, completed: 2 }]);
    assert.ok(!client.frames.find((frame) => frame.type === 'swarms')!.data.includes('peers'));
    await waitFor(() => client.comments.includes('keep-alive'), { ...WAIT, what: 'a heartbeat comment' });
    client.close();
  });

  test("the page's own script renders the stream it receives", async () => {
    const client = await viewer();
    await client.next('snapshot');
    const page = runPage();
    assert.equal(page.url, 'api/events');
    assert.deepEqual(page.listensTo().sort(), ['master', 'node', 'progress', 'snapshot', 'swarms']);
    page.open();
    assert.equal(page.conn.textContent, 'live');
    page.deliver(client.frames);
    for (const text of [MAC_A, MAC_B, 'downloading', '17%', 'Debian GNU/Linux 12', 'cdcdcdcdcdcd', '2 downloading']) {
      assert.ok(page.main.innerHTML.includes(text), `the page shows ${text}`);
    }
    client.close();
  });

  test('viewers who leave are forgotten: no viewer, progress timer or socket remains', async () => {
    await waitFor(() => service.live.viewerCount === 0, { ...WAIT, what: 'earlier viewers to be gone' });
    const baseline = await connections();
    for (let round = 0; round < 10; round++) {
      const group = await Promise.all(Array.from({ length: MAX_VIEWERS }, () => viewer()));
      await Promise.all(group.map((client) => client.next('snapshot')));
      await report(MAC_A, downloading(20 + round));
      await group[0]!.next('progress', (update) => update.progress?.bytesDone === 20 + round);
      for (const client of group) client.close();
      await waitFor(() => service.live.viewerCount === 0, { ...WAIT, what: 'viewers to be detached' });
    }
    assert.equal(service.live.pendingNodes, 0, 'progress windows are closed with the last viewer');
    await report(MAC_A, downloading(40));
    assert.equal(service.live.pendingNodes, 0, 'nothing is coalesced for nobody');
    await waitFor(async () => (await connections()) <= baseline, { ...WAIT, what: `server connections back to ${baseline}` });
  });

  test(`beyond ${MAX_VIEWERS} viewers: 503 BT_DASHBOARD_FULL, and room again once one leaves`, async () => {
    const group = await Promise.all(Array.from({ length: MAX_VIEWERS }, () => viewer()));
    const refused = await SseClient.open(`http://127.0.0.1:${apiPort}/api/events`);
    assert.ok(!(refused instanceof SseClient), 'the extra viewer is refused');
    assert.equal(refused.status, 503);
    assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, 'BT_DASHBOARD_FULL');
    group[0]!.close();
    await waitFor(() => service.live.viewerCount === MAX_VIEWERS - 1, WAIT);
    await (await viewer()).next('snapshot');
  });

  // Without the timeout a regression would hang here until the runner gives up.
  test('closing the service ends the open streams instead of hanging on them', { timeout: 5000 }, async () => {
    const client = await viewer();
    await client.next('snapshot');
    const started = Date.now();
    serviceClosed = true;
    await service.close();
    assert.ok(Date.now() - started < 3000, `close took ${Date.now() - started} ms`);
    await waitFor(() => client.ended, { ...WAIT, what: 'the stream to end' });
    assert.equal(service.live.viewerCount, 0);
  });
});
