import { readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@boottorrent/runtime';

const POLL_MS = 50;

async function commandLine(pid: number): Promise<string[] | null> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  } catch {
    return null;
  }
}

/**
 * A service killed hard (SIGKILL, OOM) leaves its dnsmasq running, holding port 67, and the
 * next start would fail to bind. The pid file names that dnsmasq; it is stopped only if that
 * PID still runs dnsmasq with our configuration file, so a reused PID is never touched.
 */
export async function reapOrphan(pidFile: string, configFile: string, graceMs: number, logger: Logger): Promise<void> {
  const text = await readFile(pidFile, 'utf8').catch(() => null);
  if (text === null) return;
  const pid = Number(text.trim());
  const ours = async () => Number.isInteger(pid) && pid > 0 && (await commandLine(pid))?.includes(`--conf-file=${configFile}`) === true;
  if (await ours()) {
    logger.warn({ pid }, 'stopping the dnsmasq an earlier run of the service left behind');
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while ((await ours()) && Date.now() < deadline) await sleep(POLL_MS);
    if (await ours()) process.kill(pid, 'SIGKILL');
  }
  await rm(pidFile, { force: true });
}
