import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { run } from '@boottorrent/testing';
import type { Cleanup } from './cleanup.js';
import type { CpuAccount } from './cpu.js';
import { CENTRAL_HTTP_PORT, type BenchProject, type RunningMaster } from './master.js';
import { parseNodeLine, READY_LINE } from './node-events.js';
import type { Host } from './topology.js';

/*
 * One node of one run. Swarm scenarios run the real phase-1 agent (images/phase1/agent/bt-agent)
 * from the source tree with the host-test overrides it documents: BT_SKIP_INIT=1 (the namespace
 * already has its address), a kernel command line file, data and state folders in RAM
 * (/dev/shm, as the node's tmpfs), our static aria2c, and a kexec recorder in place of kexec.
 * PATH holds busybox applets only, as in the initrd. The central scenario runs curl against a
 * plain HTTP server. Either waits for a line on stdin before starting, so every node of a run
 * starts at the same instant.
 */

export interface Toolbox {
  /** busybox applets (the phase-1 userland) and the kexec recorder. */
  binDir: string;
  kexecRecorder: string;
  agent: string;
  aria2c: string;
  /** Node folders live below this (tmpfs). */
  ramDir: string;
}

/**
 * kexec stand-in: records its arguments with the uptime, and for `-e` kills the agent that
 * called it, as a real kexec would replace it (aria2c has been stopped by then).
 */
const KEXEC_RECORDER = `#!/usr/bin/busybox sh
echo "$(cut -d' ' -f1 /proc/uptime) $*" >>"$BT_RUN_DIR/kexec.calls"
case " $* " in *" -e "*) kill -KILL "$PPID" ;; esac
exit 0
`;

export async function prepareToolbox(options: { workDir: string; ramDir: string; repoRoot: string; aria2c: string }): Promise<Toolbox> {
  const binDir = join(options.workDir, 'phase1-bin');
  await mkdir(binDir, { recursive: true });
  const applets = (await run('busybox', ['--list'])).split('\n').filter((name) => /^[\w.[-]+$/.test(name));
  await Promise.all(applets.map((name) => symlink('/usr/bin/busybox', join(binDir, name)).catch(() => undefined)));
  const kexecRecorder = join(options.workDir, 'kexec-recorder');
  await writeFile(kexecRecorder, KEXEC_RECORDER);
  await chmod(kexecRecorder, 0o755);
  await mkdir(options.ramDir, { recursive: true });
  return { binDir, kexecRecorder, agent: join(options.repoRoot, 'images', 'phase1', 'agent', 'bt-agent'), aria2c: options.aria2c, ramDir: options.ramDir };
}

export interface NodeProcess {
  index: number;
  host: Host;
  child: ChildProcess;
  dataDir: string;
  runDir: string;
  lines: string[];
  ready: Promise<void>;
  exited: Promise<void>;
  doneUptime: number | null;
  kexecUptime: number | null;
  error: string | null;
  release(): void;
}

async function freshDirs(toolbox: Toolbox, index: number): Promise<{ dataDir: string; runDir: string }> {
  const base = join(toolbox.ramDir, `n${String(index).padStart(2, '0')}`);
  await rm(base, { recursive: true, force: true });
  const dataDir = join(base, 'data');
  const runDir = join(base, 'run');
  await mkdir(dataDir, { recursive: true });
  await mkdir(runDir, { recursive: true });
  return { dataDir, runDir };
}

function launch(index: number, host: Host, argv: string[], dirs: { dataDir: string; runDir: string }, cleanup: Cleanup, account: CpuAccount): NodeProcess {
  // "ready" once the wrapper waits on stdin; one line on stdin releases it.
  const wrapper = `echo ${READY_LINE}; read _go; exec "$@"`;
  const child = spawn('ip', ['netns', 'exec', host.ns, '/usr/bin/busybox', 'sh', '-c', wrapper, 'bench-node', ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`BT_BENCH_NODE: could not start node ${index}`);
  cleanup.addPid(child.pid);
  void account.add(child.pid);
  const node: NodeProcess = {
    index,
    host,
    child,
    ...dirs,
    lines: [],
    ready: Promise.resolve(),
    exited: Promise.resolve(),
    doneUptime: null,
    kexecUptime: null,
    error: null,
    release: () => child.stdin?.end('go\n'),
  };
  let onReady: () => void = () => undefined;
  node.ready = new Promise<void>((resolve) => (onReady = resolve));
  const onLine = (line: string) => {
    if (node.lines.length < 5000) node.lines.push(line);
    if (line === READY_LINE) return onReady();
    const event = parseNodeLine(line);
    if (event?.kind === 'done') node.doneUptime ??= event.uptime;
    else if (event?.kind === 'kexec') node.kexecUptime ??= event.uptime;
    else if (event?.kind === 'failed') node.error ??= event.reason;
  };
  for (const stream of [child.stdout, child.stderr]) if (stream) createInterface({ input: stream }).on('line', onLine);
  child.stdin?.on('error', () => undefined);
  node.exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      cleanup.forgetPid(child.pid as number);
      onReady();
      resolve();
    });
  });
  return node;
}

/** A node that boots through the phase-1 agent against the real master. */
export async function startAgentNode(options: { index: number; host: Host; master: RunningMaster; toolbox: Toolbox; cleanup: Cleanup; account: CpuAccount }): Promise<NodeProcess> {
  const { index, host, master, toolbox } = options;
  const dirs = await freshDirs(toolbox, index);
  // What iPXE does before phase-1: ask for its script. The boot API counts a new boot for the
  // node then, so the reports of this run are not taken for late ones of the previous run.
  await run('ip', ['netns', 'exec', host.ns, 'curl', '-sf', '-o', '/dev/null', '--max-time', '5', `${master.apiUrl}/boot.ipxe?mac=${host.mac}`]).catch(() => undefined);
  const cmdline = join(dirs.runDir, '..', 'cmdline');
  await writeFile(cmdline, `console=ttyS0 bt.api=${master.apiUrl} bt.os=bench bt.node=${host.mac}\n`);
  const env = {
    PATH: toolbox.binDir,
    HOME: '/',
    BT_SKIP_INIT: '1',
    BT_CMDLINE_FILE: cmdline,
    BT_DATA_DIR: dirs.dataDir,
    BT_RUN_DIR: dirs.runDir,
    BT_KEXEC: toolbox.kexecRecorder,
    BT_ARIA2C: toolbox.aria2c,
  };
  const argv = ['/usr/bin/env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), '/usr/bin/busybox', 'sh', toolbox.agent];
  return launch(index, host, argv, dirs, options.cleanup, options.account);
}

/** A node that fetches the image over HTTP from the master: today's netboot. */
export async function startCentralNode(options: { index: number; host: Host; master: Host; project: BenchProject; toolbox: Toolbox; cleanup: Cleanup; account: CpuAccount }): Promise<NodeProcess> {
  const { index, host, project, toolbox } = options;
  const dirs = await freshDirs(toolbox, index);
  const base = `http://${options.master.address}:${CENTRAL_HTTP_PORT}`;
  const fetches = project.files.flatMap((file) => ['-o', join(dirs.dataDir, file), `${base}/${file}`]);
  const script = `curl -sS --fail ${fetches.map((a) => `'${a}'`).join(' ')}; rc=$?; echo "bt-bench-done $(cut -d' ' -f1 /proc/uptime) $rc"; exit $rc`;
  return launch(index, host, ['/usr/bin/busybox', 'sh', '-c', script], dirs, options.cleanup, options.account);
}

/** Bytes a node holds so far: allocated size of its data folder (tmpfs allocates what is written). */
export async function bytesOnDisk(dataDir: string): Promise<number> {
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && !entry.name.endsWith('.aria2')) total += await stat(path).then((s) => s.blocks * 512, () => 0);
    }
  };
  await walk(dataDir);
  return total;
}
