import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  buckets,
  desiredKeys,
  events,
  macToKvKey,
  openBucket,
  publish,
  subscribe,
  type DesiredKey,
  type NodeRecord,
  type ProjectPublished,
  type ProjectRejected,
  type TypedKv,
} from '@boottorrent/contracts';
import { connectNats, type NatsConnection } from '@boottorrent/runtime';
import { freePort, startNatsServer, waitFor, type NatsServerHandle } from '@boottorrent/testing';
import { createConfigService, type ConfigService } from '../src/app.js';
import { captureLogger, createPhase1Artifacts, createTestProject, desiredOf, projectYaml, torrentFor, type Phase1Fixture, type TestProject, type TestProjectOptions } from './helpers/fixtures.js';

/*
 * The config service against a real nats-server: desired state in KV, hot reload, rejected
 * changes, what other services report, the node registry's events and persistence, and
 * surviving a NATS restart.
 */

const MAC = '52:54:00:00:00:21';
const WAIT = { timeoutMs: 8000 };

let nats: NatsServerHandle;
let observer: NatsConnection;
let serviceNc: NatsConnection;
let project: TestProject;
let phase1: Phase1Fixture;
let service: ConfigService;
let captured: ReturnType<typeof captureLogger>;
let apiPort: number;
let desiredKv: TypedKv<typeof desiredKeys>;
const published: ProjectPublished[] = [];
const rejected: ProjectRejected[] = [];
const nodeStates: NodeRecord[] = [];
let progressEvents = 0;
let options: TestProjectOptions;

async function startService(): Promise<ConfigService> {
  const started = await createConfigService({
    nc: serviceNc,
    logger: captured.logger,
    config: { BT_PROJECT_DIR: project.dir, BT_STATE_DIR: join(project.dir, '.boottorrent'), BT_BIND_HOST: '127.0.0.1', BT_PHASE1_KERNEL_ARGS: '' },
    debounceMs: 150,
  });
  await started.listen();
  return started;
}

function api(path: string, init?: RequestInit): Promise<Response> {
  return fetch(`http://127.0.0.1:${apiPort}${path}`, init);
}

async function kvRevisions(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(desiredKeys)) out[key] = (await desiredKv.kv.get(key))?.revision ?? 0;
  return out;
}

before(async () => {
  nats = await startNatsServer();
  captured = captureLogger('info');
  const quiet = captureLogger('info').logger;
  observer = await connectNats({ servers: nats.url, name: 'test-observer', logger: quiet, reconnectWaitMs: 200 });
  serviceNc = await connectNats({ servers: nats.url, name: 'test-config', logger: captured.logger, reconnectWaitMs: 200 });
  subscribe(observer, events.projectPublished, (event) => void published.push(event), { logger: quiet });
  subscribe(observer, events.projectRejected, (event) => void rejected.push(event), { logger: quiet });
  subscribe(observer, events.nodeState, (record) => void nodeStates.push(record), { logger: quiet });
  subscribe(observer, events.nodeProgress, () => void progressEvents++, { logger: quiet });
  apiPort = await freePort();
  options = { apiPort, timeout: 30, defaultOs: 'debian' };
  project = await createTestProject(options);
  phase1 = await createPhase1Artifacts();
  desiredKv = await openBucket(observer, buckets.desired, quiet);
  service = await startService();
});

after(async () => {
  await service?.close();
  await observer?.close();
  await serviceNc?.close();
  await nats?.dispose();
  await project?.remove();
  await phase1?.remove();
});

describe('config service with a real nats-server', () => {
  test('KV round trip: every desired key is in bt_desired, equal to the project', async () => {
    const expected = await desiredOf(project.dir);
    for (const key of Object.keys(desiredKeys) as DesiredKey[]) {
      assert.deepEqual(await desiredKv.get(key), desiredKeys[key].parse(expected[key]), key);
    }
    await waitFor(() => published.length >= 1, WAIT);
    assert.deepEqual(published[0]!.changedKeys.sort(), Object.keys(desiredKeys).sort());
    assert.equal((await api('/readyz')).status, 200);
    assert.match(await (await api('/boot.ipxe?mac=52:54:00:00:00:99')).text(), /^menu BootTorrent/m);
  });

  test('a restart with an unchanged project rewrites nothing', async () => {
    const before = await kvRevisions();
    await service.close();
    service = await startService();
    await waitFor(() => published.length >= 2, WAIT);
    assert.deepEqual(published.at(-1)!.changedKeys, []);
    assert.deepEqual(await kvRevisions(), before);
  });

  test('hot reload: an edit to Boottorrent.yaml reaches KV (only the changed key) and the boot API', async () => {
    const before = await kvRevisions();
    const count = published.length;
    options = { ...options, timeout: 5 };
    await project.write(options);
    const policy = await waitFor(async () => {
      const value = await desiredKv.get('policy');
      return value?.menu.timeout === 5 ? value : null;
    }, WAIT);
    assert.equal(policy.menu.timeout, 5);
    await waitFor(() => published.length > count, WAIT);
    assert.deepEqual(published.at(-1)!.changedKeys, ['policy']);
    const after = await kvRevisions();
    for (const key of Object.keys(desiredKeys)) {
      if (key === 'policy') assert.ok(after[key]! > before[key]!);
      else assert.equal(after[key], before[key], `${key} must not be rewritten`);
    }
    assert.equal(((await (await api('/api/menu')).json()) as { timeout: number }).timeout, 5);
  });

  test('an invalid change is rejected with file:line problems; KV and the boot API keep the last good state', async () => {
    const before = await kvRevisions();
    const text = projectYaml(options).replace('  timeout: 5', '  timeout: soon');
    const badLine = text.split('\n').findIndex((line) => line.includes('timeout: soon')) + 1;
    await writeFile(join(project.dir, 'Boottorrent.yaml'), text);
    const event = await waitFor(() => rejected.at(-1), WAIT);
    const problem = event.problems.find((candidate) => candidate.severity === 'error');
    assert.ok(problem, JSON.stringify(event.problems));
    assert.equal(problem.file, 'Boottorrent.yaml');
    assert.equal(problem.line, badLine);
    assert.ok(captured.lines.some((line) => typeof line.msg === 'string' && line.msg.includes(`Boottorrent.yaml:${badLine}:`)), 'the problem is logged as file:line:col');
    // Give a wrongly-published state time to show up before asserting it did not.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(await kvRevisions(), before);
    assert.equal(((await (await api('/api/menu')).json()) as { timeout: number }).timeout, 5);

    await project.write(options);
    await waitFor(async () => (await desiredKv.get('policy'))?.menu.timeout === 5 && service.publisher.current !== null, WAIT);
  });

  test('torrents and phase-1 artifacts published by other services are served', async () => {
    assert.equal((await api('/api/manifest/debian')).status, 503);
    const desired = await desiredOf(project.dir);
    const torrent = torrentFor(desired.oses.oses.find((os) => os.name === 'debian')!, desired);
    const torrents = await openBucket(observer, buckets.torrents, captured.logger);
    await torrents.put('debian', torrent);
    const artifacts = await openBucket(observer, buckets.artifacts, captured.logger);
    await artifacts.put('phase1', phase1.artifacts);
    await waitFor(async () => (await api('/api/manifest/debian')).status === 200, WAIT);
    assert.equal(((await (await api('/api/manifest/debian')).json()) as { infoHash: string }).infoHash, torrent.infoHash);
    await waitFor(async () => (await api('/phase1/kernel', { method: 'HEAD' })).status === 200, WAIT);
    const kernel = Buffer.from(await (await api('/phase1/kernel')).arrayBuffer());
    assert.ok(kernel.equals(phase1.kernel));
  });

  test('node registry: dhcp events and progress reports become node events and KV records', async () => {
    publish(observer, events.nodeDhcp, { mac: MAC, kind: 'discover', clientArch: 0, mode: 'full', at: Date.now() });
    await waitFor(() => service.registry.get(MAC)?.state === 'dhcp', WAIT);
    const res = await api(`/api/nodes/${MAC}/progress`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ state: 'downloading', bytesDone: 5, bytesTotal: 10 }) });
    assert.equal(res.status, 204);
    await waitFor(() => nodeStates.some((record) => record.mac === MAC && record.state === 'downloading'), WAIT);
    assert.deepEqual(nodeStates.filter((record) => record.mac === MAC).map((record) => record.state), ['dhcp', 'downloading']);
    await waitFor(() => progressEvents === 1, WAIT);
    const nodesKv = await openBucket(observer, buckets.nodes, captured.logger);
    const stored = await waitFor(async () => {
      const record = await nodesKv.get(macToKvKey(MAC));
      return record?.state === 'downloading' ? record : null;
    }, WAIT);
    assert.equal(stored.progress?.bytesDone, 5);

    publish(observer, events.swarmStats, { tracker: 'test', at: Date.now(), swarms: [{ infoHash: 'ab'.repeat(20), seeders: 1, leechers: 4, completed: 0 }] });
    await waitFor(async () => /BT_SWARM_KNOWN='1'/.test(await (await api(`/api/swarms/${'ab'.repeat(20)}?format=env`)).text()), WAIT);
  });

  test('a restarted service keeps its nodes, and serves the last published state while the project is invalid', async () => {
    await service.close();
    await writeFile(join(project.dir, 'Boottorrent.yaml'), 'version: 1\nmaster: {}\n');
    service = await startService();
    assert.equal(service.registry.get(MAC)?.state, 'downloading');
    assert.equal((await api(`/api/nodes/${MAC}`)).status, 200);
    assert.equal((await api('/readyz')).status, 200);
    assert.match(await (await api(`/boot.ipxe?mac=${MAC}`)).text(), /^#!ipxe/);
    await project.write(options);
    await waitFor(() => service.publisher.published, WAIT);
  });

  test('survives a NATS restart: keeps serving, persists what happened meanwhile, and follows KV again', async () => {
    const nodesKv = await openBucket(observer, buckets.nodes, captured.logger);
    const torrentsKv = await openBucket(observer, buckets.torrents, captured.logger);
    await nats.stop();
    // While NATS is down the boot API keeps answering from memory.
    const during = await api(`/api/nodes/${MAC}/progress`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ state: 'seeding', bytesDone: 10, bytesTotal: 10 }) });
    assert.equal(during.status, 204);
    assert.equal((await api('/api/manifest/debian')).status, 200);
    await nats.start();
    const slow = { timeoutMs: 20_000, intervalMs: 250 };

    await waitFor(async () => (await nodesKv.get(macToKvKey(MAC)))?.state === 'seeding', slow);

    const desired = await desiredOf(project.dir);
    const torrent = torrentFor(desired.oses.oses.find((os) => os.name === 'debian')!, desired, 'after-restart');
    await waitFor(() => torrentsKv.put('debian', torrent), slow);
    await waitFor(async () => ((await (await api('/api/manifest/debian')).json()) as { infoHash?: string }).infoHash === torrent.infoHash, slow);

    options = { ...options, timeout: 7 };
    await project.write(options);
    await waitFor(async () => (await desiredKv.get('policy'))?.menu.timeout === 7, slow);

    publish(observer, events.nodeDhcp, { mac: '52:54:00:00:00:22', kind: 'discover', clientArch: 7, mode: 'full', at: Date.now() });
    await waitFor(() => service.registry.get('52:54:00:00:00:22')?.state === 'dhcp', WAIT);
    // A UEFI machine (client arch 7) that asks without ?platform= still gets the EFI script.
    assert.match(await (await api('/boot.ipxe?mac=52:54:00:00:00:22')).text(), / initrd=initrd /);
  });
});
