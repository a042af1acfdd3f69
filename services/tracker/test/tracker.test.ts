import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { buckets, events, openBucket, publish, subscribe, type NetworkDesired, type SwarmStats, type TorrentReady } from '@boottorrent/contracts';
import { createLogger } from '@boottorrent/runtime';
import { freePort, startNatsServer, waitFor, type NatsServerHandle } from '@boottorrent/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AllowList, startTracker, type RunningTracker } from '../src/app.js';
import { serviceEnv } from '../src/config.js';
import { compactPeers, escapeBytes, httpAnnounce, httpGetBencoded, PROTOCOL_ID, udpAnnounce, udpExchange } from './wire.js';

const logger = createLogger('tracker-test', { level: (process.env.BT_TEST_LOG as 'info' | undefined) ?? 'silent' });
const HOST = '127.0.0.1';

function network(port: number, announceInterval: number, enabled = true): NetworkDesired {
  return {
    address: HOST,
    interface: 'lo',
    api: { port: 8080, url: `http://${HOST}:8080` },
    tracker: { enabled, port, announceInterval, announceUrls: enabled ? [`http://${HOST}:${port}/announce`, `udp://${HOST}:${port}`] : [] },
    seeder: { peerPort: 6881, httpPort: 8081, webSeed: true, baseUrl: `http://${HOST}:8081` },
  };
}

function ready(os: string, infoHash: string): TorrentReady {
  return {
    os,
    infoHash,
    magnet: `magnet:?xt=urn:btih:${infoHash}`,
    name: os,
    length: 1000,
    pieceLength: 262144,
    pieceCount: 1,
    files: [{ path: 'vmlinuz', length: 1000 }],
    torrentUrl: `http://${HOST}:8081/torrents/${infoHash}.torrent`,
    webSeeds: [],
    announce: [],
    seeder: { id: 'test', host: 'test' },
    at: Date.now(),
  };
}

const text = (value: unknown) => (Buffer.isBuffer(value) ? value.toString() : undefined);

/** Listening sockets on `port`, as `ss` reports them: "tcp 127.0.0.1:6969" etc. */
async function listeners(port: number): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ss', ['-Hlntu', `sport = :${port}`]);
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const cols = line.trim().split(/\s+/);
      return `${cols[0]} ${cols[4]}`;
    })
    .sort();
}

describe('tracker service', () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let tracker: RunningTracker;
  let port: number;
  let base: string;
  let desired: Awaited<ReturnType<typeof openDesired>>;
  let torrents: Awaited<ReturnType<typeof openTorrents>>;
  const allowed = randomBytes(20).toString('hex');
  const stranger = randomBytes(20).toString('hex');
  const published: SwarmStats[] = [];
  const openDesired = (c: NatsConnection) => openBucket(c, buckets.desired, logger);
  const openTorrents = (c: NatsConnection) => openBucket(c, buckets.torrents, logger);

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    port = await freePort();
    base = `http://${HOST}:${port}`;
    desired = await openDesired(nc);
    torrents = await openTorrents(nc);
    await desired.put('network', network(port, 3));
    await torrents.put('demo', ready('demo', allowed));
    subscribe(nc, events.swarmStats, (stats) => void published.push(stats), { logger });
    const config = serviceEnv.parse({ BT_NATS_URL: nats.url, BT_BIND_HOST: HOST, BT_STATS_INTERVAL_MS: '200' });
    tracker = await startTracker({ config, logger, nc, instance: 'tracker-test' });
    await waitFor(() => tracker.port() === port && tracker.allowList.has(allowed), { what: 'the tracker listening with its allow-list' });
  });

  after(async () => {
    await tracker?.close();
    await nc?.close();
    await nats?.dispose();
  });

  it('binds HTTP and UDP on the configured IPv4 address only (no udp6, no wildcard)', async () => {
    assert.deepEqual(await listeners(port), [`tcp ${HOST}:${port}`, `udp ${HOST}:${port}`]);
    await assert.rejects(fetch(`http://127.0.0.2:${port}/healthz`));
    assert.equal(tracker.readiness().ready, true);
  });

  it('answers HTTP announces with the desired interval and the other peers', async () => {
    const first = await httpAnnounce(base, { infoHash: allowed, port: 7001, event: 'started' });
    assert.equal(first['failure reason'], undefined);
    assert.equal(first.interval, 3);
    const second = await httpAnnounce(base, { infoHash: allowed, port: 7002, event: 'started', left: 0 });
    // bittorrent-tracker may list the asking peer too; clients skip their own address.
    assert.ok(compactPeers(second.peers).includes(`${HOST}:7001`));
    assert.equal(second.complete, 1);
    assert.equal(second.incomplete, 1);
  });

  it('answers UDP announces (BEP 15) and scrapes over HTTP and UDP', async () => {
    const answer = await udpAnnounce(HOST, port, { infoHash: allowed, port: 7003 });
    assert.ok(answer);
    assert.equal(answer.readUInt32BE(0), 1, 'announce action');
    assert.equal(answer.readUInt32BE(8), 3, 'interval');
    assert.equal(answer.readUInt32BE(12), 2, 'leechers: 7001 and 7003');
    assert.equal(answer.readUInt32BE(16), 1, 'seeders: 7002');
    const peers = compactPeers(answer.subarray(20));
    assert.ok(peers.includes(`${HOST}:7001`) && peers.includes(`${HOST}:7002`), 'the two other peers');

    const scrape = await httpGetBencoded(`${base}/scrape?info_hash=${escapeBytes(Buffer.from(allowed, 'hex'))}`);
    const files = scrape.files as Record<string, Record<string, number>>;
    const entry = Object.values(files)[0]!;
    assert.equal(entry.complete, 1);
    assert.equal(entry.incomplete, 2);

    const connectAnswer = await udpExchange(HOST, port, Buffer.concat([PROTOCOL_ID, Buffer.from([0, 0, 0, 0]), randomBytes(4)]));
    assert.ok(connectAnswer);
    const udpScrape = Buffer.concat([connectAnswer.subarray(8, 16), Buffer.from([0, 0, 0, 2]), randomBytes(4), Buffer.from(allowed, 'hex')]);
    const scraped = await udpExchange(HOST, port, udpScrape);
    assert.ok(scraped);
    assert.equal(scraped.readUInt32BE(0), 2);
    assert.deepEqual([scraped.readUInt32BE(8), scraped.readUInt32BE(16)], [1, 2], 'seeders, leechers');
  });

  it('refuses info-hashes no seeder of ours published, then tracks them once a seeder does', async () => {
    const http = await httpAnnounce(base, { infoHash: stranger, port: 7100 });
    assert.match(text(http['failure reason']) ?? '', /not served by this BootTorrent master/);
    const udp = await udpAnnounce(HOST, port, { infoHash: stranger, port: 7100 });
    assert.ok(udp);
    assert.equal(udp.readUInt32BE(0), 3, 'UDP error action');
    assert.match(udp.subarray(8).toString(), /not served/);
    assert.equal(tracker.snapshot().swarms.some((s) => s.infoHash === stranger), false);

    await torrents.put('other', ready('other', stranger));
    await waitFor(() => tracker.allowList.has(stranger), { what: 'the new torrent allowed' });
    const later = await httpAnnounce(base, { infoHash: stranger, port: 7100 });
    assert.equal(later['failure reason'], undefined);
  });

  it('survives announce garbage and clamps a huge numwant', async () => {
    const garbage = [
      `${base}/announce`,
      `${base}/announce?info_hash=short&peer_id=x&port=1`,
      `${base}/announce?info_hash=%zz%zz&peer_id=%%%&port=-5`,
      `${base}/announce?info_hash=${'%41'.repeat(20)}&peer_id=${'%42'.repeat(20)}&port=99999`,
      `${base}/announce?info_hash=${'%41'.repeat(20)}&info_hash=${'%42'.repeat(20)}&peer_id=${'%42'.repeat(20)}&port=1`,
      `${base}/nonsense`,
      `${base}/scrape?info_hash=tooshort`,
    ];
    for (const url of garbage) {
      const answer = await httpGetBencoded(url);
      assert.ok(text(answer['failure reason']), `failure reason for ${url}`);
    }
    const badEvent = await httpAnnounce(base, { infoHash: allowed, port: 7200, event: 'explode' });
    assert.ok(text(badEvent['failure reason']));
    for (const packet of [Buffer.alloc(3), randomBytes(100), Buffer.concat([randomBytes(8), Buffer.from([0, 0, 0, 1]), randomBytes(90)]), Buffer.concat([PROTOCOL_ID, Buffer.from([0, 0, 0, 1]), randomBytes(20)])]) {
      assert.equal(await udpExchange(HOST, port, packet, 300), null, 'no answer to a malformed datagram');
    }

    for (let i = 0; i < 100; i++) await httpAnnounce(base, { infoHash: allowed, port: 8000 + i, event: 'started' });
    const huge = await httpAnnounce(base, { infoHash: allowed, port: 7300, numwant: 1_000_000_000 });
    const peers = compactPeers(huge.peers);
    assert.ok(peers.length > 0 && peers.length <= 82, `${peers.length} peers`);
    const udpHuge = await udpAnnounce(HOST, port, { infoHash: allowed, port: 7301, numwant: 0xffffffff });
    assert.ok(udpHuge && (udpHuge.length - 20) / 6 <= 82);

    assert.equal((await fetch(`${base}/healthz`)).status, 200, 'still alive');
  });

  it('reports swarm stats with per-peer figures at /stats.json and on NATS', async () => {
    await httpAnnounce(base, { infoHash: allowed, port: 7400, uploaded: 5_000_000, downloaded: 123, left: 77, event: 'started' });
    await httpAnnounce(base, { infoHash: allowed, port: 7401, uploaded: 9, downloaded: 1000, left: 0, event: 'completed' });
    const res = await fetch(`${base}/stats.json`);
    assert.equal(res.status, 200);
    const stats = (await res.json()) as SwarmStats;
    const swarm = stats.swarms.find((s) => s.infoHash === allowed);
    assert.ok(swarm);
    assert.ok(swarm.completed >= 1);
    const peer = swarm.peers.find((p) => p.address === `${HOST}:7400`);
    assert.deepEqual(peer && { uploaded: peer.uploaded, downloaded: peer.downloaded, left: peer.left, complete: peer.complete }, { uploaded: 5_000_000, downloaded: 123, left: 77, complete: false });
    assert.equal(swarm.seeders + swarm.leechers, swarm.peers.length);

    const onBus = await waitFor(() => published.find((s) => s.swarms.some((w) => w.infoHash === allowed && w.peers.some((p) => p.address === `${HOST}:7401` && p.complete))), {
      what: 'stats on NATS',
    });
    assert.equal(onBus.tracker, 'tracker-test');
  });

  it('applies a new announce interval live and rebinds when the port changes', async () => {
    await desired.put('network', network(port, 5));
    await waitFor(async () => (await httpAnnounce(base, { infoHash: allowed, port: 7500 })).interval === 5, { what: 'the new interval' });
    assert.ok(tracker.snapshot().swarms.some((s) => s.infoHash === allowed), 'swarms kept');

    const newPort = await freePort();
    await desired.put('network', network(newPort, 4));
    await waitFor(() => tracker.port() === newPort, { what: 'the tracker on its new port' });
    const answer = await httpAnnounce(`http://${HOST}:${newPort}`, { infoHash: allowed, port: 7501 });
    assert.equal(answer.interval, 4);
    await assert.rejects(fetch(`${base}/healthz`), 'old port closed');
    port = newPort;
    base = `http://${HOST}:${port}`;
  });

  it('allows earlier revisions of an OS torrent (KV history) until a seeder retires them', async () => {
    const [old, current] = [randomBytes(20).toString('hex'), randomBytes(20).toString('hex')];
    await torrents.put('hist', ready('hist', old));
    await torrents.put('hist', ready('hist', current));
    // A tracker starting now sees both: the old torrent still has nodes on it.
    const list = new AllowList();
    await list.start(nc, torrents, logger);
    try {
      await waitFor(() => list.has(old) && list.has(current), { what: 'both revisions allowed' });
      publish(nc, events.torrentRetired, { os: 'hist', infoHash: old, reason: 'replaced', seeder: { id: 's', host: 'h' }, at: Date.now() });
      await waitFor(() => !list.has(old), { what: 'the retired torrent refused' });
      assert.equal(list.has(current), true);
    } finally {
      list.stop();
    }
  });

  it('tracks any torrent with the allow-list turned off', async () => {
    const config = serviceEnv.parse({ BT_NATS_URL: nats.url, BT_BIND_HOST: '127.0.0.2', BT_ALLOW_LIST: 'false' });
    const open = await startTracker({ config, logger, nc, instance: 'open-tracker' });
    try {
      await waitFor(() => open.port() === port, { what: 'the open tracker listening' });
      const any = randomBytes(20).toString('hex');
      const answer = await httpAnnounce(`http://127.0.0.2:${port}`, { infoHash: any, port: 7600 });
      assert.equal(answer['failure reason'], undefined);
      assert.ok(open.snapshot().swarms.some((s) => s.infoHash === any));
    } finally {
      await open.close();
    }
  });

  it('stops listening when the desired state turns the tracker off', async () => {
    await desired.put('network', network(port, 4, false));
    await waitFor(() => tracker.port() === null, { what: 'the tracker to stop' });
    await assert.rejects(fetch(`${base}/healthz`));
    assert.deepEqual(tracker.readiness(), { ready: true, detail: 'tracker disabled by desired state' });
  });
});
