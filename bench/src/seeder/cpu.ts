import { readFile } from 'node:fs/promises';

/** Busy share of all cores between two /proc/stat readings. */
async function cpuTimes(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n').find((l) => l.startsWith('cpu '));
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/**
 * How busy the machine was during a measurement (0..1 of all cores). On 2 shared cores a
 * transfer that saturates the CPU measures the CPU, not the peer: the table shows it.
 */
export async function withCpu<T>(work: () => Promise<T>): Promise<{ value: T; busy: number }> {
  const start = await cpuTimes();
  const value = await work();
  const end = await cpuTimes();
  const total = end.total - start.total;
  return { value, busy: total > 0 ? (end.busy - start.busy) / total : 0 };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; null if gone. */
export async function processCpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state (field 3).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch {
    return null;
  }
}
