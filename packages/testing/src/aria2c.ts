import type { Netns } from './netns.js';
import { startProcess, type ManagedProcess } from './process.js';

/** One aria2c BitTorrent peer, configured as phase-1 runs it: no DHT, no LPD, our tracker only. */
export interface Aria2cPeerOptions {
  /** Path of the .torrent file. */
  torrent: string;
  /** Download folder; a multi-file torrent lands in <dir>/<name>/<path>. */
  dir: string;
  /** TCP port for peers; each aria2c on one host needs its own. */
  listenPort: number;
  /** Keep seeding forever after completion (an aria2c seed); default: exit once complete. */
  seed?: boolean;
  /** Hash-check existing data before starting (default true). */
  checkIntegrity?: boolean;
  /** Extra aria2c arguments, e.g. ["--bt-exclude-tracker=*"]. */
  extraArgs?: readonly string[];
  /** Run inside this network namespace (stopped with it). */
  netns?: Netns;
}

export function aria2cArgs(options: Aria2cPeerOptions): string[] {
  return [
    '--enable-dht=false',
    '--enable-dht6=false',
    '--bt-enable-lpd=false',
    '--enable-peer-exchange=true',
    '--disable-ipv6=true',
    `--check-integrity=${options.checkIntegrity === false ? 'false' : 'true'}`,
    ...(options.seed ? ['--seed-ratio=0.0'] : ['--seed-time=0']),
    `--dir=${options.dir}`,
    `--listen-port=${options.listenPort}`,
    '--file-allocation=none',
    '--allow-overwrite=true',
    '--auto-file-renaming=false',
    '--summary-interval=1',
    '--console-log-level=notice',
    '--bt-tracker-connect-timeout=5',
    '--bt-tracker-timeout=10',
    ...(options.extraArgs ?? []),
    options.torrent,
  ];
}

/** Starts aria2c; its output lines (progress summaries included) are kept on the process. */
export function startAria2c(label: string, options: Aria2cPeerOptions): ManagedProcess {
  const args = aria2cArgs(options);
  return options.netns ? options.netns.spawn(label, 'aria2c', args) : startProcess(label, 'aria2c', args);
}

/** The percentage in an aria2c progress line ("[#2089b0 12MiB/32MiB(37%) CN:2 ...]"), or null. */
export function aria2cPercent(line: string): number | null {
  const match = /\[#\w+ [^\]]*?\((\d+)%\)/.exec(line);
  return match ? Number(match[1]) : null;
}

/** Resolves when aria2c exits 0 (download complete and verified), rejects otherwise or on timeout. */
export async function aria2cDone(proc: ManagedProcess, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${proc.name} did not finish within ${timeoutMs} ms:\n${proc.lines.slice(-30).join('\n')}`)), timeoutMs);
  });
  try {
    const code = await Promise.race([proc.exited, timeout]);
    if (code !== 0) throw new Error(`${proc.name} exited with ${code}:\n${proc.lines.slice(-30).join('\n')}`);
  } finally {
    clearTimeout(timer);
  }
}
