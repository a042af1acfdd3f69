import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeRecord } from '@boottorrent/contracts';
import { defaultProjectFile, renderProjectFile } from '@boottorrent/project';
import { addVethPair, Netns, shapeEgress, shortId, waitFor, type ManagedProcess } from '@boottorrent/testing';
import { REPO_ROOT } from '../../src/config.js';

/*
 * A master on a lab bridge, made of the real services: nats-server, config (boot API),
 * tracker and seeder, each a process inside the lab namespace, serving a project folder
 * with demo OSes. Nodes are namespaces plugged into the bridge; the phase-1 agent runs in
 * one as on a node (BT_SKIP_INIT=1: the namespace already has its address), with the
 * initrd's own busybox and aria2c, and kexec replaced by a recorder.
 */

export const LAB_PREFIX = '10.83.0';
export const MASTER = `${LAB_PREFIX}.1`;
export const API_URL = `http://${MASTER}:8080`;
export const BRIDGE = 'br0';

export function serviceMain(service: 'config' | 'seeder' | 'tracker'): string {
  return join(REPO_ROOT, 'services', service, 'dist', 'src', 'main.js');
}

export interface LingerSettings {
  until_swarm_done: boolean;
  min_seconds: number;
  max_seconds: number;
  max_ratio: number;
}

export interface AgentRun {
  mac: string;
  proc: ManagedProcess;
  runDir: string;
  dataDir: string;
  /** Each kexec invocation's arguments, in order. */
  kexecCalls(): Promise<string[][]>;
  /** Every report the agent POSTed: uptime seconds, whether the POST succeeded, the body. */
  reports(): Promise<{ at: number; ok: boolean; body: Record<string, unknown> }[]>;
  /** "CODE: message" when the agent failed. */
  failure(): Promise<string | null>;
}

/** Reads a ?format=env answer (NAME='value' lines). */
export function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)='(.*)'$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) env[match[1]] = match[2].replaceAll("'\\''", "'");
  }
  return env;
}

export class AgentLab {
  private readonly cleanups: (() => Promise<unknown>)[] = [];
  readonly services = new Map<string, ManagedProcess>();
  private nextOctet = 11;

  private constructor(
    readonly ns: Netns,
    readonly workDir: string,
    readonly projectDir: string,
    /** The unpacked phase-1 initrd whose busybox, aria2c and agent run on the nodes. */
    readonly p1root: string,
  ) {}

  /** Creates the lab: namespace + bridge, project folder with `oses`, NATS and the services. */
  static async start(options: { p1root: string; oses: Record<string, string>; linger: LingerSettings; webSeedAfter?: number }): Promise<AgentLab> {
    const workDir = await mkdtemp(join(tmpdir(), 'bt-agent-lab-'));
    await chmod(workDir, 0o755);
    const ns = await Netns.create('btag');
    const lab = new AgentLab(ns, workDir, join(workDir, 'project'), options.p1root);
    lab.cleanups.push(() => rm(workDir, { recursive: true, force: true }), () => ns.delete());
    try {
      await ns.exec('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
      await ns.exec('ip', ['link', 'set', BRIDGE, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
      await ns.exec('ip', ['addr', 'add', `${MASTER}/24`, 'dev', BRIDGE]);
      await ns.exec('ip', ['link', 'set', BRIDGE, 'up']);
      await lab.writeProject(options.oses, options.linger, options.webSeedAfter);
      await lab.startServices(Object.keys(options.oses));
    } catch (err) {
      await lab.dispose();
      throw err;
    }
    return lab;
  }

  private async writeProject(oses: Record<string, string>, linger: LingerSettings, webSeedAfter?: number): Promise<void> {
    const base = defaultProjectFile({ address: MASTER, interface: BRIDGE });
    const phase1 = { ...base.phase1, web_seed_after: webSeedAfter ?? base.phase1.web_seed_after };
    const project = { ...base, dhcp: { ...base.dhcp, mode: 'off' as const }, linger, phase1 };
    await mkdir(join(this.projectDir, 'oss'), { recursive: true });
    await writeFile(join(this.projectDir, 'Boottorrent.yaml'), renderProjectFile(project));
    for (const [name, source] of Object.entries(oses)) {
      const dir = join(this.projectDir, 'oss', name);
      await cp(source, dir, { recursive: true, preserveTimestamps: true });
      // Each OS needs its own menu name.
      const config = await readFile(join(dir, 'config.yaml'), 'utf8');
      await writeFile(join(dir, 'config.yaml'), config.replace(/^dispname: .*$/m, `dispname: "demo OS ${name}"`));
    }
  }

  private spawnService(name: string, command: string, args: string[], env: Record<string, string> = {}): ManagedProcess {
    const proc = this.ns.spawn(name, command, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', BT_NATS_URL: 'nats://127.0.0.1:4222', BT_LOG_LEVEL: 'info', ...env },
    });
    this.services.set(name, proc);
    return proc;
  }

  private async startServices(oses: string[]): Promise<void> {
    this.spawnService('nats', 'nats-server', ['-a', '127.0.0.1', '-p', '4222', '-js', '-sd', join(this.workDir, 'nats')]);
    await this.services.get('nats')?.waitForLine(/Server is ready/, 15_000);
    const common = { BT_PROJECT_DIR: this.projectDir };
    this.spawnService('config', process.execPath, [serviceMain('config')], { ...common, BT_STATE_DIR: join(this.workDir, 'state', 'config') });
    this.spawnService('tracker', process.execPath, [serviceMain('tracker')]);
    this.spawnService('seeder', process.execPath, [serviceMain('seeder')], { ...common, BT_STATE_DIR: join(this.workDir, 'state', 'seeder') });
    for (const os of oses) {
      await waitFor(async () => (await this.curlStatus(`${API_URL}/api/manifest/${os}`)) === 200, {
        timeoutMs: 60_000,
        intervalMs: 300,
        what: `the boot API to serve the manifest of ${os} (services: ${this.serviceTails()})`,
      });
    }
  }

  serviceTails(): string {
    return [...this.services].map(([name, proc]) => `\n--- ${name}\n${proc.lines.slice(-8).join('\n')}`).join('');
  }

  /** GET inside the lab namespace; the HTTP status (0 when nothing answered). */
  async curlStatus(url: string): Promise<number> {
    const out = await this.ns.exec('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', url]).catch(() => '0');
    return Number(out.trim()) || 0;
  }

  async curlText(url: string, output?: string): Promise<string> {
    return this.ns.exec('curl', ['-sf', '--max-time', '10', ...(output ? ['-o', output] : []), url]);
  }

  async nodeRecord(mac: string): Promise<NodeRecord | null> {
    const text = await this.curlText(`${API_URL}/api/nodes/${mac}`).catch(() => null);
    return text ? (JSON.parse(text) as NodeRecord) : null;
  }

  async manifestEnv(os: string): Promise<Record<string, string>> {
    return parseEnv(await this.curlText(`${API_URL}/api/manifest/${os}?format=env`));
  }

  /** What the linger policy asks: GET /api/swarms/:infoHash?format=env. */
  async swarmEnv(infoHash: string): Promise<Record<string, string>> {
    return parseEnv(await this.curlText(`${API_URL}/api/swarms/${infoHash}?format=env`));
  }

  /**
   * A node namespace on the bridge with the given MAC; with `downMbit`, traffic towards it
   * is shaped (tbf on the bridge side) so that its download takes a while.
   */
  async node(mac: string, options: { downMbit?: number } = {}): Promise<Netns> {
    const node = await Netns.create('btagn');
    this.cleanups.push(() => node.delete());
    const bridgeSide = `vb${shortId(6)}`;
    await addVethPair({ ns: this.ns, name: bridgeSide, bridge: BRIDGE }, { ns: node, name: 'eth0' });
    await node.exec('ip', ['link', 'set', 'eth0', 'down']);
    await node.exec('ip', ['link', 'set', 'eth0', 'address', mac]);
    await node.exec('ip', ['addr', 'add', `${LAB_PREFIX}.${this.nextOctet++}/24`, 'dev', 'eth0']);
    await node.exec('ip', ['link', 'set', 'eth0', 'up']);
    if (options.downMbit) await shapeEgress(this.ns, bridgeSide, options.downMbit);
    return node;
  }

  /** Writes the kexec recorder: one line per argument, "--" after each call. */
  private async kexecRecorder(runDir: string, mode: 'record' | 'refuse'): Promise<string> {
    const path = join(runDir, 'kexec-recorder');
    const calls = join(runDir, 'kexec.calls');
    const body = [
      `#!${join(this.p1root, 'bin', 'sh')}`,
      '# Stands in for kexec: records its arguments.',
      `for a in "$@"; do printf '%s\\n' "$a"; done >>'${calls}'`,
      `echo -- >>'${calls}'`,
      ...(mode === 'refuse'
        ? ['echo "kexec_load failed: Operation not permitted" >&2', 'exit 1']
        : ['# A real kexec -e never returns: the new kernel replaces everything, the agent included.', '[ "$1" = -e ] && kill -KILL $PPID', 'exit 0']),
    ];
    await writeFile(path, `${body.join('\n')}\n`, { mode: 0o755 });
    return path;
  }

  /** Runs the phase-1 agent in `node` (as /init would, minus modprobe/DHCP). */
  async runAgent(
    node: Netns,
    options: { mac: string; cmdline: string; kexec?: 'record' | 'refuse'; env?: Record<string, string> },
  ): Promise<AgentRun> {
    const dir = join(this.workDir, 'nodes', `${options.mac.replaceAll(':', '')}-${shortId(4)}`);
    const runDir = join(dir, 'run');
    const dataDir = join(dir, 'data');
    await mkdir(runDir, { recursive: true });
    const cmdlineFile = join(dir, 'cmdline');
    await writeFile(cmdlineFile, `${options.cmdline}\n`);
    const kexec = await this.kexecRecorder(runDir, options.kexec ?? 'record');
    const root = this.p1root;
    const env = {
      PATH: ['usr/sbin', 'usr/bin', 'sbin', 'bin'].map((d) => join(root, d)).join(':'),
      BT_SKIP_INIT: '1',
      BT_CMDLINE_FILE: cmdlineFile,
      BT_RUN_DIR: runDir,
      BT_DATA_DIR: dataDir,
      BT_KEXEC: kexec,
      ...options.env,
    };
    // env -i: the agent sees only the initrd's tools, as on a node.
    const args = ['-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), join(root, 'bin', 'sh'), join(root, 'usr', 'bin', 'bt-agent')];
    const proc = node.spawn(`agent-${options.mac}`, 'env', args);
    return {
      mac: options.mac,
      proc,
      runDir,
      dataDir,
      kexecCalls: async () => {
        const text = await readFile(join(runDir, 'kexec.calls'), 'utf8').catch(() => '');
        const calls: string[][] = [];
        let current: string[] = [];
        for (const line of text.split('\n').slice(0, -1)) {
          if (line === '--') {
            calls.push(current);
            current = [];
          } else current.push(line);
        }
        return calls;
      },
      reports: async () => {
        const text = await readFile(join(runDir, 'reports.log'), 'utf8').catch(() => '');
        return text
          .split('\n')
          .filter((line) => line.length > 0)
          .map((line) => {
            const [at, ok, ...rest] = line.split(' ');
            return { at: Number(at), ok: ok === 'ok', body: JSON.parse(rest.join(' ')) as Record<string, unknown> };
          });
      },
      failure: async () => (await readFile(join(runDir, 'failure'), 'utf8').catch(() => null))?.trim() ?? null,
    };
  }

  /** Pauses (SIGSTOP) or resumes (SIGCONT) a service process, by the PID we started. */
  signalService(name: string, signal: 'SIGSTOP' | 'SIGCONT'): void {
    const proc = this.services.get(name);
    if (!proc) throw new Error(`no service ${name}`);
    process.kill(proc.pid, signal);
  }

  /** Registers extra cleanup (run before the lab's own, in reverse order). */
  onDispose(cleanup: () => Promise<unknown>): void {
    this.cleanups.push(cleanup);
  }

  async dispose(): Promise<void> {
    // Resume anything paused, or it would never see its SIGTERM.
    for (const proc of this.services.values()) {
      try {
        process.kill(proc.pid, 'SIGCONT');
      } catch {
        // Already gone.
      }
    }
    for (const cleanup of this.cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}
