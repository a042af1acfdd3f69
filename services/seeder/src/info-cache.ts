import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@boottorrent/runtime';
import { infoOnlyTorrent, metaFromTorrent, type TorrentMeta } from './torrent-meta.js';
import type { OpenedOs } from './os-files.js';

/**
 * Remembers the info dictionary hashed for an exact set of file versions, so restarting the
 * seeder does not re-read gigabytes. The key covers every file's device, inode, size, mtime and
 * ctime (ctime cannot be set back by tools, unlike mtime), the name and the piece length; any
 * change is a miss and the files are hashed again. A corrupt or mismatching entry is a miss too.
 */
export class InfoCache {
  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  static key(os: OpenedOs, pieceLength: number): string {
    const identity = { name: os.name, pieceLength, files: os.files.map((file) => [file.path, file.identity]) };
    return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
  }

  private file(key: string): string {
    return join(this.dir, `${key}.torrent`);
  }

  async get(os: OpenedOs, pieceLength: number): Promise<TorrentMeta | null> {
    const key = InfoCache.key(os, pieceLength);
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file(key));
    } catch {
      return null;
    }
    try {
      const meta = await metaFromTorrent(bytes);
      const sameFiles =
        meta.files.length === os.files.length && meta.files.every((file, i) => file.path === os.files[i]?.path && file.length === os.files[i]?.length);
      if (meta.name === os.name && meta.pieceLength === pieceLength && sameFiles) return meta;
      this.logger.warn({ os: os.name, key }, 'hash cache entry does not match the files; hashing again');
    } catch (err) {
      this.logger.warn({ os: os.name, key, err }, 'hash cache entry is corrupt; hashing again');
    }
    return null;
  }

  async put(os: OpenedOs, meta: TorrentMeta): Promise<void> {
    const key = InfoCache.key(os, meta.pieceLength);
    try {
      await mkdir(this.dir, { recursive: true });
      const tmp = `${this.file(key)}.${process.pid}.tmp`;
      await writeFile(tmp, infoOnlyTorrent(meta.info));
      await rename(tmp, this.file(key));
    } catch (err) {
      // The cache only saves time; a read-only state folder must not stop seeding.
      this.logger.warn({ os: os.name, err, dir: this.dir }, 'could not write the hash cache');
    }
  }
}
