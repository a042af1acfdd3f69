import type { Command } from 'commander';
import { access, rm } from 'node:fs/promises';
import {
  DEFAULT_NODE_MEMORY_MIB,
  DEFAULT_NODES,
  DEFAULT_PAYLOAD_MIB,
  DEFAULT_TIMEOUT_S,
  LAB_MASTER_ADDRESS,
  OVMF_CODE,
  runLab,
  tearDownKeptLab,
  type FirmwareChoice,
  type LabDhcpMode,
  type LabResult,
} from '@boottorrent/lab';
import { CliError, EXIT_FAILURE } from '../errors.js';
import { color } from '../output.js';
import { resolveUserPath } from '../paths.js';
import { findRepoRoot } from '../supervisor/layout.js';
import { checkBinaries } from '../supervisor/preflight.js';
import { humanBytes } from '../supervisor/status-view.js';

interface LabCommandOptions {
  nodes: string;
  firmware: string;
  dhcp: string;
  os?: string;
  project?: string;
  payloadMib: string;
  brokenNodes: string;
  keep?: boolean;
  memory: string;
  timeout: string;
  artifacts?: string;
  dir?: string;
  json?: boolean;
  down?: string;
}

function positiveInt(value: string, flag: string, min = 1, max = 64): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${flag} must be a whole number from ${min} to ${max}, not "${value}".`, `e.g. ${flag} ${Math.max(min, 1)}`);
  return n;
}

function oneOf<T extends string>(value: string, flag: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new CliError(`${flag} must be one of ${allowed.join(', ')}, not "${value}".`, `e.g. ${flag} ${allowed[0]}`);
  return value as T;
}

/**
 * Who moved the bytes: the nodes' own upload (aria2c's figures, from their last progress
 * reports) against what the master's seeder sent (the tracker's figures).
 */
export function peerUploadSummary(result: LabResult): string {
  const uploadedByNodes = result.nodes.reduce((sum, node) => sum + (node.record?.progress?.uploaded ?? 0), 0);
  const fromMaster = result.swarms
    .flatMap((swarm) => swarm.peers)
    .filter((peer) => peer.address.startsWith(`${LAB_MASTER_ADDRESS}:`))
    .reduce((sum, peer) => sum + peer.uploaded, 0);
  return `nodes uploaded ${humanBytes(uploadedByNodes)} to each other (aria2c); the master's seeder sent ${humanBytes(fromMaster)} (tracker)`;
}

export function registerLab(program: Command): void {
  program
    .command('lab')
    .description('boot virtual machines over the whole stack in a private network namespace: PXE, iPXE, phase-1, swarm, kexec')
    .option('-n, --nodes <n>', 'virtual machines that boot the OS', String(DEFAULT_NODES))
    .option('--firmware <kind>', 'bios (SeaBIOS), uefi (OVMF) or mixed', 'bios')
    .option('--dhcp <mode>', 'full (BootTorrent hands out addresses) or proxy (beside a separate DHCP server)', 'full')
    .option('--os <name>', 'OS to boot (default: the demo OS; with --project, one of its OSes)')
    .option('--project <dir>', 'take OS folders from this project (nodes then succeed at kexec)')
    .option('--payload-mib <m>', 'padding added to the demo OS so the swarm moves real bytes', String(DEFAULT_PAYLOAD_MIB))
    .option('--broken-nodes <k>', 'extra nodes pinned to an OS whose files go missing: they must end in failed', '0')
    .option('--keep', 'leave the lab running at the end (tear it down with --down <dir>)')
    .option('--memory <mib>', 'RAM per virtual machine', String(DEFAULT_NODE_MEMORY_MIB))
    .option('--timeout <seconds>', 'give up on nodes that are not done by then', String(DEFAULT_TIMEOUT_S))
    .option('--artifacts <dir>', 'phase-1 kernel+initrd (built there when missing; default <repo>/.cache/phase1)')
    .option('--dir <dir>', 'work folder for the lab\'s project, state, consoles and logs (default: a new temp folder)')
    .option('--json', 'print the result (timeline, node records, swarm figures) as JSON at the end')
    .option('--down <dir>', 'tear down a lab left running by --keep')
    .action(async (options: LabCommandOptions) => {
      if (process.geteuid?.() !== 0) throw new CliError('the lab needs root: it creates network namespaces, a bridge and taps.', 'run it as root (e.g. sudo pnpm boottorrent lab)');
      if (options.down) {
        await tearDownKeptLab(resolveUserPath(options.down));
        process.stdout.write(`lab in ${options.down} torn down\n`);
        return;
      }
      const nodes = positiveInt(options.nodes, '--nodes');
      const brokenNodes = positiveInt(options.brokenNodes, '--broken-nodes', 0, 8);
      const firmware = oneOf<FirmwareChoice>(options.firmware, '--firmware', ['bios', 'uefi', 'mixed']);
      const dhcp = oneOf<LabDhcpMode>(options.dhcp, '--dhcp', ['full', 'proxy']);
      const missing = checkBinaries(['qemu-system-x86_64', 'dnsmasq', 'nats-server', 'busybox']);
      if (firmware !== 'bios') await access(OVMF_CODE).catch(() => missing.push({ code: 'BT_PREFLIGHT_BINARY', message: `UEFI firmware ${OVMF_CODE} is missing`, fix: 'install it: apt-get install ovmf' }));
      if (missing.length > 0) throw new CliError(missing.map((problem) => problem.message).join('; '), missing.map((problem) => problem.fix).join('; '));

      const abort = new AbortController();
      const onSignal = () => {
        process.stderr.write('\nstopping the lab (nodes, master, namespaces)...\n');
        abort.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let result: LabResult;
      try {
        result = await runLab({
          repoRoot: findRepoRoot(),
          nodes,
          firmware,
          dhcp,
          ...(options.os ? { os: options.os } : {}),
          ...(options.project ? { project: resolveUserPath(options.project) } : {}),
          payloadMib: positiveInt(options.payloadMib, '--payload-mib', 0, 4096),
          brokenNodes,
          keep: options.keep ?? false,
          memoryMib: positiveInt(options.memory, '--memory', 256, 8192),
          timeoutS: positiveInt(options.timeout, '--timeout', 10, 24 * 3600),
          ...(options.artifacts ? { artifactsDir: resolveUserPath(options.artifacts) } : {}),
          ...(options.dir ? { workDir: resolveUserPath(options.dir) } : {}),
          json: options.json ?? false,
          live: process.stdout.isTTY === true && !options.json,
          signal: abort.signal,
          print: (text) => process.stdout.write(text),
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (options.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } else {
        process.stdout.write(`\n${result.timelineText}\n${peerUploadSummary(result)}\n`);
        if (options.keep) process.stdout.write(`lab kept running in ${result.workDir}; tear it down with: boottorrent lab --down ${result.workDir}\n`);
      }
      if (!result.ok) {
        throw new CliError(`the lab did not boot as expected: ${result.reason}.`, `read the node consoles and master.log in ${result.workDir}`, EXIT_FAILURE);
      }
      process.stdout.write(`${color.green('ok')}: ${result.reason}\n`);
      if (!options.keep && !options.dir) await rm(result.workDir, { recursive: true, force: true });
    });
}
