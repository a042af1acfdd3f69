import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { defaultHealthPorts, serviceNames } from '@boottorrent/contracts';
import type { LoadedProject } from '@boottorrent/project';
import { CliError, EXIT_FAILURE } from '../errors.js';
import { color } from '../output.js';
import { loadValidProject } from '../project-input.js';
import { resolveProjectDir, resolveUserPath } from '../paths.js';
import { findRepoRoot, stateLayout, type StateLayout } from '../supervisor/layout.js';
import { jsonLine, prettyLine } from '../supervisor/log-format.js';
import { formatSummary, startMaster, SUPERVISOR_NAME, type MasterSummary, type RunningMaster } from '../supervisor/master.js';
import { isAlive, removePid, runningPid, writePid } from '../supervisor/pidfile.js';
import {
  checkAddress,
  checkBinaries,
  checkDhcpPrivilege,
  checkInterface,
  checkPorts,
  findBinary,
  type PortNeed,
  type PreflightProblem,
} from '../supervisor/preflight.js';

export const DEFAULT_NATS_PORT = 4222;
/** Long enough for a first phase-1 build (it compiles aria2c), short enough to notice a hang. */
export const DEFAULT_READY_TIMEOUT_S = 900;

export interface StartOptions {
  project?: string;
  detach?: boolean;
  nats?: string;
  natsPort: string;
  bind?: string;
  stateDir?: string;
  artifacts?: string;
  json?: boolean;
  logLevel: string;
  readyTimeout: string;
  preflight: boolean;
}

/** What a running master records for `status`, `stop` and a detached `start` to read. */
export interface RuntimeRecord {
  pid: number;
  startedAt: number;
  natsUrl: string;
  summary: MasterSummary;
  children: Record<string, { pid: number | null; restarts: number }>;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('start the whole master without Docker: NATS, config, tracker, seeder, image-builder, dhcp (Ctrl-C stops it)')
    .option('-p, --project <dir>', 'project folder (default: $BT_PROJECT or the current folder)')
    .option('-d, --detach', 'run in the background (pidfile and log in the state folder); stop with `boottorrent stop`')
    .option('--nats <url>', 'use this NATS server (JetStream enabled) instead of starting one')
    .option('--nats-port <port>', 'port of the NATS server started here (loopback only)', String(DEFAULT_NATS_PORT))
    .option('--bind <address>', 'address the boot API, seeder and tracker listen on (default: master.address)')
    .option('--state-dir <dir>', 'runtime state: NATS store, rendered configs, logs (default: <project>/.boottorrent)')
    .option('--artifacts <dir>', 'phase-1 kernel+initrd folder (built there when missing)')
    .option('--json', 'print every log line as JSON instead of the pretty form')
    .option('--log-level <level>', 'services\' log level: debug, info, warn, error', 'info')
    .option('--ready-timeout <seconds>', 'give up when not every service is ready by then', String(DEFAULT_READY_TIMEOUT_S))
    .option('--no-preflight', 'skip the checks for binaries, interface, ports and privileges')
    .action(async (options: StartOptions) => {
      const dir = resolveProjectDir(options.project);
      const project = await loadValidProject(dir, 'so the master cannot start');
      const layout = stateLayout(project.dir, options.stateDir ? resolveUserPath(options.stateDir) : undefined);
      const running = await runningPid(layout.pidFile);
      if (running !== null) {
        throw new CliError(`a BootTorrent master is already running for ${project.dir} (pid ${running}).`, `stop it first: boottorrent stop --project ${project.dir}`);
      }
      if (options.preflight) {
        const problems = await preflight(project, options);
        if (problems.length > 0) {
          for (const problem of problems) process.stderr.write(`${color.red('preflight:')} ${problem.message}\n  fix: ${problem.fix}\n`);
          throw new CliError(`${problems.length} problem${problems.length === 1 ? '' : 's'} found before starting anything.`, 'correct each one as its fix says, then run start again');
        }
      }
      if (options.detach) {
        await startDetached(layout, options);
        return;
      }
      await runForeground(project, layout, options);
    });
}

/** Binaries, interface, address, ports (with who holds them) and DHCP privilege. */
export async function preflight(project: LoadedProject, options: Pick<StartOptions, 'nats' | 'natsPort' | 'bind'>): Promise<PreflightProblem[]> {
  const { config } = project;
  const dhcpOn = config.dhcp.mode !== 'off';
  const host = options.bind ?? config.master.address;
  const problems: PreflightProblem[] = [];
  problems.push(...checkBinaries([...(options.nats ? [] : ['nats-server']), ...(dhcpOn ? ['dnsmasq'] : [])]));
  if (dhcpOn) problems.push(...checkInterface(config.master.interface));
  const addressProblems = checkAddress(host);
  problems.push(...addressProblems);
  const ports: PortNeed[] = [
    ...(addressProblems.length === 0
      ? [
          { protocol: 'tcp', host, port: config.boot.api_port, purpose: 'boot API', setting: 'boot.api_port in Boottorrent.yaml' },
          { protocol: 'tcp', host, port: config.seeder.http_port, purpose: 'seeder HTTP', setting: 'seeder.http_port in Boottorrent.yaml' },
          { protocol: 'tcp', host, port: config.seeder.peer_port, purpose: 'seeder peers', setting: 'seeder.peer_port in Boottorrent.yaml' },
          ...(config.tracker.enabled
            ? [
                { protocol: 'tcp', host, port: config.tracker.port, purpose: 'tracker', setting: 'tracker.port in Boottorrent.yaml' },
                { protocol: 'udp', host, port: config.tracker.port, purpose: 'tracker UDP', setting: 'tracker.port in Boottorrent.yaml' },
              ]
            : []),
        ]
      : []),
    ...(options.nats ? [] : [{ protocol: 'tcp', host: '127.0.0.1', port: Number(options.natsPort), purpose: 'NATS', setting: '--nats-port, or use a running server with --nats <url>' }]),
    ...serviceNames.map((service) => ({ protocol: 'tcp', host: '127.0.0.1', port: defaultHealthPorts[service], purpose: `${service} health endpoint` })),
    ...(dhcpOn && process.geteuid?.() === 0 ? [{ protocol: 'udp', host: '0.0.0.0', port: 67, purpose: 'DHCP' }] : []),
  ] as PortNeed[];
  problems.push(...(await checkPorts(ports)));
  if (dhcpOn) problems.push(...checkDhcpPrivilege(findBinary('dnsmasq')));
  return problems;
}

async function runForeground(project: LoadedProject, layout: StateLayout, options: StartOptions): Promise<void> {
  await mkdir(layout.root, { recursive: true });
  await writePid(layout.pidFile, process.pid);
  const pretty = !options.json;
  const useColor = pretty && process.stdout.isTTY === true && !process.env.NO_COLOR;
  const names = ['nats', ...serviceNames, SUPERVISOR_NAME];
  const width = Math.max(...names.map((name) => name.length));
  const print = (name: string, line: string) => {
    process.stdout.write(`${pretty ? prettyLine(name, line, names.indexOf(name), { color: useColor, width }) : jsonLine(name, line)}\n`);
  };
  const say = (msg: string, level: 30 | 40 | 50 = 30) => print(SUPERVISOR_NAME, JSON.stringify({ level, time: Date.now(), service: SUPERVISOR_NAME, msg }));

  let master: RunningMaster | null = null;
  let stopRequested = false;
  const abort = new AbortController();
  let resolveStop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (resolveStop = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) return;
    stopRequested = true;
    abort.abort();
    say(`${signal}: stopping dhcp, image-builder, seeder, tracker, config, then NATS`);
    resolveStop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let runtime: RuntimeRecord | null = null;
  const writeRuntime = async () => {
    if (!runtime || !master) return;
    runtime.children = Object.fromEntries([...master.children].map(([name, child]) => [name, { pid: child.pid, restarts: child.restarts }]));
    await writeFile(layout.runtimeFile, `${JSON.stringify(runtime, null, 2)}\n`).catch(() => undefined);
  };

  try {
    say(`starting the master for ${project.dir} (state in ${layout.root})`);
    const starting = startMaster({
      project,
      layout,
      repoRoot: findRepoRoot(),
      natsUrl: options.nats ?? null,
      natsPort: Number(options.natsPort),
      bindHost: options.bind ?? null,
      artifactsDir: options.artifacts ? resolveUserPath(options.artifacts) : null,
      logLevel: options.logLevel,
      readyTimeoutMs: Number(options.readyTimeout) * 1000,
      onLine: (name, line) => {
        print(name, line);
        if (name === SUPERVISOR_NAME) void writeRuntime();
      },
      onReadyChange: (name, state) => say(state.ready ? `${name} is ready` : `waiting for ${name}: ${state.detail}`),
      abortSignal: abort.signal,
    });
    master = await Promise.race([starting, stopped.then(() => null)]);
    if (master === null) {
      // Interrupted while starting: startMaster sees the abort, stops what it started and rejects.
      await starting.then((m) => m.stop()).catch(() => undefined);
      return;
    }
    const summary = await master.summary();
    runtime = { pid: process.pid, startedAt: Date.now(), natsUrl: master.natsUrl, summary, children: {} };
    await writeRuntime();
    process.stdout.write(`\n${pretty ? color.green(formatSummary(summary)) : JSON.stringify({ level: 30, time: Date.now(), service: SUPERVISOR_NAME, msg: 'ready', summary })}\n\n`);
    await stopped;
    await master.stop();
    say('stopped');
  } catch (err) {
    if (!stopRequested) throw new CliError(`the master did not start: ${err instanceof Error ? err.message : String(err)}.`, 'read the service lines above for the cause', EXIT_FAILURE);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await rm(layout.runtimeFile, { force: true });
    await removePid(layout.pidFile, process.pid);
  }
}

/** Re-runs `start` in the background with its output in the log file; returns once it is ready. */
async function startDetached(layout: StateLayout, options: StartOptions): Promise<void> {
  await mkdir(layout.root, { recursive: true });
  await rm(layout.runtimeFile, { force: true });
  const args = process.argv.slice(2).filter((arg) => arg !== '--detach' && arg !== '-d');
  if (!args.includes('--json')) args.push('--json');
  if (!args.includes('--no-preflight')) args.push('--no-preflight');
  const logFd = openSync(layout.logFile, 'a');
  const child = spawn(process.execPath, [fileURLToPath(new URL('../main.js', import.meta.url)), ...args], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, INIT_CWD: process.env.INIT_CWD ?? process.cwd() },
  });
  closeSync(logFd);
  const pid = child.pid;
  child.unref();
  if (pid === undefined) throw new CliError('could not start the background master.', `see ${layout.logFile}`, EXIT_FAILURE);
  process.stdout.write(`starting in the background (pid ${pid}); log: ${layout.logFile}\n`);
  const deadline = Date.now() + Number(options.readyTimeout) * 1000 + 30_000;
  while (Date.now() < deadline) {
    const record = await readRuntime(layout);
    if (record?.pid === pid) {
      process.stdout.write(`${color.green(formatSummary(record.summary))}\n\nstop it with: boottorrent stop --project ${layout.root.replace(/\/\.boottorrent$/, '')}\n`);
      return;
    }
    if (!isAlive(pid)) {
      const tail = (await readFile(layout.logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-15).join('\n');
      throw new CliError(`the background master exited while starting; last log lines:\n${tail}`, `see ${layout.logFile}`, EXIT_FAILURE);
    }
    await sleep(500);
  }
  throw new CliError('the background master did not become ready in time.', `see ${layout.logFile}; stop it with boottorrent stop`, EXIT_FAILURE);
}

export async function readRuntime(layout: StateLayout): Promise<RuntimeRecord | null> {
  const text = await readFile(layout.runtimeFile, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as RuntimeRecord;
  } catch {
    return null;
  }
}
