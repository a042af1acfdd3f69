import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { OsDesired } from '@boottorrent/contracts';
import type { BtError } from '@boottorrent/runtime';
import { FileMismatch, FileMissing, FileOutsideProject, FileUnreadable } from './errors.js';

/**
 * One file of an OS, opened for the life of a torrent.
 *
 * The seeder hashes and serves every torrent from file handles it opened once. That is what
 * lets an old torrent keep seeding after the user replaced the OS's files: a file replaced by
 * rename (cp to a temporary name + mv, rsync, most editors and build tools) leaves the old
 * inode alive behind our handle, so the old info-hash is still served with its own bytes. A
 * file overwritten in place cannot be saved that way: its old bytes are gone, so the torrent is
 * retired at once rather than serving data that fails every piece check (see `changedFile`).
 */
export interface OpenedFile {
  /** Path inside the torrent (relative to the OS folder, "/" separated). */
  readonly path: string;
  readonly absPath: string;
  readonly length: number;
  readonly handle: FileHandle;
  /** size and mtime when opened: a change of either through our handle means an in-place overwrite. */
  readonly mtimeMs: number;
  /** Identifies exactly these bytes on this host (device, inode, size, times), for the hash cache. */
  readonly identity: string;
}

/**
 * How long an "unchanged" answer for a file is trusted. The swarm asks before every piece it
 * reads (a few hundred times a second per leecher at LAN speed); one fstat per file per quarter
 * second bounds how long an in-place overwrite can go unnoticed without a syscall per piece.
 */
export const CHANGE_CHECK_MS = 250;

export class OpenedOs {
  private closed = false;
  private readonly checkedAt = new Map<OpenedFile, number>();

  constructor(
    readonly name: string,
    readonly files: readonly OpenedFile[],
  ) {}

  get length(): number {
    return this.files.reduce((sum, file) => sum + file.length, 0);
  }

  /**
   * True when the file's bytes behind our handle were changed in place since it was opened.
   * `fresh` skips the short-lived cache of "unchanged" answers.
   */
  async fileChanged(file: OpenedFile, fresh = false): Promise<boolean> {
    if (this.closed) return true;
    const now = Date.now();
    if (!fresh && now - (this.checkedAt.get(file) ?? 0) < CHANGE_CHECK_MS) return false;
    try {
      const stat = await file.handle.stat();
      const changed = stat.size !== file.length || stat.mtimeMs !== file.mtimeMs;
      if (!changed) this.checkedAt.set(file, now);
      return changed;
    } catch {
      return true;
    }
  }

  /** The first file whose bytes changed in place, or null when all are as hashed. */
  async changedFile(): Promise<OpenedFile | null> {
    for (const file of this.files) {
      if (await this.fileChanged(file, true)) return file;
    }
    return null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.files.map((file) => file.handle.close().catch(() => undefined)));
  }
}

/** Bytes per read of rangeStream: one 256 KiB piece, the usual web-seed request. */
const RANGE_READ_BYTES = 256 * 1024;

/**
 * Bytes start..end (inclusive) of a file, read with positional reads on the torrent's own
 * handle. Not fs's createReadStream: a file stream closes its handle when it is destroyed
 * (whatever autoClose says), and a client hanging up mid-range destroys it, which would close
 * the handle every other reader of this torrent shares. This stream never owns the handle.
 */
export function rangeStream(file: OpenedFile, start: number, end: number, chunkBytes = RANGE_READ_BYTES): Readable & { fullPath?: string } {
  let position = start;
  return new Readable({
    highWaterMark: chunkBytes,
    read(size) {
      if (position > end) {
        this.push(null);
        return;
      }
      const length = Math.min(Math.max(size, chunkBytes), end - position + 1);
      const buffer = Buffer.allocUnsafe(length);
      file.handle.read(buffer, 0, length, position).then(
        ({ bytesRead }) => {
          if (bytesRead === 0) {
            this.destroy(new Error(`${file.path} ended at byte ${position}, before ${end + 1}`));
            return;
          }
          position += bytesRead;
          this.push(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
        },
        (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))),
      );
    },
  });
}

/** Resolves `<project>/<os.dir>/<file.path>`, refusing paths that leave the OS folder. */
export function resolveOsFile(projectDir: string, os: OsDesired, path: string): string {
  const osDir = resolve(projectDir, os.dir);
  const absPath = resolve(osDir, path);
  const rel = relative(osDir, absPath);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) {
    throw new FileOutsideProject(os.name, path);
  }
  return absPath;
}

function openError(os: OsDesired, path: string, err: unknown): BtError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new FileMissing(os.name, `${os.dir}/${path}`).causedBy(err);
  const reason = code === 'EISDIR' ? 'it is a directory' : err instanceof Error ? err.message : String(err);
  return new FileUnreadable(os.name, `${os.dir}/${path}`, reason).causedBy(err);
}

/**
 * Opens every file of the OS, in the desired state's order (sorted by path: part of the
 * deterministic info-hash). Each file must have the length the desired state lists, so a
 * seeder on another host with a different copy refuses instead of splitting the swarm.
 */
export async function openOsFiles(projectDir: string, os: OsDesired): Promise<OpenedOs> {
  const opened: OpenedFile[] = [];
  try {
    for (const file of os.files) {
      const absPath = resolveOsFile(projectDir, os, file.path);
      let handle: FileHandle;
      try {
        handle = await open(absPath, 'r');
      } catch (err) {
        throw openError(os, file.path, err);
      }
      const stat = await handle.stat().catch(async (err: unknown) => {
        await handle.close();
        throw openError(os, file.path, err);
      });
      if (!stat.isFile()) {
        await handle.close();
        throw new FileUnreadable(os.name, `${os.dir}/${file.path}`, 'not a regular file');
      }
      opened.push({
        path: file.path,
        absPath,
        length: stat.size,
        handle,
        mtimeMs: stat.mtimeMs,
        identity: `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`,
      });
      if (stat.size !== file.length) throw new FileMismatch(os.name, `${os.dir}/${file.path}`, file.length, stat.size);
    }
  } catch (err) {
    await Promise.all(opened.map((file) => file.handle.close().catch(() => undefined)));
    throw err;
  }
  return new OpenedOs(os.name, opened);
}
