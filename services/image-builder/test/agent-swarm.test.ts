import assert from 'node:assert/strict';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@boottorrent/testing';
import { sha256File } from '../src/artifacts.js';
import { AgentLab, API_URL, type AgentRun } from './helpers/agent-lab.js';
import { ensureDemoOs, ensurePhase1, unpackInitrd } from './helpers/phase1.js';

/*
 * The phase-1 agent on the host, in network namespaces, against the real master services
 * (config's boot API, tracker, seeder over NATS) serving a demo OS: it downloads with the
 * initrd's aria2c, reports progress, lingers while the tracker still lists a leecher, and
 * "kexecs" through a recorder with the exact arguments. Every failure path ends in a report
 * with its code.
 */

// Spaces and both kinds of quotes: kexec must get them exactly, with nothing added.
const OS_CMDLINE = `console=ttyS0 bt.demo="two words" note='single quoted' panic=10`;

const macs = {
  first: '52:54:00:83:00:0a',
  late: '52:54:00:83:00:0b',
  unreachable: '52:54:00:83:00:0c',
  unknown: '52:54:00:83:00:0d',
  stalled: '52:54:00:83:00:0e',
  corrupt: '52:54:00:83:00:0f',
  refused: '52:54:00:83:00:10',
  menu: '52:54:00:83:00:11',
  webSeed: '52:54:00:83:00:12',
};

const cmdline = (mac: string, os: string, api = API_URL) => `BOOT_IMAGE=/phase1/kernel console=ttyS0 bt.api=${api} bt.os=${os} bt.node=${mac}`;

/** phase1.web_seed_after of the lab's project: short, so the fallback test takes seconds. */
const WEB_SEED_AFTER_S = 4;

/** Fast failure settings, so each failure path takes seconds. */
const quick = { BT_BACKOFF_MAX: '1', BT_API_ATTEMPTS: '2', BT_HTTP_TIMEOUT: '3' };

async function exitOf(agent: AgentRun, timeoutMs: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`agent ${agent.mac} still running after ${timeoutMs} ms:\n${agent.proc.lines.slice(-30).join('\n')}`)), timeoutMs);
  });
  try {
    return await Promise.race([agent.proc.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitForReport(agent: AgentRun, state: string, timeoutMs = 60_000) {
  return waitFor(async () => (await agent.reports()).find((report) => report.body.state === state), {
    timeoutMs,
    intervalMs: 200,
    what: `agent ${agent.mac} to report ${state}; output:\n${agent.proc.lines.slice(-20).join('\n')}`,
  });
}

describe('phase-1 agent against the real master services', { timeout: 600_000 }, () => {
  let lab: AgentLab;
  let demoDir: string;
  let p1root: string;

  before(async () => {
    const started = Date.now();
    const phase1 = await ensurePhase1();
    p1root = await unpackInitrd(join(phase1.dir, 'initrd'));
    demoDir = await ensureDemoOs({ name: 'demo', payloadMib: 16, cmdline: OS_CMDLINE });
    const built = Date.now();
    lab = await AgentLab.start({
      p1root,
      oses: { demo: demoDir, spare: demoDir },
      linger: { until_swarm_done: true, min_seconds: 1, max_seconds: 90, max_ratio: 0 },
      webSeedAfter: WEB_SEED_AFTER_S,
    });
    process.stderr.write(`# images ready in ${built - started} ms, master services in ${Date.now() - built} ms\n`);
  });

  after(async () => {
    await lab?.dispose();
    if (p1root) await rm(p1root, { recursive: true, force: true });
  });

  it('downloads, reports progress, lingers while a late node still downloads, then kexecs with the exact arguments', async () => {
    const manifest = await lab.manifestEnv('demo');
    const first = await lab.runAgent(await lab.node(macs.first), { mac: macs.first, cmdline: cmdline(macs.first, 'demo') });
    await waitForReport(first, 'seeding');
    // The late node's link is slow: the first node must keep seeding until it is done.
    const late = await lab.runAgent(await lab.node(macs.late, { downMbit: 40 }), { mac: macs.late, cmdline: cmdline(macs.late, 'demo') });
    assert.equal(await exitOf(first, 120_000), 'SIGKILL', 'the recorder ends the agent at kexec -e, as a real kexec would');
    assert.equal(await exitOf(late, 120_000), 'SIGKILL');

    for (const agent of [first, late]) {
      const dir = join(agent.dataDir, manifest.BT_INFOHASH ?? '', 'demo');
      assert.deepEqual(await agent.kexecCalls(), [
        ['-l', join(dir, 'vmlinuz'), `--initrd=${join(dir, 'initrd')}`, `--command-line=${OS_CMDLINE} bt.api=${API_URL} bt.node=${agent.mac} bt.os=demo`],
        ['-e'],
      ]);
      for (const file of ['vmlinuz', 'initrd', 'payload.bin']) {
        assert.equal(await sha256File(join(dir, file)), await sha256File(join(demoDir, file)), `${file} arrived intact`);
      }
      const reports = await agent.reports();
      assert.ok(reports.every((report) => report.ok), 'the boot API accepted every report');
      assert.deepEqual([...new Set(reports.map((report) => report.body.state))], ['phase1', 'downloading', 'seeding', 'kexec']);
      const downloading = reports.filter((report) => report.body.state === 'downloading');
      const last = downloading.at(-1)?.body;
      assert.equal(last?.bytesDone, Number(manifest.BT_LENGTH));
      assert.equal(last?.bytesTotal, Number(manifest.BT_LENGTH));
      assert.equal(last?.infoHash, manifest.BT_INFOHASH);
      for (const key of ['downloadRate', 'uploadRate', 'uploaded', 'peers', 'seeders']) assert.equal(typeof last?.[key], 'number', key);
      // Every second or two, from the first report to kexec. The bound leaves room for a busy
      // 2-core machine; each node's run lasts longer than it, so reporting only on state
      // changes would still fail.
      const gaps = reports.slice(1).map((report, i) => report.at - (reports[i]?.at ?? 0));
      const span = (reports.at(-1)?.at ?? 0) - (reports[0]?.at ?? 0);
      assert.ok(span > 5, `reports over ${span.toFixed(1)} s`);
      assert.ok(Math.max(...gaps) <= 4, `reports at most 4 s apart (gaps: ${gaps.map((gap) => gap.toFixed(2)).join(' ')})`);
      const record = await lab.nodeRecord(agent.mac);
      assert.equal(record?.state, 'kexec');
      assert.equal(record?.os, 'demo');
      assert.deepEqual(
        record?.history.map((step) => step.state),
        ['phase1', 'downloading', 'seeding', 'kexec'],
      );
    }

    // The slow node downloaded for seconds; the first one seeded until it had finished.
    const lateReports = await late.reports();
    const lateLast = lateReports.filter((report) => report.body.state === 'downloading').at(-1);
    const firstReports = await first.reports();
    const firstKexec = firstReports.find((report) => report.body.state === 'kexec');
    const firstSeeding = firstReports.find((report) => report.body.state === 'seeding');
    assert.ok(lateLast && firstKexec && firstSeeding);
    assert.ok(firstKexec.at >= lateLast.at, `the first node kexec'd (${firstKexec.at}) after the late node finished (${lateLast.at})`);
    assert.ok(firstKexec.at - firstSeeding.at >= 3, `the first node seeded for ${(firstKexec.at - firstSeeding.at).toFixed(1)} s`);
    assert.match(String(firstKexec.body.message), /the tracker reports no leechers/);
    assert.ok(lateReports.some((report) => Number(report.body.peers) >= 2), 'the late node had the seeder and the first node as peers');
  });

  it('keeps the web seed aside while the swarm is silent for less than web_seed_after, then completes from it', async () => {
    const mac = macs.webSeed;
    const manifest = await lab.manifestEnv('spare');
    // A frozen tracker: aria2c learns of no peer, so only the web seed can deliver.
    lab.signalService('tracker', 'SIGSTOP');
    let agent: AgentRun | undefined;
    try {
      agent = await lab.runAgent(await lab.node(mac), { mac, cmdline: cmdline(mac, 'spare') });
      await agent.proc.waitForLine(/web seed: \d+ URI\(s\) set aside/, 60_000);
      await agent.proc.waitForLine(/no new piece from the swarm for 4 s: downloading from the web seed too/, 60_000);
      const fallbackReport = (report: { body: Record<string, unknown> }) => String(report.body.message ?? '').includes('web seed in use');
      const reports = await waitFor(async () => ((await agent!.reports()).some(fallbackReport) ? agent!.reports() : undefined), {
        timeoutMs: 10_000,
        what: 'the fallback report',
      });
      const fallbackAt = reports.findIndex(fallbackReport);
      const beforeFallback = reports.slice(0, fallbackAt).filter((report) => report.body.state === 'downloading');
      assert.ok(beforeFallback.length >= 2, 'reports while the web seed was aside');
      assert.ok(
        beforeFallback.every((report) => Number(report.body.bytesDone ?? 0) === 0),
        `nothing arrived before the fallback (bytes: ${beforeFallback.map((report) => String(report.body.bytesDone)).join(' ')})`,
      );
      await waitForReport(agent, 'seeding', 60_000);
    } finally {
      lab.signalService('tracker', 'SIGCONT');
    }
    assert.equal(await exitOf(agent, 120_000), 'SIGKILL');
    const dir = join(agent.dataDir, manifest.BT_INFOHASH ?? '', 'spare');
    for (const file of ['vmlinuz', 'initrd', 'payload.bin']) {
      assert.equal(await sha256File(join(dir, file)), await sha256File(join(demoDir, file)), `${file} arrived intact from the web seed`);
    }
    const record = await lab.nodeRecord(mac);
    assert.ok(record?.history.some((step) => step.state === 'downloading'));
    assert.equal(record?.state, 'kexec');
  });

  it('with bt.menu=1 and no bt.os, shows the boot menu and boots its default when nobody answers', async () => {
    const mac = macs.menu;
    const menu = await lab.curlText(`${API_URL}/api/menu?format=env`);
    const agent = await lab.runAgent(await lab.node(mac), { mac, cmdline: `console=ttyS0 bt.api=${API_URL} bt.menu=1 bt.node=${mac}` });
    assert.equal(await exitOf(agent, 60_000), 'SIGKILL');
    const output = agent.proc.output();
    assert.match(output, /BootTorrent: choose an operating system\n {2}1\) demo OS demo \(default\)\n {2}2\) demo OS spare/);
    assert.match(output, /menu: booting demo/);
    assert.match(menu, /BT_MENU_DEFAULT='demo'/);
    const calls = await agent.kexecCalls();
    assert.equal(calls.length, 2);
    assert.match(calls[0]?.at(-1) ?? '', / bt\.os=demo$/);
  });

  it('reports BT_P1_API_UNREACHABLE after retrying with backoff when nothing answers at bt.api', async () => {
    const mac = macs.unreachable;
    const agent = await lab.runAgent(await lab.node(mac), { mac, cmdline: cmdline(mac, 'demo', 'http://10.83.0.1:9'), env: quick });
    assert.equal(await exitOf(agent, 60_000), 1);
    assert.match((await agent.failure()) ?? '', /^BT_P1_API_UNREACHABLE: boot API unreachable at http:\/\/10\.83\.0\.1:9: .*gave up after 2 attempts/);
    assert.ok(agent.proc.lines.some((line) => /retrying in 1 s \(attempt 1\/2\)/.test(line)), agent.proc.output());
    assert.ok(agent.proc.lines.some((line) => /FAILED BT_P1_API_UNREACHABLE/.test(line)));
    assert.deepEqual(await agent.kexecCalls(), []);
  });

  it('reports BT_P1_MANIFEST when the boot API knows no such OS (404)', async () => {
    const mac = macs.unknown;
    const agent = await lab.runAgent(await lab.node(mac), { mac, cmdline: cmdline(mac, 'nosuch'), env: quick });
    assert.equal(await exitOf(agent, 30_000), 1);
    assert.match((await agent.failure()) ?? '', /^BT_P1_MANIFEST: the boot API knows no OS named 'nosuch' \(404/);
    const record = await lab.nodeRecord(mac);
    assert.equal(record?.state, 'failed');
    assert.equal(record?.error?.code, 'BT_P1_MANIFEST');
    assert.match(record?.error?.message ?? '', /no OS named 'nosuch'/);
  });

  it('retries a stalled download with backoff, resuming what it has, then reports BT_P1_DOWNLOAD_STALLED', async () => {
    const mac = macs.stalled;
    const aria2Starts = (agent: AgentRun) => agent.proc.lines.filter((line) => /aria2c: spare from the swarm/.test(line)).length;
    const agent = await lab.runAgent(await lab.node(mac, { downMbit: 8 }), {
      mac,
      cmdline: cmdline(mac, 'spare'),
      env: { ...quick, BT_STALL_SECONDS: '4', BT_DOWNLOAD_ATTEMPTS: '2' },
    });
    try {
      // Once aria2c runs, the master's seeder (BitTorrent and web seed) freezes; it thaws
      // for the retry's manifest and .torrent, and freezes again when aria2c runs again.
      await waitFor(() => aria2Starts(agent) >= 1, { timeoutMs: 30_000, what: 'aria2c to start' });
      await waitFor(async () => Number((await agent.reports()).at(-1)?.body.bytesDone) > 0, { timeoutMs: 30_000, what: 'the first bytes' });
      lab.signalService('seeder', 'SIGSTOP');
      await agent.proc.waitForLine(/BT_P1_DOWNLOAD_STALLED: .*retrying in 1 s \(attempt 1\/2\)/, 60_000);
      lab.signalService('seeder', 'SIGCONT');
      await waitFor(() => aria2Starts(agent) >= 2, { timeoutMs: 30_000, what: 'the second attempt to start aria2c' });
      lab.signalService('seeder', 'SIGSTOP');
      assert.equal(await exitOf(agent, 60_000), 1);
    } finally {
      lab.signalService('seeder', 'SIGCONT');
    }
    assert.match((await agent.failure()) ?? '', /^BT_P1_DOWNLOAD_STALLED: download stalled: no new piece in 4 s \(\d+\/\d+ bytes.*\(gave up after 2 attempts\)$/);
    const reports = await agent.reports();
    const retry = reports.findIndex((report) => report.body.state === 'downloading' && (report.body.error as { code?: string } | undefined)?.code === 'BT_P1_DOWNLOAD_STALLED');
    assert.ok(retry > 0, 'the first stall was reported while retrying');
    const before = Number(reports[retry - 1]?.body.bytesDone);
    const resumed = reports.slice(retry + 1).find((report) => report.body.state === 'downloading' && report.body.bytesDone !== undefined);
    assert.ok(before > 0 && Number(resumed?.body.bytesDone) > 0, `the retry kept the verified pieces (${before} bytes before, ${String(resumed?.body.bytesDone)} after)`);
    const record = await lab.nodeRecord(mac);
    assert.equal(record?.state, 'failed');
    assert.equal(record?.error?.code, 'BT_P1_DOWNLOAD_STALLED');
  });

  it('reports BT_P1_CHECKSUM when the only peer left sends pieces that fail their hash', async (t) => {
    const manifest = await lab.manifestEnv('spare');
    // A peer (aria2c, seeding without verifying) with a corrupted copy of the OS.
    const bad = await lab.node('52:54:00:83:00:ee');
    const badDir = join(lab.workDir, 'bad-peer');
    await cp(demoDir, join(badDir, 'spare'), { recursive: true });
    const payload = join(badDir, 'spare', 'payload.bin');
    const bytes = await readFile(payload);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (bytes[i] ?? 0) ^ 0xff;
    await writeFile(payload, bytes);
    const torrent = join(badDir, 'spare.torrent');
    await lab.curlText(manifest.BT_TORRENT_URL ?? '', torrent);
    // The phase-1 aria2c itself: its built-in MSE handshake (no OpenSSL) does not interoperate
    // with other aria2 builds (they fall back to the plain handshake after ~20 s).
    const badPeer = bad.spawn('bad-peer', join(lab.p1root, 'usr', 'bin', 'aria2c'), [
      `--dir=${badDir}`, '--bt-seed-unverified=true', '--seed-ratio=0.0', '--enable-dht=false', '--listen-port=6881',
      `--bt-exclude-tracker=*`, `--bt-tracker=${manifest.BT_TRACKERS ?? ''}`, '--console-log-level=warn', torrent,
    ]);
    // The tracker lists it next to the master's seeder.
    await waitFor(async () => Number((await lab.swarmEnv(manifest.BT_INFOHASH ?? '')).BT_SWARM_SEEDERS) >= 2, {
      timeoutMs: 30_000,
      intervalMs: 500,
      what: `the corrupt peer to announce itself as a seeder; its output:\n${badPeer.output()}`,
    });

    const mac = macs.corrupt;
    const started = Date.now();
    const agent = await lab.runAgent(await lab.node(mac, { downMbit: 8 }), {
      mac,
      cmdline: cmdline(mac, 'spare'),
      env: { ...quick, BT_STALL_SECONDS: '6', BT_DOWNLOAD_ATTEMPTS: '1' },
    });
    try {
      // Once a corrupt piece has arrived (aria2c then drops that peer for a while and
      // reconnects), the master's seeder freezes: the corrupt peer is the only source left.
      await waitFor(async () => Number(await readFile(join(agent.runDir, 'aria2.badpieces'), 'utf8').catch(() => '0')) > 0, {
        timeoutMs: 30_000,
        intervalMs: 200,
        what: 'a piece from the corrupt peer to fail its hash check',
      });
      t.diagnostic(`first corrupt piece after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      lab.signalService('seeder', 'SIGSTOP');
      assert.equal(await exitOf(agent, 60_000), 1);
      t.diagnostic(`failed after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      lab.signalService('seeder', 'SIGCONT');
    }
    assert.match((await agent.failure()) ?? '', /^BT_P1_CHECKSUM: checksum mismatch: \d+ pieces failed their SHA-1 check and no good copy came in 6 s/);
    const record = await lab.nodeRecord(mac);
    assert.equal(record?.state, 'failed');
    assert.equal(record?.error?.code, 'BT_P1_CHECKSUM');
  });

  it('reports BT_P1_KEXEC when kexec refuses the kernel, after trying kexec_file_load too', async () => {
    const mac = macs.refused;
    const manifest = await lab.manifestEnv('demo');
    const agent = await lab.runAgent(await lab.node(mac), { mac, cmdline: cmdline(mac, 'demo'), kexec: 'refuse', env: quick });
    assert.equal(await exitOf(agent, 120_000), 1);
    assert.match((await agent.failure()) ?? '', /^BT_P1_KEXEC: kexec refused the kernel: kexec_load failed: Operation not permitted/);
    const dir = join(agent.dataDir, manifest.BT_INFOHASH ?? '', 'demo');
    const load = [join(dir, 'vmlinuz'), `--initrd=${join(dir, 'initrd')}`, `--command-line=${OS_CMDLINE} bt.api=${API_URL} bt.node=${mac} bt.os=demo`];
    assert.deepEqual(await agent.kexecCalls(), [['-l', ...load], ['-s', '-l', ...load]]);
    const record = await lab.nodeRecord(mac);
    assert.equal(record?.state, 'failed');
    assert.equal(record?.error?.code, 'BT_P1_KEXEC');
  });
});
