import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@boottorrent/testing';
import { uniformBounds } from './bounds.js';
import { Cleanup } from './cleanup.js';
import { CpuAccount } from './cpu.js';
import { describeMachine } from './machine.js';
import { startCentralServer, startMaster, writeBenchProject, LINGER_POLICY } from './master.js';
import { prepareToolbox } from './node-runner.js';
import { OptionError, parseOptions, USAGE } from './options.js';
import { ProgressView, progressLine, resultLine, type PlannedRun } from './progress.js';
import { overrideNotes, rerenderResults, writeResults } from './results.js';
import { runScenario, type RunContext } from './scenario.js';
import { createSwarmLan } from './topology.js';
import type { BenchSettings, RunResult } from './types.js';

/*
 * `pnpm bench swarm`: builds the LAN once for the largest N, starts the real master once, then
 * runs every (N, scenario, repeat) in turn (see planRuns for the order).
 */

export { USAGE as SWARM_USAGE };

const REQUIRED_BINARIES = ['ip', 'tc', 'curl', 'busybox', 'nats-server'];

async function preflight(settings: BenchSettings, repoRoot: string): Promise<void> {
  if (process.getuid?.() !== 0) throw new OptionError('BT_BENCH_NOT_ROOT: network namespaces need root; run as root');
  for (const binary of REQUIRED_BINARIES) {
    await run('sh', ['-c', `command -v ${binary}`]).catch(() => {
      throw new OptionError(`BT_BENCH_MISSING_TOOL: ${binary} is not installed (scripts/bootstrap.sh installs it)`);
    });
  }
  const needed = ['packages/cli/dist/src/main.js', ...['config', 'seeder', 'tracker', 'image-builder', 'dhcp'].map((s) => `services/${s}/dist/src/main.js`)];
  const missing = needed.filter((path) => !existsSync(join(repoRoot, path)));
  if (missing.length > 0) throw new OptionError(`BT_BENCH_NOT_BUILT: ${missing.join(', ')} missing; run pnpm build`);
  if (!existsSync(settings.aria2c)) throw new OptionError(`BT_BENCH_NO_ARIA2C: ${settings.aria2c} does not exist`);
}

/**
 * Smallest N first. Within one N: central, then the no-linger repeats, then the linger repeats.
 * Grouped rather than interleaved because switching the linger policy means rewriting
 * Boottorrent.yaml, and a project change makes the master republish its desired state (the
 * seeder has been seen dropping and re-adding the torrent then); two switches per N keep that
 * away from most runs, and the runs after a switch wait for the seeder to be quiet.
 */
export function planRuns(settings: BenchSettings): PlannedRun[] {
  const plan: PlannedRun[] = [];
  for (const nodes of settings.nodeCounts) {
    for (const scenario of settings.scenarios) {
      const repeats = scenario === 'central' ? settings.centralRepeats : settings.repeats;
      for (let repeat = 1; repeat <= repeats; repeat++) plan.push({ scenario, nodes, repeat, repeats });
    }
  }
  return plan;
}

export async function runSwarmBench(argv: readonly string[], repoRoot: string): Promise<number> {
  const started = new Date();
  const fromJson = argv.indexOf('--from-json');
  if (fromJson >= 0) {
    const file = argv[fromJson + 1];
    if (!file) {
      process.stderr.write('bench swarm: --from-json needs a results .json file\n');
      return 2;
    }
    const written = await rerenderResults(file, repoRoot);
    process.stdout.write(`${written.table}\n\nrewrote ${written.md}${written.png ? ` and ${written.png}` : ''}${written.plotError ? ` (plot: ${written.plotError})` : ''}\n`);
    return 0;
  }
  let settings: BenchSettings;
  try {
    const parsed = parseOptions(argv, { repoRoot, today: started.toISOString().slice(0, 10) });
    if (parsed === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    settings = parsed;
    await preflight(settings, repoRoot);
  } catch (err) {
    if (err instanceof OptionError) {
      process.stderr.write(`bench swarm: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  const view = new ProgressView(process.stdout);
  const cleanup = new Cleanup();
  const removeHandlers = cleanup.installSignalHandlers(() => view.print('\ninterrupted: stopping nodes and the master, removing namespaces...'));
  const workDir = await mkdtemp(join(tmpdir(), 'bt-bench-swarm-'));
  const ramDir = await mkdtemp('/dev/shm/bt-bench-swarm-');
  cleanup.addTask(() => rm(ramDir, { recursive: true, force: true }));
  if (!settings.keepWork) cleanup.addTask(() => rm(workDir, { recursive: true, force: true }));
  const accounts = { master: await CpuAccount.create(`bt-bench-${process.pid}-master`), nodes: await CpuAccount.create(`bt-bench-${process.pid}-nodes`) };
  cleanup.addTask(async () => {
    await accounts.master.remove();
    await accounts.nodes.remove();
  });

  const runs: RunResult[] = [];
  const imageBytes = Math.round(settings.imageMib * 1024 * 1024);
  const machine = await describeMachine(settings.aria2c);
  const notes: string[] = [];
  let pieceLength: number | null = null;
  let infoHash: string | null = null;
  const save = (finished: boolean) =>
    writeResults({ settings, imageBytes, pieceLength, infoHash, machine, runs, startedAt: started, finished, notes, repoRoot, withPlot: finished });
  try {
    const maxNodes = Math.max(...settings.nodeCounts);
    view.print(`bench swarm: N in {${settings.nodeCounts.join(', ')}}, F = ${settings.imageMib} MiB, U = ${settings.rateMbit} Mbit/s, ${settings.repeats} swarm repeat(s); aria2c ${settings.aria2c}`);
    notes.push(...overrideNotes(settings.projectSettings));
    view.print(`work folder ${workDir}; load average ${machine.loadAtStart.join(' ')} on ${machine.nproc} cores`);
    const lan = await createSwarmLan({ nodeCount: maxNodes, rateMbit: settings.rateMbit, cleanup, onStep: (i, n) => view.update(`creating the LAN: node ${i}/${n}`) });
    view.print(`LAN ${lan.id}: switch ${lan.switchNs}, master ${lan.master.ns} ${lan.master.address}, ${lan.nodes.length} nodes, tbf ${settings.rateMbit} Mbit/s both ways on every link`);
    const project = await writeBenchProject(join(workDir, 'project'), lan.master, imageBytes, LINGER_POLICY, settings.projectSettings);
    view.update('starting the master (boottorrent start) and hashing the image...');
    const master = await startMaster({ repoRoot, host: lan.master, project, workDir, cleanup, account: accounts.master });
    pieceLength = Number(master.manifest.BT_PIECE_LENGTH) || null;
    infoHash = master.infoHash;
    view.print(`master up: ${master.apiUrl}, ${infoHash}, ${pieceLength ? pieceLength / 1024 : '?'} KiB pieces`);
    startCentralServer(lan.master, project, cleanup, accounts.master);
    const toolbox = await prepareToolbox({ workDir, ramDir, repoRoot, aria2c: settings.aria2c });
    const ctx: RunContext = { lan, master, project, toolbox, cleanup, accounts, logDir: settings.keepWork ? join(workDir, 'nodes') : null };

    const plan = planRuns(settings);
    for (const [i, planned] of plan.entries()) {
      const bound = uniformBounds(imageBytes, planned.nodes, settings.rateMbit);
      const timeoutS = settings.runTimeoutS || Math.round(3 * bound.clientServerSeconds + 60);
      const result = await runScenario({
        ctx,
        scenario: planned.scenario,
        nodes: planned.nodes,
        repeat: planned.repeat,
        timeoutS,
        onProgress: (p) => view.update(progressLine(planned, i + 1, plan.length, p)),
      });
      runs.push(result);
      view.print(resultLine(planned, i + 1, plan.length, result, bound.p2pSeconds));
      const next = plan[i + 1];
      if (!next || next.nodes !== planned.nodes) await save(false);
    }
    const written = await save(true);
    view.print('');
    view.print(written.table);
    view.print('');
    for (const check of written.checks) view.print(`${check.met ? 'MET   ' : 'MISSED'} ${check.name} = ${check.value?.toFixed(2)} (${check.detail})`);
    if (written.plotError) view.print(`plot not written: ${written.plotError}`);
    view.print(`\nresults: ${written.md}, ${written.json}${written.png ? `, ${written.png}` : ''} (${Math.round((Date.now() - started.getTime()) / 1000)} s)`);
    return runs.some((r) => r.failure) ? 1 : 0;
  } catch (err) {
    view.print(`bench swarm failed: ${err instanceof Error ? err.message : String(err)}`);
    if (runs.length > 0) await save(false).catch(() => undefined);
    if (settings.keepWork) view.print(`work folder kept: ${workDir}`);
    return 1;
  } finally {
    view.update('cleaning up: nodes, master, namespaces...');
    await cleanup.run();
    removeHandlers();
    view.print('cleaned up.');
  }
}
