/**
 * At most one delivery per key per interval, without losing the latest value: the first value
 * after a quiet interval goes out at once (an operator sees a node start moving immediately),
 * later ones within the interval replace each other and the last goes out when it ends.
 *
 * Phase-1 reports every 1-2 s per node and a lab may hold hundreds of nodes; this keeps the
 * stream to about one progress event per node per second whatever the agents do. Timers exist
 * only for keys that had news in the last interval.
 */
export class Coalescer<V> {
  private readonly windows = new Map<string, { timer: NodeJS.Timeout; pending: V | undefined }>();

  constructor(
    private readonly intervalMs: number,
    private readonly deliver: (key: string, value: V) => void,
  ) {}

  push(key: string, value: V): void {
    const window = this.windows.get(key);
    if (window) {
      window.pending = value;
      return;
    }
    this.deliver(key, value);
    this.open(key);
  }

  /** Forgets a value waiting for its turn (something newer has been delivered another way). */
  drop(key: string): void {
    const window = this.windows.get(key);
    if (window) window.pending = undefined;
  }

  /** Keys with an open interval (for tests and leak checks). */
  get size(): number {
    return this.windows.size;
  }

  close(): void {
    for (const window of this.windows.values()) clearTimeout(window.timer);
    this.windows.clear();
  }

  private open(key: string): void {
    const timer = setTimeout(() => {
      const window = this.windows.get(key);
      this.windows.delete(key);
      if (window?.pending === undefined) return;
      this.deliver(key, window.pending);
      this.open(key);
    }, this.intervalMs);
    // A dashboard must never keep the process alive.
    timer.unref();
    this.windows.set(key, { timer, pending: undefined });
  }
}
