import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProcStat } from '../src/swarm/cpu.js';
import { EnvDocError, lingerOf, parseEnvDoc, sameLinger } from '../src/swarm/env-doc.js';
import { planRuns } from '../src/swarm/index.js';
import { eventsDuring, parseSeedEvent } from '../src/swarm/master-events.js';
import { benchProjectConfig, LINGER_POLICY, NO_LINGER_POLICY } from '../src/swarm/master.js';
import { parseNodeLine } from '../src/swarm/node-events.js';
import { OptionError, parseOptions, QUICK_NODE_COUNTS } from '../src/swarm/options.js';
import { nodeAddress, nodeMac, tbfArgs } from '../src/swarm/topology.js';

describe('parseNodeLine', () => {
  it('reads the agent\'s completion, kexec and failure lines with their uptime stamps', () => {
    assert.deepEqual(parseNodeLine('[bt 1732.35] download complete: 8388608 bytes'), { kind: 'done', uptime: 1732.35 });
    assert.deepEqual(parseNodeLine('[bt   12.30] kexec -e'), { kind: 'kexec', uptime: 12.3 });
    assert.deepEqual(parseNodeLine('[bt 5.00] FAILED BT_P1_DOWNLOAD_STALLED: download stalled'), { kind: 'failed', uptime: 5, reason: 'BT_P1_DOWNLOAD_STALLED: download stalled' });
    assert.equal(parseNodeLine('[bt 5.00] downloading: 1/2 bytes'), null);
    assert.equal(parseNodeLine('11/21 20:57:30 [NOTICE] Download complete: /x'), null);
  });

  it('reads the central wrapper\'s line', () => {
    assert.deepEqual(parseNodeLine('bt-bench-done 100.25 0'), { kind: 'done', uptime: 100.25 });
    assert.deepEqual(parseNodeLine('bt-bench-done 100.25 22'), { kind: 'failed', uptime: 100.25, reason: 'HTTP client exited with 22' });
  });
});

describe('parseEnvDoc', () => {
  it('reads NAME=\'value\' lines with escaped quotes and the linger policy', () => {
    const doc = parseEnvDoc("BT_OS='bench'\nBT_CMDLINE='a '\\''b'\\'''\nBT_LINGER_UNTIL_DONE='0'\nBT_LINGER_MIN='0'\nBT_LINGER_MAX='0'\nBT_LINGER_RATIO='0'\n");
    assert.equal(doc.BT_OS, 'bench');
    assert.equal(doc.BT_CMDLINE, "a 'b'");
    assert.ok(sameLinger(lingerOf(doc), NO_LINGER_POLICY));
    assert.ok(!sameLinger(lingerOf(doc), LINGER_POLICY));
  });

  it('refuses anything else', () => {
    assert.throws(() => parseEnvDoc('<html>'), EnvDocError);
  });
});

describe('parseProcStat', () => {
  it('counts irq, softirq and steal as busy, idle and iowait as not', () => {
    const t = parseProcStat('cpu  100 0 50 800 10 5 5 30 0 0\ncpu0 1 2 3\n');
    assert.deepEqual(t, { busy: 190, total: 1000 });
  });
});

describe('options', () => {
  const ctx = { repoRoot: '/nonexistent', today: '2025-01-02' };
  it('--quick: small image, N in {1, 4, 8}, one repeat, its own file name', () => {
    const s = parseOptions(['--quick', '--aria2c', '/bin/true'], ctx);
    assert.ok(s !== 'help');
    assert.deepEqual(s.nodeCounts, QUICK_NODE_COUNTS);
    assert.equal(s.repeats, 1);
    assert.equal(s.stem, 'swarm-2025-01-02-quick');
  });

  it('parses lists and numbers, and refuses the rest', () => {
    const s = parseOptions(['--nodes', '4,1,4', '--rate', '50', '--image-mib', '128', '--scenarios', 'swarm-linger,central', '--aria2c', '/x'], ctx);
    assert.ok(s !== 'help');
    assert.deepEqual(s.nodeCounts, [1, 4]);
    assert.deepEqual(s.scenarios, ['central', 'swarm-linger']);
    assert.equal(s.rateMbit, 50);
    assert.throws(() => parseOptions(['--nodes', '0', '--aria2c', '/x'], ctx), OptionError);
    assert.throws(() => parseOptions(['--scenarios', 'p2p', '--aria2c', '/x'], ctx), OptionError);
    assert.throws(() => parseOptions(['--frobnicate'], ctx), OptionError);
    assert.throws(() => parseOptions([], ctx), /no static aria2c/);
    assert.equal(parseOptions(['--help'], ctx), 'help');
  });

  it('--set overrides Boottorrent.yaml keys, typed, and refuses linger and unknown sections', () => {
    const s = parseOptions(['--set', 'seeder.web_seed=false', '--set', 'tracker.announce_interval=2', '--aria2c', '/x'], ctx);
    assert.ok(s !== 'help');
    assert.deepEqual(s.projectSettings, { 'seeder.web_seed': false, 'tracker.announce_interval': 2 });
    assert.throws(() => parseOptions(['--set', 'linger.max_seconds=0', '--aria2c', '/x'], ctx), OptionError);
    assert.throws(() => parseOptions(['--set', 'seeder.web_seed', '--aria2c', '/x'], ctx), OptionError);
  });

  it('plans the repeats of one scenario together, central only as often as asked', () => {
    const s = parseOptions(['--nodes', '2', '--repeat', '2', '--aria2c', '/x'], ctx);
    assert.ok(s !== 'help');
    assert.deepEqual(
      planRuns(s).map((r) => `${r.scenario}#${r.repeat}`),
      ['central#1', 'swarm-no-linger#1', 'swarm-no-linger#2', 'swarm-linger#1', 'swarm-linger#2'],
    );
  });
});

describe('benchProjectConfig', () => {
  const master = { ns: 'm', address: '10.88.0.1', dev: 'eth0' as const, switchDev: 'bm', mac: '02:b7:00:00:ff:01' };
  it('boots the bench OS unattended, DHCP off, with the scenario\'s linger policy and --set overrides', () => {
    const config = benchProjectConfig(master, NO_LINGER_POLICY, { 'seeder.web_seed': false });
    assert.equal(config.master.address, '10.88.0.1');
    assert.equal(config.dhcp.mode, 'off');
    assert.equal(config.boot.default_os, 'bench');
    assert.deepEqual(config.linger, { until_swarm_done: false, min_seconds: 0, max_seconds: 0, max_ratio: 0 });
    assert.equal(config.seeder.web_seed, false);
    assert.equal(benchProjectConfig(master, LINGER_POLICY).linger.until_swarm_done, true);
    assert.throws(() => benchProjectConfig(master, LINGER_POLICY, { 'seeder.nope': 1 }), /BT_BENCH_BAD_SETTING/);
  });
});

describe('parseSeedEvent', () => {
  it('picks the seeder dropping the torrent out of the master\'s log', () => {
    const retired = '{"level":30,"time":1000,"service":"seeder","msg":"torrent retired","reason":"replaced","infoHash":"ab"}';
    assert.deepEqual(parseSeedEvent(retired), { at: 1000, what: 'torrent retired (replaced)' });
    assert.equal(parseSeedEvent('{"level":30,"time":1000,"service":"seeder","msg":"seeding"}'), null);
    assert.equal(parseSeedEvent('{"level":30,"time":1000,"service":"config","msg":"torrent retired"}'), null);
    assert.equal(parseSeedEvent('not json'), null);
    assert.deepEqual(eventsDuring([{ at: 1000, what: 'x' }, { at: 5000, what: 'y' }], 500, 2000), ['+0.5 s x']);
  });
});

describe('topology names', () => {
  it('gives stable addresses and MACs, and tbf arguments like packages/testing', () => {
    assert.equal(nodeAddress(1), '10.88.0.11');
    assert.equal(nodeMac(1), '02:b7:00:00:00:01');
    assert.equal(nodeMac(300), '02:b7:00:00:01:2c');
    assert.deepEqual(tbfArgs('eth0', 20), ['qdisc', 'replace', 'dev', 'eth0', 'root', 'tbf', 'rate', '20mbit', 'burst', '32768', 'latency', '50ms']);
  });
});
