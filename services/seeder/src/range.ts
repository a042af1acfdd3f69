/** A byte range of a file, both ends inclusive (as in Content-Range). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses an HTTP Range header for a file of `length` bytes (RFC 9110 section 14).
 * Returns null when the whole file should be sent (no header, another unit, several ranges or
 * a malformed header: a server may ignore Range), 'unsatisfiable' when no byte of the range is
 * in the file (416), else the single range clipped to the file.
 */
export function parseRange(header: string | undefined, length: number): ByteRange | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    // Suffix range: the last N bytes.
    const suffix = Number(last);
    if (suffix === 0 || length === 0) return 'unsatisfiable';
    return { start: Math.max(0, length - suffix), end: length - 1 };
  }
  const start = Number(first);
  const end = last === '' ? length - 1 : Math.min(Number(last), length - 1);
  if (last !== '' && Number(last) < start) return null;
  if (start >= length) return 'unsatisfiable';
  return { start, end };
}
