import { execFile } from 'node:child_process';
import { access, chmod, chown, copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '@boottorrent/runtime';
import { IPXE_BINARIES } from './client-arch.js';
import { IpxeMissing, UnknownUser } from './errors.js';

export interface FileOwner {
  uid: number;
  gid: number;
}

/**
 * The owner the TFTP files need: with tftp-secure, dnsmasq serves only files owned by the user
 * it runs as. Only root can hand files to another user, and only a root dnsmasq changes user,
 * so a service not running as root leaves ownership alone (null).
 */
export async function tftpOwner(user: string): Promise<FileOwner | null> {
  if (process.getuid?.() !== 0) return null;
  const id = async (flag: string) => Number((await promisify(execFile)('id', [flag, user])).stdout.trim());
  try {
    return { uid: await id('-u'), gid: await id('-g') };
  } catch {
    throw new UnknownUser(user);
  }
}

/**
 * Fills `tftpRoot` with the iPXE binaries from `ipxeDir` (symlinks followed: Debian's ipxe.efi
 * points into /boot) and removes anything else, so TFTP can serve nothing but them. Each file
 * is copied beside the root (same file system) and renamed into it, so a transfer in progress
 * never sees a half-written file.
 */
export async function prepareTftpRoot(options: { ipxeDir: string; tftpRoot: string; owner: FileOwner | null; logger: Logger }): Promise<void> {
  const { ipxeDir, tftpRoot, owner, logger } = options;
  const missing: string[] = [];
  for (const name of IPXE_BINARIES) {
    await access(join(ipxeDir, name)).catch(() => missing.push(name));
  }
  if (missing.length > 0) throw new IpxeMissing(ipxeDir, missing.join(', '));

  await mkdir(tftpRoot, { recursive: true });
  // dnsmasq opens files after dropping privileges: the folder and its parent (ours too) must
  // be searchable by its user.
  await chmod(dirname(tftpRoot), 0o755);
  await chmod(tftpRoot, 0o755);
  for (const entry of await readdir(tftpRoot)) {
    if (IPXE_BINARIES.includes(entry)) continue;
    logger.warn({ tftpRoot, entry }, 'removed a file the TFTP root must not serve');
    await rm(join(tftpRoot, entry), { recursive: true, force: true });
  }
  for (const name of IPXE_BINARIES) {
    const target = join(tftpRoot, name);
    const partial = join(dirname(tftpRoot), `.${name}.partial`);
    await copyFile(join(ipxeDir, name), partial);
    await chmod(partial, 0o644);
    if (owner) await chown(partial, owner.uid, owner.gid);
    await rename(partial, target);
  }
}
