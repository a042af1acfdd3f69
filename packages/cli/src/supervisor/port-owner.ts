import { readdir, readFile, readlink } from 'node:fs/promises';

export interface PortOwner {
  pid: number;
  command: string;
}

const TCP_LISTEN = '0A';

/** Socket inodes bound to `port` (TCP listening, or UDP), from /proc/net. */
async function socketInodes(protocol: 'tcp' | 'udp', port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const table of [`/proc/net/${protocol}`, `/proc/net/${protocol}6`]) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const state = fields[3];
      const inode = fields[9];
      if (!local || !inode) continue;
      const localPort = Number.parseInt(local.split(':').pop() ?? '', 16);
      if (localPort !== port) continue;
      if (protocol === 'tcp' && state !== TCP_LISTEN) continue;
      inodes.add(inode);
    }
  }
  return inodes;
}

/** Which process holds `port`, by walking /proc/<pid>/fd (root sees every process). */
export async function findPortOwner(protocol: 'tcp' | 'udp', port: number): Promise<PortOwner | null> {
  const inodes = await socketInodes(protocol, port);
  if (inodes.size === 0) return null;
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match && inodes.has(match[1]!)) {
        const command = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
        return { pid: Number(pid), command };
      }
    }
  }
  return null;
}
