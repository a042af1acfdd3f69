import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, waitFor, type NatsServerHandle } from '@boottorrent/testing';
import {
  buckets,
  ContractViolation,
  events,
  openBucket,
  publish,
  request,
  RequestFailed,
  requests,
  serve,
  subscribe,
  type BusLogger,
  type DesiredState,
  type DhcpObservation,
} from '../src/index.js';

/** A logger that remembers what it was told, so tests can assert that bad input was logged. */
function recordingLogger(): BusLogger & { warnings: object[]; errors: object[] } {
  const warnings: object[] = [];
  const errors: object[] = [];
  return { warnings, errors, warn: (obj) => void warnings.push(obj), error: (obj) => void errors.push(obj) };
}

const observation = (mac: string): DhcpObservation => ({
  mac,
  kind: 'ack',
  ip: '10.77.0.100',
  clientArch: 0,
  bootFile: 'undionly.kpxe',
  ipxe: false,
  hostname: null,
  mode: 'full',
  at: Date.now(),
});

describe('contracts against a real nats-server', () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;

  before(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });
  after(async () => {
    await nc?.close();
    await server?.dispose();
  });

  it('delivers a valid event and drops a malformed one without stopping', async () => {
    const logger = recordingLogger();
    const received: DhcpObservation[] = [];
    const sub = subscribe(nc, events.nodeDhcp, (payload) => void received.push(payload), { logger });
    await nc.flush();
    nc.publish('bt.node.52:54:00:00:00:09.dhcp', 'not json');
    nc.publish('bt.node.52:54:00:00:00:09.dhcp', JSON.stringify({ mac: 'nope', kind: 'ack' }));
    publish(nc, events.nodeDhcp, observation('52:54:00:00:00:01'));
    await waitFor(() => received.length === 1, { what: 'the valid event' });
    assert.equal(received[0]!.mac, '52:54:00:00:00:01');
    assert.equal(logger.warnings.length, 2, 'both bad messages logged');
    publish(nc, events.nodeDhcp, observation('52:54:00:00:00:02'));
    await waitFor(() => received.length === 2, { what: 'a second valid event after the bad ones' });
    sub.unsubscribe();
  });

  it('refuses to publish a payload that breaks its schema', () => {
    assert.throws(() => publish(nc, events.nodeDhcp, { ...observation('52:54:00:00:00:01'), kind: 'hello' as 'ack' }), ContractViolation);
  });

  it('narrows a subscription to one node', async () => {
    const logger = recordingLogger();
    const received: string[] = [];
    const sub = subscribe(nc, events.nodeDhcp, (payload) => void received.push(payload.mac), {
      logger,
      subject: events.nodeDhcp.subjectOf(observation('52:54:00:00:00:05')),
    });
    await nc.flush();
    publish(nc, events.nodeDhcp, observation('52:54:00:00:00:04'));
    publish(nc, events.nodeDhcp, observation('52:54:00:00:00:05'));
    await waitFor(() => received.length === 1);
    await nc.flush();
    assert.deepEqual(received, ['52:54:00:00:00:05']);
    sub.unsubscribe();
  });

  it('keeps delivering when a handler throws', async () => {
    const logger = recordingLogger();
    let calls = 0;
    const sub = subscribe(
      nc,
      events.nodeDhcp,
      () => {
        calls++;
        throw new Error('handler bug');
      },
      { logger },
    );
    await nc.flush();
    publish(nc, events.nodeDhcp, observation('52:54:00:00:00:01'));
    publish(nc, events.nodeDhcp, observation('52:54:00:00:00:02'));
    await waitFor(() => calls === 2);
    assert.equal(logger.errors.length, 2);
    sub.unsubscribe();
  });

  it('validates requests and replies', async () => {
    const logger = recordingLogger();
    const sub = serve(nc, requests.imageBuild, async (req) => ({ buildId: `b-${req.flavour}`, runner: 'local' as const }), { logger });
    await nc.flush();
    const reply = await request(nc, requests.imageBuild, { target: 'phase1', flavour: 'generic' });
    assert.deepEqual(reply, { buildId: 'b-generic', runner: 'local' });
    const raw = await nc.request(requests.imageBuild.subject, JSON.stringify({ target: 'kernel' }), { timeout: 2000 });
    assert.equal(raw.json<{ ok: boolean; error: { code: string } }>().error.code, 'BT_CONTRACT_VIOLATION');
    sub.unsubscribe();
  });

  it('reports a handler failure to the requester with its code', async () => {
    const logger = recordingLogger();
    const sub = serve(
      nc,
      requests.imageBuild,
      async () => {
        throw Object.assign(new Error('a build is already running'), { code: 'BT_IMAGE_BUSY' });
      },
      { logger },
    );
    await nc.flush();
    await assert.rejects(request(nc, requests.imageBuild, { target: 'phase1' }), (err: unknown) => err instanceof RequestFailed && err.code === 'BT_IMAGE_BUSY');
    sub.unsubscribe();
  });

  it('round-trips desired state through KV and watches changes', async () => {
    const logger = recordingLogger();
    const kv = await openBucket(nc, buckets.desired, logger);
    const policy: DesiredState['policy'] = {
      menu: { timeout: 5, defaultOs: 'debian', entries: ['debian'] },
      unknownNodes: 'menu',
      linger: { untilSwarmDone: true, minSeconds: 0, maxSeconds: 60, maxRatio: 0 },
      client: { peerExchange: true, localPeerDiscovery: false, logLevel: 'notice', listenPort: 6881, webSeedAfterSeconds: 15 },
    };
    await kv.put('policy', policy);
    assert.deepEqual(await kv.get('policy'), policy);

    const seen: Array<number | null> = [];
    const stop = await kv.watch((change) => {
      if (change.key === 'policy') seen.push(change.value === null ? null : (change.value as DesiredState['policy']).menu.timeout);
    }, ['policy']);
    await waitFor(() => seen.length === 1, { what: 'the current value on watch' });
    await kv.put('policy', { ...policy, menu: { ...policy.menu, timeout: 9 } });
    // A value written around the contract is ignored by readers, and logged.
    await kv.kv.put('policy', JSON.stringify({ menu: 'broken' }));
    await kv.delete('policy');
    await waitFor(() => seen.length === 3, { what: 'the update and the delete' });
    assert.deepEqual(seen, [5, 9, null]);
    assert.ok(logger.warnings.length >= 1);
    assert.equal(await kv.get('policy'), null);
    stop();
  });

  it('watches several keys (filtered here: nats-server 2.9 has no filter_subjects)', async () => {
    const kv = await openBucket(nc, buckets.desired, recordingLogger());
    const policy: DesiredState['policy'] = {
      menu: { timeout: 1, defaultOs: null, entries: [] },
      unknownNodes: 'menu',
      linger: { untilSwarmDone: false, minSeconds: 0, maxSeconds: 0, maxRatio: 0 },
      client: { peerExchange: true, localPeerDiscovery: false, logLevel: 'notice', listenPort: 6881, webSeedAfterSeconds: 15 },
    };
    const seen: string[] = [];
    const stop = await kv.watch((change) => void seen.push(change.key), ['policy', 'nodes']);
    await kv.put('nodes', { nodes: [] });
    await kv.put('policy', policy);
    await kv.put('oses', { projectDir: '/p', oses: [] });
    await kv.put('nodes', { nodes: [] });
    await waitFor(() => seen.filter((key) => key === 'nodes').length >= 2, { what: 'both nodes updates' });
    assert.ok(seen.includes('policy'));
    assert.ok(!seen.includes('oses'), 'keys not asked for are filtered out');
    stop();
  });

  it('refuses to put a value that breaks its schema, or an unknown key', async () => {
    const kv = await openBucket(nc, buckets.desired, recordingLogger());
    await assert.rejects(kv.put('policy', { menu: 'broken' } as never), ContractViolation);
    await assert.rejects(kv.put('nonsense' as 'policy', {} as never), /no key "nonsense"/);
  });

  it('keeps working across a nats-server restart', async () => {
    const resilient = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    const logger = recordingLogger();
    const received: string[] = [];
    subscribe(resilient, events.nodeDhcp, (payload) => void received.push(payload.mac), { logger });
    await resilient.flush();
    await server.stop();
    await server.start();
    await waitFor(
      async () => {
        publish(nc, events.nodeDhcp, observation('52:54:00:00:00:07'));
        await nc.flush().catch(() => undefined);
        return received.length > 0;
      },
      { timeoutMs: 15_000, intervalMs: 300, what: 'an event after the restart' },
    );
    assert.equal(received[0], '52:54:00:00:00:07');
    await resilient.close();
  });

  it('keeps a KV watch alive across a nats-server restart', async () => {
    const watcherConnection = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    const writer = await openBucket(nc, buckets.torrents, recordingLogger());
    const watcher = await openBucket(watcherConnection, buckets.torrents, recordingLogger());
    const seen: string[] = [];
    const stop = await watcher.watch((change) => {
      if (change.value) seen.push(change.value.infoHash);
    });
    const ready = (infoHash: string) => ({
      os: 'debian',
      infoHash,
      magnet: `magnet:?xt=urn:btih:${infoHash}`,
      name: 'debian',
      length: 1,
      pieceLength: 262144,
      pieceCount: 1,
      files: [{ path: 'vmlinuz', length: 1 }],
      torrentUrl: 'http://10.0.0.1:8081/t.torrent',
      webSeeds: [],
      announce: [],
      seeder: { id: 's1', host: 'h' },
      at: Date.now(),
    });
    await writer.put('debian', ready('a'.repeat(40)));
    await waitFor(() => seen.includes('a'.repeat(40)), { what: 'the first value' });
    await server.stop();
    await server.start();
    await waitFor(
      async () => {
        await writer.put('debian', ready('b'.repeat(40))).catch(() => undefined);
        return seen.includes('b'.repeat(40));
      },
      { timeoutMs: 20_000, intervalMs: 500, what: 'a KV update seen after the restart' },
    );
    stop();
    await watcherConnection.close();
  });
});
