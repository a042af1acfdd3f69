import type { NodeRecord, SwarmStats } from '@boottorrent/contracts';
import type { Logger } from '@boottorrent/runtime';
import { DashboardFull } from '../errors.js';
import { Coalescer } from './coalescer.js';
import type { LiveEvent, LiveMaster, LiveSnapshot } from './events.js';
import { nodeUpdate, swarmsView } from './views.js';

/** Dashboards watching at once; each holds a socket and a copy of every event. */
export const DEFAULT_MAX_VIEWERS = 32;
/** At most one progress event per node per this interval. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 1000;
/** A comment this often keeps proxies and NATs from closing a quiet stream (most wait 30-60 s). */
export const DEFAULT_HEARTBEAT_MS = 15_000;
/** A viewer this far behind (a stalled tab, a dead link) is dropped; it reconnects to a fresh snapshot. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;
/** What EventSource waits before reconnecting after the stream drops. */
export const RECONNECT_MS = 3000;

/** Where a viewer's frames go: the HTTP response, structurally (tests may pass anything alike). */
export interface LiveSink {
  write(chunk: string): unknown;
  end(): unknown;
  /** Drops the connection and whatever it still buffers. */
  destroy(): unknown;
  readonly writableLength: number;
}

export interface LiveFeedOptions {
  logger: Logger;
  /** The whole picture, sent first to every viewer. */
  snapshot: () => LiveSnapshot;
  master: () => LiveMaster;
  maxViewers?: number;
  progressIntervalMs?: number;
  heartbeatMs?: number;
}

/** One Server-Sent Events frame. JSON never holds a raw newline, so `data:` is one line. */
export function sseFrame(event: LiveEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/**
 * The dashboard's live feed: the registry, the tracker's statistics and desired-state changes
 * fanned out to every connected viewer as SSE frames. Events are fed in synchronously by the
 * service, so a viewer's snapshot and the events after it never overlap or leave a gap.
 * Nothing is kept for a feed without viewers.
 */
export class LiveFeed {
  readonly maxViewers: number;
  private readonly viewers = new Set<LiveSink>();
  private readonly progress: Coalescer<NodeRecord>;
  private readonly heartbeatMs: number;
  private heartbeat: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: LiveFeedOptions) {
    this.maxViewers = options.maxViewers ?? DEFAULT_MAX_VIEWERS;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.progress = new Coalescer(options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS, (_mac, record) =>
      this.broadcast({ type: 'progress', data: nodeUpdate(record) }),
    );
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** Nodes whose progress interval is open (timers held); zero once nobody watches. */
  get pendingNodes(): number {
    return this.progress.size;
  }

  hasRoom(): boolean {
    return !this.closed && this.viewers.size < this.maxViewers;
  }

  /** Sends the snapshot and adds the viewer; returns its (idempotent) detach. */
  attach(sink: LiveSink): () => void {
    if (!this.hasRoom()) throw new DashboardFull(this.maxViewers);
    sink.write(`retry: ${RECONNECT_MS}\n\n`);
    sink.write(sseFrame({ type: 'snapshot', data: this.options.snapshot() }));
    this.viewers.add(sink);
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => this.send(': keep-alive\n\n'), this.heartbeatMs);
      this.heartbeat.unref();
    }
    return () => this.detach(sink);
  }

  /** A registry change: a state change goes out at once, anything else (progress, an address) coalesced. */
  nodeChanged(record: NodeRecord, stateChanged: boolean): void {
    if (this.viewers.size === 0) return;
    if (!stateChanged) return this.progress.push(record.mac, record);
    // The full record supersedes a progress update still waiting for its turn.
    this.progress.drop(record.mac);
    this.broadcast({ type: 'node', data: record });
  }

  swarmStats(stats: SwarmStats): void {
    if (this.viewers.size > 0) this.broadcast({ type: 'swarms', data: swarmsView(stats) });
  }

  /** The OSes, their torrents or the master's URLs changed. */
  masterChanged(): void {
    if (this.viewers.size > 0) this.broadcast({ type: 'master', data: this.options.master() });
  }

  /** Ends every stream (the HTTP server cannot close while they are open) and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const sink of [...this.viewers]) {
      this.detach(sink);
      sink.end();
    }
  }

  private detach(sink: LiveSink): void {
    if (!this.viewers.delete(sink) || this.viewers.size > 0) return;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.progress.close();
  }

  private broadcast(event: LiveEvent): void {
    this.send(sseFrame(event));
  }

  private send(frame: string): void {
    for (const sink of [...this.viewers]) {
      sink.write(frame);
      if (sink.writableLength > MAX_BUFFERED_BYTES) {
        this.options.logger.warn({ buffered: sink.writableLength, code: 'BT_DASHBOARD_SLOW_VIEWER' }, 'dropped a dashboard viewer that stopped reading');
        this.detach(sink);
        sink.destroy();
      }
    }
  }
}
