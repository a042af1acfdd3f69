import { readFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import { run } from '@boottorrent/testing';

/** The machine a result was measured on: figures mean little without it. */
export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  kernel: string;
  ramGiB: number;
  node: string;
  aria2c: string;
  /** 1/5/15-minute load averages when the benchmark started (the machine is shared). */
  loadAtStart: [number, number, number];
}

export async function describeMachine(aria2c: string): Promise<MachineInfo> {
  const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).map(Number) as [number, number, number];
  const version = await run(aria2c, ['--version']).then((out) => out.split('\n')[0]?.trim() ?? '?', () => 'unknown');
  return {
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    kernel: release(),
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    aria2c: `${version} (${aria2c})`,
    loadAtStart: load,
  };
}

export function machineLines(machine: MachineInfo): string[] {
  return [
    `- CPU: ${machine.nproc} x ${machine.cpuModel} (\`nproc\` = ${machine.nproc})`,
    `- RAM: ${machine.ramGiB} GiB; kernel ${machine.kernel}; Node ${machine.node}`,
    `- aria2c: ${machine.aria2c}`,
    `- load average at start: ${machine.loadAtStart.join(' / ')} (1/5/15 min; the machine is shared with other work)`,
  ];
}
