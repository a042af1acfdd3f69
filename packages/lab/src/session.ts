import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NodeRecord, SwarmStats, finalNodeStates, type Swarm } from '@boottorrent/contracts';
import { run } from '@boottorrent/testing';
import { z } from 'zod';
import { BROKEN_OS, LAB_API_PORT, LAB_BRIDGE, LAB_MASTER_ADDRESS, LAB_PREFIX, type LabPlan } from './config.js';
import { OVMF_VARS, qemuArgs, serconPortBytes } from './qemu.js';
import { progressLine, renderTimeline, timelineRows, type LabNodeInfo, type TimelineRow } from './timeline.js';

/** What the demo OS prints on its serial console once it runs. */
export const DEMO_BANNER = /BootTorrent demo OS \S+ booted/;
const POLL_INTERVAL_MS = 1000;
/** Phase-1 is built before the session starts, so the master has only itself to start. */
const MASTER_READY_TIMEOUT_S = 180;
/** A master someone else started (LabOptions.master) is up already; its boot API gets this long. */
const EXTERNAL_MASTER_TIMEOUT_S = 120;

export interface LabResult {
  ok: boolean;
  reason: string;
  nodes: Array<LabNodeInfo & { record: NodeRecord | null; consoleFile: string }>;
  swarms: Swarm[];
  timeline: TimelineRow[];
  timelineText: string;
  /** Seconds from the first power-on to the last node reaching its expected state. */
  totalSeconds: number | null;
  workDir: string;
}

/** Processes this session started, with PIDs, so that `lab --down` can stop a kept lab. */
export interface LabRuntime {
  masterPid: number | null;
  qemuPids: number[];
  routerDhcpPid: number | null;
}

/** GET /api/nodes answers { nodes: NodeRecord[] }. */
const NodeList = z.object({ nodes: z.array(NodeRecord) }).transform((body) => body.nodes);

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function stopChild(child: ChildProcess | null, graceMs = 15_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts a process with stdout and stderr appended to `logFile`. */
async function spawnLogged(command: string, args: string[], logFile: string, options: { detached: boolean; env?: NodeJS.ProcessEnv }): Promise<ChildProcess> {
  const log = await open(logFile, 'a');
  try {
    return spawn(command, args, { stdio: ['ignore', log.fd, log.fd], detached: options.detached, ...(options.env ? { env: options.env } : {}) });
  } finally {
    await log.close();
  }
}

async function addTap(name: string): Promise<void> {
  await run('ip', ['tuntap', 'add', 'dev', name, 'mode', 'tap']);
  await run('ip', ['link', 'set', name, 'master', LAB_BRIDGE]);
  await run('ip', ['link', 'set', name, 'up']);
}

/** The site's existing DHCP server in proxy mode: busybox udhcpd in its own namespace. */
async function startRouterDhcp(plan: LabPlan, routerNetns: string): Promise<ChildProcess> {
  const conf = join(plan.workDir, 'udhcpd.conf');
  await writeFile(
    conf,
    [
      `start ${LAB_PREFIX}.100`,
      `end ${LAB_PREFIX}.199`,
      'interface eth0',
      `lease_file ${join(plan.workDir, 'udhcpd.leases')}`,
      'opt subnet 255.255.255.0',
      'opt lease 3600',
      '',
    ].join('\n'),
  );
  await writeFile(join(plan.workDir, 'udhcpd.leases'), '');
  return spawnLogged('ip', ['netns', 'exec', routerNetns, 'busybox', 'udhcpd', '-f', conf], join(plan.workDir, 'udhcpd.log'), { detached: plan.keep });
}

async function startMaster(plan: LabPlan, signal: AbortSignal): Promise<ChildProcess> {
  const cli = join(plan.repoRoot, 'packages', 'cli', 'dist', 'src', 'main.js');
  const child = await spawnLogged(
    process.execPath,
    [cli, 'start', '--project', plan.projectDir, '--state-dir', plan.stateDir, '--artifacts', plan.artifactsDir, '--json', '--ready-timeout', String(MASTER_READY_TIMEOUT_S)],
    join(plan.workDir, 'master.log'),
    { detached: plan.keep, env: { ...process.env, INIT_CWD: plan.workDir } },
  );
  const runtimeFile = join(plan.stateDir, 'runtime.json');
  const deadline = Date.now() + (MASTER_READY_TIMEOUT_S + 30) * 1000;
  while (Date.now() < deadline) {
    const text = await readFile(runtimeFile, 'utf8').catch(() => null);
    if (text && (JSON.parse(text) as { pid: number }).pid === child.pid) return child;
    if (child.exitCode !== null) {
      const tail = (await readFile(join(plan.workDir, 'master.log'), 'utf8')).trim().split('\n').slice(-20).join('\n');
      throw new Error(`the master exited while starting:\n${tail}`);
    }
    if (signal.aborted) {
      await stopChild(child);
      throw new Error('interrupted while the master was starting');
    }
    await sleep(500);
  }
  await stopChild(child);
  const waiting = (await readFile(join(plan.workDir, 'master.log'), 'utf8'))
    .split('\n')
    .filter((line) => line.includes('"msg":"waiting for'))
    .slice(-3)
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
  throw new Error(`the master was not ready after ${MASTER_READY_TIMEOUT_S} s: ${waiting.join('; ') || `see ${join(plan.workDir, 'master.log')}`}`);
}

/** A master started by someone else (LabOptions.master): ready once its boot API answers ready. */
async function waitForBootApi(apiUrl: string, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + EXTERNAL_MASTER_TIMEOUT_S * 1000;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (signal.aborted) throw new Error('interrupted while waiting for the master');
    try {
      const response = await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(3000) });
      if (response.ok) return;
      last = `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(500);
  }
  throw new Error(`the master's boot API ${apiUrl} was not ready after ${EXTERNAL_MASTER_TIMEOUT_S} s (${last})`);
}

function expectedState(plan: LabPlan, node: { broken: boolean }): 'booted' | 'kexec' | 'failed' {
  return node.broken ? 'failed' : plan.successState;
}

/**
 * Runs inside the lab's network namespace: taps, the proxy-mode DHCP server, the master
 * (`boottorrent start`), the qemu nodes; shows progress until every node is done; returns the
 * result. Stops everything it started unless the plan says keep.
 */
export async function runLabSession(plan: LabPlan, signal: AbortSignal, print: (text: string) => void): Promise<LabResult> {
  const consoles = join(plan.workDir, 'consoles');
  await mkdir(consoles, { recursive: true });
  const apiUrl = `http://${LAB_MASTER_ADDRESS}:${LAB_API_PORT}`;
  let master: ChildProcess | null = null;
  let routerDhcp: ChildProcess | null = null;
  const qemus: ChildProcess[] = [];
  const nodes: Array<LabNodeInfo & { consoleFile: string; broken: boolean }> = [];
  let records: NodeRecord[] = [];
  let swarms: Swarm[] = [];
  const say = (text: string) => print(`${text}\n`);

  const writeRuntime = () =>
    writeFile(
      join(plan.workDir, 'runtime.json'),
      JSON.stringify({ masterPid: master?.pid ?? null, qemuPids: qemus.map((q) => q.pid ?? -1), routerDhcpPid: routerDhcp?.pid ?? null } satisfies LabRuntime),
    );

  try {
    for (const node of plan.nodes) await addTap(node.tap);
    if (plan.routerNetns) {
      routerDhcp = await startRouterDhcp(plan, plan.routerNetns);
      say(`existing DHCP server (busybox udhcpd) running at ${LAB_PREFIX}.2; BootTorrent answers as proxyDHCP`);
    }
    if (plan.master === 'external') {
      await waitForBootApi(apiUrl, signal);
    } else {
      say(`starting the master on ${LAB_MASTER_ADDRESS} (log: ${join(plan.workDir, 'master.log')})`);
      master = await startMaster(plan, signal);
      await writeRuntime();
    }
    say(`master ready: boot API ${apiUrl}`);
    if (plan.nodes.some((node) => node.broken)) {
      await rm(join(plan.projectDir, 'oss', BROKEN_OS, 'vmlinuz'), { force: true });
      await rm(join(plan.projectDir, 'oss', BROKEN_OS, 'initrd'), { force: true });
      say(`removed the files of OS "${BROKEN_OS}": its nodes must end in failed, with the reason`);
    }
    if (signal.aborted) throw new Error('interrupted');

    const biosSerconFile = join(plan.workDir, 'sercon-port.bin');
    await writeFile(biosSerconFile, serconPortBytes());
    for (const node of plan.nodes) {
      const consoleFile = join(consoles, `${node.name}.log`);
      await writeFile(consoleFile, '');
      let uefiVarsFile: string | undefined;
      if (node.firmware === 'uefi') {
        uefiVarsFile = join(plan.workDir, `${node.name}-OVMF_VARS.fd`);
        await copyFile(OVMF_VARS, uefiVarsFile);
      }
      const args = qemuArgs({
        mac: node.mac,
        tap: node.tap,
        firmware: node.firmware,
        memoryMib: plan.memoryMib,
        consoleFile,
        ...(uefiVarsFile ? { uefiVarsFile } : { biosSerconFile }),
      });
      qemus.push(await spawnLogged('qemu-system-x86_64', args, join(consoles, `${node.name}.qemu.log`), { detached: plan.keep }));
      nodes.push({ name: node.name, mac: node.mac, firmware: node.firmware, expect: expectedState(plan, node) === 'failed' ? 'failed' : 'booted', poweredOnAt: Date.now(), bannerAt: null, consoleFile, broken: node.broken });
    }
    await writeRuntime();
    say(`powered on ${nodes.length} node${nodes.length === 1 ? '' : 's'}: ${plan.nodes.map((n) => `${n.name} (${n.firmware}${n.broken ? `, ${BROKEN_OS}` : ''})`).join(', ')}`);

    const deadline = Date.now() + plan.timeoutS * 1000;
    let drawn = 0;
    let lastLines: string[] = [];
    for (;;) {
      records = await getJson(`${apiUrl}/api/nodes`).then((json) => NodeList.parse(json)).catch(() => records);
      for (const node of nodes) {
        if (node.bannerAt === null && DEMO_BANNER.test(await readFile(node.consoleFile, 'utf8').catch(() => ''))) node.bannerAt = Date.now();
      }
      const lines = nodes.map((node) => progressLine(node, records.find((r) => r.mac === node.mac), Date.now()));
      if (plan.live) {
        print(`${drawn > 0 ? `\u001b[${drawn}A` : ''}${lines.map((line) => `\u001b[2K${line}`).join('\n')}\n`);
        drawn = lines.length;
      } else {
        lines.forEach((line, i) => {
          const state = line.split(/\s+/).slice(2, 3).join('');
          if ((lastLines[i] ?? '').split(/\s+/).slice(2, 3).join('') !== state) say(line);
        });
        lastLines = lines;
      }
      const done = nodes.every((node) => {
        const record = records.find((r) => r.mac === node.mac);
        if (!record) return false;
        if (node.broken) return record.state === 'failed';
        if (finalNodeStates.has(record.state)) return record.state !== 'booted' || plan.successState !== 'booted' || node.bannerAt !== null;
        return plan.successState === 'kexec' && record.state === 'kexec';
      });
      if (done || signal.aborted || Date.now() > deadline) break;
      await sleep(POLL_INTERVAL_MS);
    }
    swarms = await getJson(`${apiUrl}/api/swarms`).then((json) => SwarmStats.nullable().parse(json)?.swarms ?? []).catch(() => []);
  } finally {
    if (!plan.keep) {
      await Promise.all(qemus.map((qemu) => stopChild(qemu, 5000)));
      await stopChild(master);
      await stopChild(routerDhcp, 3000);
    } else {
      for (const child of [...qemus, master, routerDhcp]) child?.unref();
    }
  }

  const timeline = timelineRows(nodes, records);
  const failures = nodes.flatMap((node) => {
    const record = records.find((r) => r.mac === node.mac);
    const expected = expectedState(plan, node);
    if (node.broken) return record?.state === 'failed' ? [] : [`${node.name} should have failed but is ${record?.state ?? 'unseen'}`];
    if (expected === 'booted' && record?.state === 'booted' && node.bannerAt !== null) return [];
    if (expected === 'kexec' && (record?.state === 'kexec' || record?.state === 'booted')) return [];
    return [`${node.name} is ${record?.state ?? 'unseen'}${record?.error ? ` (${record.error.code}: ${record.error.message})` : ''}${record?.state === 'booted' && node.bannerAt === null ? ' but its console shows no banner' : ''}`];
  });
  const healthy = timeline.filter((_, i) => !nodes[i]!.broken);
  const endTimes = healthy.map((row) => (plan.successState === 'booted' ? row.booted : row.kexec));
  const start = Math.min(...nodes.map((node) => node.poweredOnAt));
  const totalSeconds = endTimes.every((at): at is number => at !== null) && endTimes.length > 0 ? (Math.max(...endTimes) - start) / 1000 : null;
  return {
    ok: failures.length === 0,
    reason: signal.aborted ? 'interrupted' : failures.length === 0 ? 'every node reached its expected state' : failures.join('; '),
    nodes: nodes.map((node) => ({ ...node, record: records.find((r) => r.mac === node.mac) ?? null })),
    swarms,
    timeline,
    timelineText: renderTimeline(timeline),
    totalSeconds,
    workDir: plan.workDir,
  };
}
