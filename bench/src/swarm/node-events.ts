/*
 * What a node's output says, line by line. The phase-1 agent stamps its lines with the
 * uptime clock ("[bt 1732.35] ..."), the central scenario's wrapper prints the same clock:
 * both are compared with the uptime read when the nodes were released, so pipe and
 * scheduling delays in the harness do not enter the figures.
 */

export type NodeEvent =
  | { kind: 'done'; uptime: number }
  | { kind: 'kexec'; uptime: number }
  | { kind: 'failed'; uptime: number | null; reason: string };

/** Printed by the wrapper of every node once it waits for the start signal. */
export const READY_LINE = 'bt-bench-ready';

export function parseNodeLine(line: string): NodeEvent | null {
  const agent = /^\[bt\s+([\d.]+)\] (.*)$/.exec(line);
  if (agent) {
    const uptime = Number(agent[1]);
    const text = agent[2] as string;
    if (text.startsWith('download complete')) return { kind: 'done', uptime };
    if (text === 'kexec -e') return { kind: 'kexec', uptime };
    const failed = /^FAILED (\S+): (.*)$/.exec(text);
    if (failed) return { kind: 'failed', uptime, reason: `${failed[1]}: ${failed[2]}` };
    return null;
  }
  const central = /^bt-bench-done ([\d.]+) (\d+)$/.exec(line);
  if (central) {
    const uptime = Number(central[1]);
    return central[2] === '0' ? { kind: 'done', uptime } : { kind: 'failed', uptime, reason: `HTTP client exited with ${central[2]}` };
  }
  return null;
}
