import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import type { NodeRecord } from '@boottorrent/contracts';
import { restartDelay, SupervisedChild, type ChildEvent } from '../src/supervisor/child.js';
import { jsonLine, prettyLine } from '../src/supervisor/log-format.js';
import { formatSummary } from '../src/supervisor/master.js';
import { checkBinaries, checkInterface, checkPorts } from '../src/supervisor/preflight.js';
import { humanBytes, renderStatus } from '../src/supervisor/status-view.js';

describe('log lines', () => {
  const line = JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 1, 12, 0, 1), service: 'seeder', pid: 1, host: 'h', msg: 'torrent error', os: 'debian', file: 'oss/debian/vmlinuz' });

  it('pretty-prints pino JSON with the service prefix, level and fields', () => {
    const text = prettyLine('seeder', line, 2, { color: false, width: 8 });
    assert.match(text, /^\d\d:\d\d:\d\d seeder   WARN  torrent error os=debian file=oss\/debian\/vmlinuz$/);
  });

  it('passes non-JSON lines (dnsmasq, nats-server) through under the prefix', () => {
    assert.match(prettyLine('dhcp', 'dnsmasq: started', 0, { color: false, width: 6 }), /^\s+dhcp\s+dnsmasq: started$/);
  });

  it('keeps JSON lines as they are for --json and wraps the others', () => {
    assert.equal(jsonLine('seeder', line), line);
    const wrapped = JSON.parse(jsonLine('nats', '[1] Server is ready')) as { service: string; msg: string };
    assert.deepEqual([wrapped.service, wrapped.msg], ['nats', '[1] Server is ready']);
  });
});

describe('restarts', () => {
  it('backs off from 1 s, doubling up to 30 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(restartDelay), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('restarts a child that dies, and not one that is stopped', async () => {
    const events: ChildEvent[] = [];
    const child = new SupervisedChild({ name: 'flaky', command: 'sh', args: ['-c', 'echo up; exit 3'], env: process.env }, () => undefined, (event) => events.push(event));
    child.start();
    const deadline = Date.now() + 5000;
    while (events.filter((event) => event.kind === 'started').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await child.stop();
    const exits = events.filter((event) => event.kind === 'exited');
    assert.ok(exits.length >= 1);
    assert.equal(exits[0]!.kind === 'exited' && exits[0]!.code, 3);
    assert.equal(exits[0]!.kind === 'exited' && exits[0]!.restartInMs, 1000);
    assert.equal(child.restarts, 1);
  });
});

describe('preflight', () => {
  it('names the missing binary and its Debian package', () => {
    const problems = checkBinaries(['nats-server', 'dnsmasq'], '/nonexistent');
    assert.deepEqual(
      problems.map((p) => p.fix),
      ['install it: apt-get install nats-server (or run scripts/bootstrap.sh)', 'install it: apt-get install dnsmasq-base (or run scripts/bootstrap.sh)'],
    );
  });

  it('names a missing interface and lists the present ones', () => {
    const [problem] = checkInterface('nosuch0');
    assert.match(problem!.message, /nosuch0/);
    assert.match(problem!.fix, /\blo\b/);
  });

  it('says which process holds a port', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    try {
      const [problem] = await checkPorts([{ protocol: 'tcp', host: '127.0.0.1', port, purpose: 'boot API', setting: 'boot.api_port in Boottorrent.yaml' }]);
      assert.match(problem!.message, new RegExp(`TCP port ${port} on 127.0.0.1 \\(boot API\\) is in use by node \\(pid ${process.pid}\\)`));
      assert.match(problem!.fix, /boot\.api_port in Boottorrent\.yaml/);
    } finally {
      server.close();
    }
    assert.deepEqual(await checkPorts([{ protocol: 'tcp', host: '127.0.0.1', port, purpose: 'boot API' }]), []);
  });
});

describe('status view', () => {
  const node: NodeRecord = {
    mac: '52:54:00:00:00:01',
    state: 'downloading',
    os: 'demo',
    ip: '10.77.0.100',
    clientArch: 0,
    infoHash: 'a'.repeat(40),
    progress: { bytesDone: 512, bytesTotal: 1024, downloadRate: 3 * 1024 * 1024, uploadRate: 1024, uploaded: 0, peers: 3, seeders: 1 },
    error: null,
    message: null,
    bootCount: 1,
    history: [{ state: 'downloading', at: 0 }],
    firstSeenAt: 0,
    updatedAt: 1000,
  };

  it('renders nodes, swarms and services as aligned tables', () => {
    const text = renderStatus({
      apiUrl: 'http://10.77.0.1:8080',
      services: [{ name: 'config', pid: 42, restarts: 1, ready: true, detail: '' }],
      nodes: [node, { ...node, mac: '52:54:00:00:00:02', state: 'failed', error: { code: 'BT_P1_CHECKSUM', message: 'bad piece' }, progress: null }],
      swarms: [{ infoHash: 'a'.repeat(40), seeders: 2, leechers: 1, completed: 5, peers: [] }],
      osByInfoHash: { ['a'.repeat(40)]: 'demo' },
      at: 3000,
    });
    assert.match(text, /config\s+42\s+1\s+ready/);
    assert.match(text, /52:54:00:00:00:01\s+downloading\s+demo\s+50%\s+3\s+3\.0 MiB\s+1\.0 KiB\s+10\.77\.0\.100\s+2s ago/);
    assert.match(text, /52:54:00:00:00:02\s+failed \(BT_P1_CHECKSUM\)/);
    assert.match(text, /aaaaaaaaaaaa\s+demo\s+2\s+1\s+5/);
  });

  it('says so when nothing has been seen', () => {
    const text = renderStatus({ apiUrl: 'http://x', services: [], nodes: [], swarms: [], osByInfoHash: {}, at: 0 });
    assert.match(text, /NODES\s+none seen yet/);
    assert.match(text, /SWARMS none reported yet/);
  });

  it('prints byte sizes for humans', () => {
    assert.deepEqual([0, 1023, 1536, 10 * 1024 * 1024].map(humanBytes), ['0 B', '1023 B', '1.5 KiB', '10 MiB']);
  });
});

describe('start summary', () => {
  it('names the boot API and, at its root, the dashboard', () => {
    const summary = { apiUrl: 'http://10.77.0.1:8080', trackerUrls: [], interface: 'br0', dhcpMode: 'off', natsUrl: 'nats://127.0.0.1:4222', stateDir: '/p/.boottorrent', oses: [] };
    assert.match(formatSummary(summary), /^BootTorrent master is up\n\s+boot API\s+http:\/\/10\.77\.0\.1:8080\n\s+dashboard\s+http:\/\/10\.77\.0\.1:8080\/\n/);
    assert.match(formatSummary({ ...summary, apiUrl: '(unknown)' }), /dashboard\s+\(unknown\)\n/);
  });
});
