import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive } from '@boottorrent/runtime';
import { LabNetwork, run, type Netns } from '@boottorrent/testing';
import { ensureDemoOs, ensurePhase1, readJsonFile } from './artifacts.js';
import { DEMO_OS, LAB_BRIDGE, LAB_PREFIX, LAB_ROUTER_OCTET, firmwareFor, type FirmwareChoice, type LabDhcpMode, type LabNodePlan, type LabPlan } from './config.js';
import { projectOsFolders, writeLabProject } from './lab-project.js';
import type { ExternalMaster, LabMasterStarter } from './master.js';
import { labMac } from './qemu.js';
import type { LabResult, LabRuntime } from './session.js';

export interface LabOptions {
  repoRoot: string;
  nodes: number;
  firmware: FirmwareChoice;
  dhcp: LabDhcpMode;
  /** OS the nodes boot (default: the demo OS). */
  os?: string;
  /** Take OS folders from this project (with --os). */
  project?: string;
  payloadMib: number;
  /** Extra nodes pinned to an OS whose files go missing: they must end in `failed`. */
  brokenNodes: number;
  keep: boolean;
  memoryMib: number;
  timeoutS: number;
  /** Phase-1 artifacts (default <repo>/.cache/phase1). */
  artifactsDir?: string;
  /** Where the lab keeps its project, state, consoles and logs (default: a new temp folder). */
  workDir?: string;
  json: boolean;
  live: boolean;
  signal: AbortSignal;
  print: (text: string) => void;
  /**
   * Runs the master instead of `boottorrent start` (e.g. composeMaster: the containerized
   * stack). Started once the lab network and project exist, stopped when the lab ends (a kept
   * lab leaves it running: its owner stops it).
   */
  master?: LabMasterStarter;
}

/** What a kept lab leaves behind for `lab --down`. */
export interface KeptLab {
  netns: string[];
  workDir: string;
}

export async function runLab(options: LabOptions): Promise<LabResult> {
  const say = (line: string) => options.print(`${line}\n`);
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'boottorrent-lab-')));
  await mkdir(workDir, { recursive: true });
  const cacheDir = join(options.repoRoot, '.cache');
  const artifactsDir = options.artifactsDir ?? join(cacheDir, 'phase1');
  await ensurePhase1(options.repoRoot, artifactsDir, say);

  const osFolders: Record<string, string> = options.project ? await projectOsFolders(options.project) : {};
  const os = options.os ?? DEMO_OS;
  if (os === DEMO_OS || !options.project) osFolders[DEMO_OS] = await ensureDemoOs(options.repoRoot, join(cacheDir, 'demo-os'), options.payloadMib, say);
  if (!osFolders[os]) throw new Error(`no OS "${os}" ${options.project ? `in ${options.project}/oss` : '(without --project only the demo OS exists)'}`);

  const nodes: LabNodePlan[] = [];
  for (let i = 0; i < options.nodes + options.brokenNodes; i++) {
    const broken = i >= options.nodes;
    nodes.push({
      name: broken ? `broken${i - options.nodes + 1}` : `node${i + 1}`,
      mac: labMac(i + 1),
      tap: `tap${i + 1}`,
      firmware: firmwareFor(options.firmware, i),
      broken,
    });
  }
  const projectDir = join(workDir, 'project');
  await writeLabProject({ projectDir, dhcp: options.dhcp, os, nodes, osFolders });

  const lab = await LabNetwork.create({ prefix: LAB_PREFIX, bridge: LAB_BRIDGE, nsPrefix: 'btlab' });
  let router: Netns | null = null;
  let external: ExternalMaster | null = null;
  let kept = false;
  try {
    if (options.dhcp === 'proxy') router = await lab.attach({ hostOctet: LAB_ROUTER_OCTET, nsPrefix: 'btrtr' });
    if (options.master) {
      external = await options.master.start({ netns: lab.ns.name, projectDir, artifactsDir, workDir, repoRoot: options.repoRoot, print: say });
      say(`master: ${external.description}`);
    }
    const plan: LabPlan = {
      workDir,
      projectDir,
      stateDir: join(workDir, 'state'),
      artifactsDir,
      repoRoot: options.repoRoot,
      dhcp: options.dhcp,
      os,
      successState: os === DEMO_OS ? 'booted' : 'kexec',
      nodes,
      routerNetns: router?.name ?? null,
      memoryMib: options.memoryMib,
      timeoutS: options.timeoutS,
      keep: options.keep,
      json: options.json,
      live: options.live,
      master: external ? 'external' : 'boottorrent-start',
    };
    const planFile = join(workDir, 'plan.json');
    await writeFile(planFile, `${JSON.stringify(plan, null, 2)}\n`);
    say(`lab network: namespace ${lab.ns.name}, bridge ${LAB_BRIDGE} ${LAB_PREFIX}.0/24; work folder ${workDir}`);

    const inner = spawn('ip', ['netns', 'exec', lab.ns.name, process.execPath, fileURLToPath(new URL('./inner-main.js', import.meta.url)), planFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    inner.stdout.on('data', (chunk: Buffer) => options.print(chunk.toString()));
    inner.stderr.on('data', (chunk: Buffer) => options.print(chunk.toString()));
    const onAbort = () => inner.kill('SIGINT');
    options.signal.addEventListener('abort', onAbort, { once: true });
    await new Promise<void>((resolve) => inner.once('exit', () => resolve()));
    options.signal.removeEventListener('abort', onAbort);

    const result = (await readJsonFile<LabResult>(join(workDir, 'result.json'))) ?? {
      ok: false,
      reason: 'the lab session ended without a result',
      nodes: [],
      swarms: [],
      timeline: [],
      timelineText: '',
      totalSeconds: null,
      workDir,
    };
    if (options.keep) {
      kept = true;
      const keptLab: KeptLab = { netns: [lab.ns.name, ...(router ? [router.name] : [])], workDir };
      await writeFile(join(workDir, 'lab.json'), `${JSON.stringify(keptLab, null, 2)}\n`);
    }
    return result;
  } finally {
    if (!kept) {
      try {
        await external?.stop();
      } finally {
        await lab.delete();
      }
    }
  }
}

/** Tears down a lab kept with --keep: its processes (by recorded PID), namespaces and work folder. */
export async function tearDownKeptLab(workDir: string): Promise<void> {
  const keptLab = await readJsonFile<KeptLab>(join(workDir, 'lab.json'));
  if (!keptLab) throw new Error(`${workDir} holds no kept lab (no lab.json)`);
  const runtime = await readJsonFile<LabRuntime>(join(workDir, 'runtime.json'));
  const pids = [...(runtime?.qemuPids ?? []), runtime?.masterPid ?? null, runtime?.routerDhcpPid ?? null].filter((pid): pid is number => typeof pid === 'number' && pid > 0);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && pids.some((pid) => isAlive(pid))) await new Promise((r) => setTimeout(r, 200));
  for (const netns of keptLab.netns) await run('ip', ['netns', 'delete', netns]).catch(() => undefined);
  await rm(workDir, { recursive: true, force: true });
}
