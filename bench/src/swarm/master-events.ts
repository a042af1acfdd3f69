/*
 * The master's log, read while the benchmark runs, for one kind of line: the seeder dropping
 * and re-adding the bench torrent (every peer connection to the seed is cut when it does).
 * A run during which that happened measured the seeder's hiccup, not the swarm: it is
 * flagged in the results, and the next run waits for the seeder to be quiet.
 */

export interface SeedEvent {
  /** Epoch milliseconds (the log line's time). */
  at: number;
  what: string;
}

/** Seeder log messages that mean the seed's peers were (or are about to be) cut off. */
const DISRUPTIVE = [/^torrent retired$/, /^file changed in place/, /^torrent retiring/];

export function parseSeedEvent(line: string): SeedEvent | null {
  if (!line.startsWith('{') || !line.includes('"seeder"')) return null;
  let record: { service?: unknown; msg?: unknown; time?: unknown; reason?: unknown; file?: unknown };
  try {
    record = JSON.parse(line) as typeof record;
  } catch {
    return null;
  }
  if (record.service !== 'seeder' || typeof record.msg !== 'string' || typeof record.time !== 'number') return null;
  const msg = record.msg;
  if (!DISRUPTIVE.some((pattern) => pattern.test(msg))) return null;
  const detail = [record.reason, record.file].filter((x) => typeof x === 'string').join(', ');
  return { at: record.time, what: detail ? `${msg} (${detail})` : msg };
}

/** Events inside [from, to] (epoch ms), as "+12.3 s torrent retired (replaced)". */
export function eventsDuring(events: readonly SeedEvent[], from: number, to: number): string[] {
  return events.filter((e) => e.at >= from && e.at <= to).map((e) => `+${((e.at - from) / 1000).toFixed(1)} s ${e.what}`);
}
