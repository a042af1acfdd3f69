import { kvKeyToMac, macToKvKey, type NodeRecord } from '@boottorrent/contracts';
import type { Logger } from '@boottorrent/runtime';
import type { NodesBucket } from './buckets.js';

/** After a failed write (NATS down), try again this much later. */
const RETRY_MS = 1000;

/**
 * Keeps node records in the KV bucket `bt_nodes` so a restart of the config service keeps the
 * registry. Writes are coalesced per node (the latest record wins) and retried until NATS takes
 * them, so progress reports arriving during a NATS restart are not lost, only delayed.
 */
export class NodeStore {
  private readonly dirty = new Map<string, NodeRecord>();
  private flushing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly bucket: NodesBucket,
    private readonly logger: Logger,
  ) {}

  async load(): Promise<NodeRecord[]> {
    const records: NodeRecord[] = [];
    for (const key of await this.bucket.keys()) {
      if (kvKeyToMac(key) === null) continue;
      const record = await this.bucket.get(key);
      if (record) records.push(record);
    }
    return records;
  }

  save(record: NodeRecord): void {
    if (this.closed) return;
    this.dirty.set(record.mac, record);
    this.scheduleFlush();
  }

  /** Writes everything pending; used at shutdown and by tests. */
  async flush(): Promise<void> {
    while (this.flushing || this.dirty.size > 0) {
      if (!this.flushing) this.scheduleFlush();
      await this.flushing;
      if (this.retryTimer) break;
    }
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private scheduleFlush(): void {
    if (this.flushing || this.retryTimer) return;
    this.flushing = this.writePending().finally(() => {
      this.flushing = null;
      if (this.dirty.size > 0 && !this.retryTimer && !this.closed) this.scheduleFlush();
    });
  }

  private async writePending(): Promise<void> {
    const batch = [...this.dirty.values()];
    this.dirty.clear();
    let failed = false;
    for (const record of batch) {
      try {
        await this.bucket.put(macToKvKey(record.mac), record);
      } catch (err) {
        failed = true;
        // Keep the newest: a record that changed meanwhile is already queued again.
        if (!this.dirty.has(record.mac)) this.dirty.set(record.mac, record);
        this.logger.debug({ err, mac: record.mac }, 'could not persist node record; will retry');
      }
    }
    if (failed && !this.closed) {
      this.logger.warn({ pending: this.dirty.size, code: 'BT_NODE_PERSIST' }, 'node records not persisted yet (NATS unavailable?); retrying');
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.scheduleFlush();
      }, RETRY_MS);
      this.retryTimer.unref();
    }
  }
}
