import type { ChunkStore, ChunkStoreConstructor } from 'webtorrent';
import type { OpenedFile, OpenedOs } from './os-files.js';

/** A piece (or part of one) mapped onto the files it spans. */
interface Span {
  file: OpenedFile;
  /** Offset in the file. */
  fileOffset: number;
  /** Offset in the piece buffer. */
  bufferOffset: number;
  length: number;
}

/** Maps the byte range [start, start+length) of the torrent onto its files. */
export function spansOf(files: readonly OpenedFile[], start: number, length: number): Span[] {
  const spans: Span[] = [];
  let fileStart = 0;
  let remaining = length;
  let position = start;
  for (const file of files) {
    const fileEnd = fileStart + file.length;
    if (remaining > 0 && position < fileEnd && position >= fileStart) {
      const take = Math.min(remaining, fileEnd - position);
      spans.push({ file, fileOffset: position - fileStart, bufferOffset: length - remaining, length: take });
      remaining -= take;
      position += take;
    }
    fileStart = fileEnd;
  }
  if (remaining > 0) throw new RangeError(`range ${start}+${length} is past the end of the torrent`);
  return spans;
}

/**
 * An abstract-chunk-store over the OS's own files, read-only. webtorrent's default
 * fs-chunk-store would want the files under <path>/<torrent name>/, opens them read-write and
 * deletes them on `destroy`; this store reads the handles the torrent was hashed from, never
 * writes, and never deletes. Nothing is held in memory beyond the piece being read (webtorrent
 * keeps a small LRU of recent pieces in front), so a 2 GiB image costs no 2 GiB of RAM.
 */
export function diskStoreFor(os: OpenedOs, pieceLength: number, onChanged: (file: OpenedFile) => void): ChunkStoreConstructor {
  const total = os.length;
  return class DiskChunkStore implements ChunkStore {
    readonly chunkLength = pieceLength;
    private closed = false;

    get(
      index: number,
      optsOrCb: { offset?: number; length?: number } | null | ((err: Error | null, buf?: Uint8Array) => void),
      maybeCb?: (err: Error | null, buf?: Uint8Array) => void,
    ): void {
      // abstract-chunk-store allows get(index, cb); webtorrent's cache in front calls it so.
      const opts = typeof optsOrCb === 'function' ? null : optsOrCb;
      const cb = typeof optsOrCb === 'function' ? optsOrCb : maybeCb;
      if (!cb) throw new TypeError('chunk store get() needs a callback');
      const pieceStart = index * pieceLength;
      const pieceSize = Math.min(pieceLength, total - pieceStart);
      const offset = opts?.offset ?? 0;
      const length = opts?.length ?? pieceSize - offset;
      if (this.closed) return queueMicrotask(() => cb(new Error('store is closed')));
      if (index < 0 || pieceSize <= 0 || offset < 0 || offset + length > pieceSize) {
        return queueMicrotask(() => cb(new Error(`invalid read: piece ${index} offset ${offset} length ${length}`)));
      }
      void this.read(pieceStart + offset, length).then(
        (buf) => cb(null, buf),
        (err: Error) => cb(err),
      );
    }

    private async read(start: number, length: number): Promise<Uint8Array> {
      const buf = Buffer.allocUnsafe(length);
      for (const span of spansOf(os.files, start, length)) {
        // Serving bytes that were overwritten in place would make every peer fail the piece
        // check; refuse and let the seeder retire the torrent.
        if (await os.fileChanged(span.file)) {
          onChanged(span.file);
          throw new Error(`${span.file.path} changed on disk`);
        }
        let done = 0;
        while (done < span.length) {
          const { bytesRead } = await span.file.handle.read(buf, span.bufferOffset + done, span.length - done, span.fileOffset + done);
          if (bytesRead === 0) throw new Error(`${span.file.path} is shorter than when it was hashed`);
          done += bytesRead;
        }
      }
      return buf;
    }

    put(_index: number, _buf: Uint8Array, cb?: (err: Error | null) => void): void {
      queueMicrotask(() => cb?.(new Error('the seeder store is read-only')));
    }

    close(cb?: (err?: Error | null) => void): void {
      // The file handles belong to the seeded torrent, which closes them when it is retired.
      this.closed = true;
      queueMicrotask(() => cb?.(null));
    }

    destroy(cb?: (err?: Error | null) => void): void {
      this.close(cb);
    }
  };
}
