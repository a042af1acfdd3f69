import { readFile, rm, writeFile } from 'node:fs/promises';
import { isAlive } from '@boottorrent/runtime';

export { isAlive };

/** The PID recorded in `file` when that process still runs; a stale file is removed. */
export async function runningPid(file: string): Promise<number | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  const pid = Number.parseInt(text.trim(), 10);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return pid;
  await rm(file, { force: true });
  return null;
}

export async function writePid(file: string, pid: number): Promise<void> {
  await writeFile(file, `${pid}\n`, { flag: 'w' });
}

/** Removes the pidfile only when it still names `pid` (a newer master may have taken over). */
export async function removePid(file: string, pid: number): Promise<void> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text !== null && Number.parseInt(text.trim(), 10) === pid) await rm(file, { force: true });
}
