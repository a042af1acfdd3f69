import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Netns, waitFor, type ManagedProcess } from '@boottorrent/testing';
import { AgentLab, API_URL, BRIDGE, LAB_PREFIX } from './helpers/agent-lab.js';
import { ensureDemoOs, ensurePhase1, unpackInitrd } from './helpers/phase1.js';
import { consoleText, startQemuNode, startUdhcpd } from './helpers/qemu.js';

/*
 * The built phase-1 image under qemu (TCG), on a tap in a namespace: NIC driver from the
 * initrd's modules, a DHCP lease from busybox udhcpd, then the agent's HTTP requests. First
 * against a bare HTTP server (the agent asks for the manifest, is refused, says why and opens
 * the rescue shell), then against the real master services all the way to kexec into the
 * demo OS, which reports that it booted.
 */

function waitForConsole(node: ManagedProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return waitFor(() => pattern.exec(consoleText(node))?.[0], {
    timeoutMs,
    intervalMs: 250,
    what: `${pattern} on the serial console; last lines:\n${consoleText(node).split('\n').slice(-40).join('\n')}`,
  });
}

describe('phase-1 under qemu', { timeout: 600_000 }, () => {
  let phase1Dir: string;

  before(async () => {
    phase1Dir = (await ensurePhase1()).dir;
  });

  it('boots, loads its NIC driver, gets a DHCP lease and asks the boot API for the manifest', async () => {
    const ns = await Netns.create('btq');
    const dir = await mkdtemp(join(tmpdir(), 'bt-qemu-'));
    try {
      await ns.exec('ip', ['link', 'add', 'br0', 'type', 'bridge']);
      await ns.exec('ip', ['link', 'set', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
      await ns.exec('ip', ['addr', 'add', '10.84.0.1/24', 'dev', 'br0']);
      await ns.exec('ip', ['link', 'set', 'br0', 'up']);
      await startUdhcpd(ns, { bridge: 'br0', prefix: '10.84.0', dir });
      // A boot API that knows no OS: every GET is a 404.
      const www = join(dir, 'www');
      await mkdir(www);
      const httpd = ns.spawn('httpd', 'busybox', ['httpd', '-f', '-vv', '-p', '10.84.0.1:8080', '-h', www]);
      const mac = '52:54:00:84:00:01';
      const node = await startQemuNode({
        ns,
        bridge: 'br0',
        tap: 'tapq0',
        mac,
        kernel: join(phase1Dir, 'vmlinuz'),
        initrd: join(phase1Dir, 'initrd'),
        append: `console=ttyS0 quiet bt.api=http://10.84.0.1:8080 bt.os=none bt.node=${mac}`,
      });
      await waitForConsole(node, /lease: 10\.84\.0\.1\d\d\/24 on eth0/, 120_000);
      await waitForConsole(node, /GET http:\/\/10\.84\.0\.1:8080\/api\/manifest\/none\?format=env/, 30_000);
      await waitForConsole(node, /FAILED BT_P1_MANIFEST: the boot API knows no OS named 'none' \(404/, 30_000);
      await waitForConsole(node, /BootTorrent phase-1 FAILED: BT_P1_MANIFEST[^\n]*\n[^\n]*Rescue shell/, 30_000);
      await waitFor(() => httpd.lines.some((line) => /url:\/api\/manifest\/none/.test(line)), { timeoutMs: 5000, what: 'the request in the HTTP server log' });
      await node.stop();
    } finally {
      await ns.delete();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('without a DHCP server, retries, then prints BT_P1_NO_DHCP above a rescue shell', async () => {
    const ns = await Netns.create('btq');
    try {
      await ns.exec('ip', ['link', 'add', 'br0', 'type', 'bridge']);
      await ns.exec('ip', ['link', 'set', 'br0', 'up']);
      const mac = '52:54:00:84:00:02';
      const node = await startQemuNode({
        ns,
        bridge: 'br0',
        tap: 'tapq1',
        mac,
        kernel: join(phase1Dir, 'vmlinuz'),
        initrd: join(phase1Dir, 'initrd'),
        // The kernel hands unknown NAME=value arguments to /init as environment variables.
        append: `console=ttyS0 quiet bt.api=http://10.84.0.1:8080 bt.os=demo bt.node=${mac} BT_DHCP_ATTEMPTS=2 BT_BACKOFF_MAX=1`,
      });
      await waitForConsole(node, /DHCP on eth0 \(52:54:00:84:00:02\)/, 120_000);
      await waitForConsole(node, /no DHCP lease \(attempt 1\/2 on: eth0\); retrying in 1 s/, 60_000);
      await waitForConsole(node, /BootTorrent phase-1 FAILED: BT_P1_NO_DHCP: no DHCP lease after 2 attempts on: eth0/, 60_000);
      await waitForConsole(node, /Rescue shell/, 10_000);
      await node.stop();
    } finally {
      await ns.delete();
    }
  });

  describe('with the real master services', () => {
    let lab: AgentLab;
    let p1root: string;

    before(async () => {
      p1root = await unpackInitrd(join(phase1Dir, 'initrd'));
      const demo = await ensureDemoOs({ name: 'demo', payloadMib: 8, cmdline: 'console=ttyS0 panic=10' });
      lab = await AgentLab.start({ p1root, oses: { demo }, linger: { until_swarm_done: true, min_seconds: 0, max_seconds: 60, max_ratio: 0 } });
    });

    after(async () => {
      await lab?.dispose();
      if (p1root) await rm(p1root, { recursive: true, force: true });
    });

    it('downloads the demo OS from the swarm, kexecs into it, and the demo OS reports booted', async () => {
      const dir = join(lab.workDir, 'qemu');
      await mkdir(dir);
      await startUdhcpd(lab.ns, { bridge: BRIDGE, prefix: LAB_PREFIX, dir });
      const mac = '52:54:00:83:01:01';
      const node = await startQemuNode({
        ns: lab.ns,
        bridge: BRIDGE,
        tap: 'tapk0',
        mac,
        kernel: join(phase1Dir, 'vmlinuz'),
        initrd: join(phase1Dir, 'initrd'),
        append: `console=ttyS0 quiet bt.api=${API_URL} bt.os=demo bt.node=${mac}`,
        memoryMib: 768,
      });
      try {
        await waitForConsole(node, /download complete: \d+ bytes/, 180_000);
        await waitForConsole(node, /kexec -e/, 60_000);
        await waitForConsole(node, /BootTorrent demo OS demo booted/, 120_000);
        // The new kernel got the manifest's command line plus what phase-1 appends.
        await waitForConsole(node, new RegExp(`cmdline: console=ttyS0 panic=10 bt\\.api=${API_URL.replaceAll('.', '\\.')} bt\\.node=${mac} bt\\.os=demo`), 10_000);
        await waitForConsole(node, /demo OS demo: reported booted/, 60_000);
        const record = await lab.nodeRecord(mac);
        assert.equal(record?.state, 'booted');
        assert.deepEqual(
          record?.history.map((step) => step.state),
          ['phase1', 'downloading', 'seeding', 'kexec', 'booted'],
        );
      } finally {
        await node.stop();
      }
    });
  });
});
