import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cleanup } from './cleanup.js';
import { CpuSampler, cpuFigures, loadAverage, type CpuAccount } from './cpu.js';
import { LINGER_POLICY, NO_LINGER_POLICY, waitSwarmIdle, type BenchProject, type RunningMaster } from './master.js';
import { bytesOnDisk, startAgentNode, startCentralNode, type NodeProcess, type Toolbox } from './node-runner.js';
import { linkCounters, uptimeSeconds, type LinkCounters, type SwarmLan } from './topology.js';
import type { NodeOutcome, RunResult, ScenarioName } from './types.js';
import { eventsDuring } from './master-events.js';
import { median } from './stats.js';

/*
 * One run of one scenario with N nodes: start N waiting nodes, release them at once, follow
 * them (progress, CPU), and record when each one finished. A run ends when every node is done
 * and has left (the linger scenario keeps nodes seeding after their own download: the time
 * that counts is still the LAST node DONE downloading, and the run waits for them to leave so
 * that the next run starts with an empty swarm).
 */

export interface RunContext {
  lan: SwarmLan;
  master: RunningMaster;
  project: BenchProject;
  toolbox: Toolbox;
  cleanup: Cleanup;
  accounts: { master: CpuAccount; nodes: CpuAccount };
  /** With --keep-work: each node's output is saved below this folder. */
  logDir: string | null;
}

export interface RunProgress {
  elapsedS: number;
  done: number;
  total: number;
  /** Bytes on the nodes' disks over N x image size. */
  fraction: number;
  busy: number | null;
}

export async function runScenario(options: {
  ctx: RunContext;
  scenario: ScenarioName;
  nodes: number;
  repeat: number;
  timeoutS: number;
  onProgress?: (progress: RunProgress) => void;
}): Promise<RunResult> {
  const { ctx, scenario, nodes: count, repeat } = options;
  const hosts = ctx.lan.nodes.slice(0, count);
  if (hosts.length < count) throw new Error(`BT_BENCH_NODES: the LAN has ${ctx.lan.nodes.length} nodes, the run needs ${count}`);
  if (scenario !== 'central') {
    await ctx.master.setLinger(scenario === 'swarm-linger' ? LINGER_POLICY : NO_LINGER_POLICY);
    if (!(await waitSwarmIdle(ctx.master, 60_000))) throw new Error('BT_BENCH_SWARM_BUSY: the tracker still lists leechers from the previous run after 60 s');
  }
  const started: NodeProcess[] = [];
  for (const [i, host] of hosts.entries()) {
    const base = { index: i + 1, host, toolbox: ctx.toolbox, cleanup: ctx.cleanup, account: ctx.accounts.nodes };
    started.push(scenario === 'central' ? await startCentralNode({ ...base, master: ctx.lan.master, project: ctx.project }) : await startAgentNode({ ...base, master: ctx.master }));
  }
  await Promise.all(started.map((node) => node.ready));

  const before = await Promise.all([ctx.lan.master, ...hosts].map(linkCounters));
  const loadBefore = await loadAverage();
  const cpuMaster0 = await ctx.accounts.master.seconds();
  const cpuNodes0 = await ctx.accounts.nodes.seconds();
  const sampler = new CpuSampler();
  await sampler.start();
  const startedAtMs = Date.now();
  const startedAt = new Date(startedAtMs).toISOString();
  const t0 = await uptimeSeconds();
  const clock0 = performance.now();
  for (const node of started) node.release();

  const curves: Array<Array<[number, number]>> = started.map(() => []);
  const total = count * ctx.project.imageBytes;
  let failure: string | null = null;
  let lastBusy: number | null = null;
  const allExited = Promise.all(started.map((node) => node.exited));
  let finished = false;
  void allExited.then(() => (finished = true));
  while (!finished) {
    const elapsedS = (performance.now() - clock0) / 1000;
    const sizes = await Promise.all(started.map((node) => bytesOnDisk(node.dataDir)));
    sizes.forEach((bytes, i) => curves[i]?.push([round2(elapsedS), bytes]));
    const done = started.filter((node) => node.doneUptime !== null).length;
    options.onProgress?.({ elapsedS, done, total: count, fraction: sizes.reduce((a, b) => a + b, 0) / total, busy: lastBusy });
    if (elapsedS > options.timeoutS) {
      failure = `timed out after ${options.timeoutS} s with ${done}/${count} nodes done`;
      break;
    }
    await Promise.race([sleep(1000), allExited]);
  }
  const machine = await sampler.stop();
  lastBusy = machine.busyMean;
  if (failure) await Promise.all(started.map((node) => stopNode(node)));
  const after = await Promise.all([ctx.lan.master, ...hosts].map(linkCounters));
  const cpu = cpuFigures({ loadBefore, machine, master: [cpuMaster0, await ctx.accounts.master.seconds()], nodes: [cpuNodes0, await ctx.accounts.nodes.seconds()] });

  const perNode: NodeOutcome[] = started.map((node, i) => {
    const tx = delta(before[i + 1], after[i + 1]);
    return {
      node: node.index,
      doneSeconds: node.doneUptime === null ? null : round2(node.doneUptime - t0),
      kexecSeconds: node.kexecUptime === null ? null : round2(node.kexecUptime - t0),
      txBytes: tx.txBytes,
      rxBytes: tx.rxBytes,
      error: node.doneUptime === null ? (node.error ?? `no completion seen; last lines: ${node.lines.slice(-3).join(' | ')}`) : null,
      curve: curves[i] ?? [],
    };
  });
  if (ctx.logDir) await saveLogs(join(ctx.logDir, `${scenario}-n${count}-r${repeat}`), started);
  const doneTimes = perNode.map((n) => n.doneSeconds);
  const allDone = doneTimes.every((t): t is number => t !== null);
  const times = doneTimes.filter((t): t is number => t !== null);
  const kexecs = perNode.map((n) => n.kexecSeconds).filter((t): t is number => t !== null);
  const masterTx = delta(before[0], after[0]).txBytes;
  if (!allDone && !failure) failure = `${count - times.length}/${count} nodes did not finish: ${perNode.find((n) => n.error)?.error ?? ''}`;
  return {
    scenario,
    nodes: count,
    repeat,
    startedAt,
    lastDoneSeconds: allDone ? Math.max(...times) : null,
    firstDoneSeconds: times.length > 0 ? Math.min(...times) : null,
    medianDoneSeconds: times.length > 0 ? median(times) : null,
    lastKexecSeconds: scenario !== 'central' && kexecs.length === count ? Math.max(...kexecs) : null,
    masterTxBytes: masterTx,
    seedCopies: round2(masterTx / ctx.project.imageBytes),
    cpu,
    perNode,
    failure,
    seedDisruptions: eventsDuring(ctx.master.seedEvents, startedAtMs, Date.now()),
  };
}

async function saveLogs(dir: string, nodes: readonly NodeProcess[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const node of nodes) {
    await writeFile(join(dir, `node${String(node.index).padStart(2, '0')}.log`), `${node.lines.join('\n')}\n`);
    await cp(node.runDir, join(dir, `node${String(node.index).padStart(2, '0')}-run`), { recursive: true }).catch(() => undefined);
  }
}

async function stopNode(node: NodeProcess): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return;
  node.child.kill('SIGTERM');
  await Promise.race([node.exited, sleep(5000)]);
  if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
  await node.exited;
}

function delta(a: LinkCounters | undefined, b: LinkCounters | undefined): LinkCounters {
  return { txBytes: Math.max(0, (b?.txBytes ?? 0) - (a?.txBytes ?? 0)), rxBytes: Math.max(0, (b?.rxBytes ?? 0) - (a?.rxBytes ?? 0)) };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
