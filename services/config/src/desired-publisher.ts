import { desiredKeys, events, publish, type DesiredKey, type DesiredState, type EventDef, type SourceProblem } from '@boottorrent/contracts';
import { formatProblem, loadProject, toDesiredState } from '@boottorrent/project';
import type { Logger, NatsConnection } from '@boottorrent/runtime';
import type { z } from 'zod';
import type { DesiredBucket } from './buckets.js';

const DESIRED_KEYS = Object.keys(desiredKeys) as DesiredKey[];

/** After a failed KV write (NATS down), publish again this much later. */
const RETRY_MS = 2000;

export interface DesiredPublisherOptions {
  nc: NatsConnection;
  logger: Logger;
  projectDir: string;
  /** Opens the bucket `bt_desired` (again after a reconnect: the store may have been wiped). */
  openBucket: () => Promise<DesiredBucket>;
  /** A valid desired state is in force (the boot API answers from it). */
  onDesired: (desired: DesiredState) => void;
}

export type SyncResult =
  | { ok: true; changedKeys: DesiredKey[]; generation: number }
  | { ok: false; problems: SourceProblem[] }
  | { ok: false; error: unknown };

/**
 * Project folder -> desired state -> KV `bt_desired`, one key per concern. Only keys whose value
 * changed are written, so a service watching `dhcp` does not restart dnsmasq because an OS file
 * was touched. A project that does not validate is reported (event + one log line per problem,
 * as file:line:col) and the last good state stays in force and in KV.
 */
export class DesiredPublisher {
  private generation = 0;
  /** The JSON text of each key as it is in KV, as far as we know; empty until read. */
  private readonly inKv = new Map<DesiredKey, string>();
  private kvRead = false;
  private bucket: DesiredBucket | null = null;
  private running: Promise<SyncResult> | null = null;
  private again = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** The desired state in force: the last one that validated. */
  current: DesiredState | null = null;
  /** True once every key was written (or found equal) in KV at least once. */
  published = false;

  constructor(private readonly options: DesiredPublisherOptions) {}

  /** Loads and publishes; concurrent calls coalesce into one more run. */
  sync(): Promise<SyncResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.run().finally(() => {
      this.running = null;
      if (this.again && !this.closed) {
        this.again = false;
        void this.sync();
      }
    });
    return this.running;
  }

  /** After a NATS reconnect: KV may have lost what we wrote; compare again and rewrite. */
  reconnected(): void {
    if (this.closed) return;
    this.bucket = null;
    this.kvRead = false;
    this.inKv.clear();
    void this.sync();
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private async run(): Promise<SyncResult> {
    const log = this.options.logger;
    const { project, problems } = await loadProject(this.options.projectDir);
    if (!project) return this.reject(problems);
    for (const problem of problems) log.warn({ code: problem.code, file: problem.file, line: problem.line }, formatProblem(problem));

    const desired = toDesiredState(project);
    this.current = desired;
    this.options.onDesired(desired);
    try {
      const changedKeys = await this.writeChanged(desired);
      const first = !this.published;
      this.published = true;
      if (changedKeys.length > 0 || first) {
        this.generation++;
        this.emit(events.projectPublished, { projectDir: project.dir, generation: this.generation, changedKeys, at: Date.now() });
        log.info({ generation: this.generation, changedKeys }, 'desired state published');
      }
      return { ok: true, changedKeys, generation: this.generation };
    } catch (err) {
      log.warn({ err, code: 'BT_DESIRED_PUBLISH' }, 'could not publish desired state (NATS unavailable?); retrying');
      this.scheduleRetry();
      return { ok: false, error: err };
    }
  }

  private reject(problems: SourceProblem[]): SyncResult {
    const log = this.options.logger;
    for (const problem of problems) {
      const line = formatProblem(problem, this.options.projectDir);
      const fields = { code: problem.code, file: problem.file, line: problem.line, col: problem.col };
      if (problem.severity === 'error') log.error(fields, line);
      else log.warn(fields, line);
    }
    log.error(
      { errors: problems.filter((problem) => problem.severity === 'error').length, code: 'BT_PROJECT_REJECTED' },
      this.current ? 'project change rejected; the last good desired state stays published' : 'project does not validate; nothing to publish',
    );
    this.emit(events.projectRejected, { projectDir: this.options.projectDir, problems, at: Date.now() });
    return { ok: false, problems };
  }

  private async openBucket(): Promise<DesiredBucket> {
    this.bucket ??= await this.options.openBucket();
    return this.bucket;
  }

  /** What KV holds now, as JSON text per key (what TypedKv.put wrote). */
  private async readKv(bucket: DesiredBucket): Promise<void> {
    this.inKv.clear();
    for (const key of DESIRED_KEYS) {
      const entry = await bucket.kv.get(key);
      if (entry && entry.operation === 'PUT') this.inKv.set(key, entry.string());
    }
    this.kvRead = true;
  }

  private async writeChanged(desired: DesiredState): Promise<DesiredKey[]> {
    const bucket = await this.openBucket();
    if (!this.kvRead) await this.readKv(bucket);
    const changed: DesiredKey[] = [];
    for (const key of DESIRED_KEYS) {
      // Parsed as TypedKv.put will, so equal states give equal text.
      const text = JSON.stringify(desiredKeys[key].parse(desired[key]));
      if (this.inKv.get(key) === text) continue;
      await bucket.put(key, desired[key] as never);
      this.inKv.set(key, text);
      changed.push(key);
    }
    return changed;
  }

  /**
   * The state in KV, when the project does not validate at start: what an earlier run
   * published is the last good state. Null unless every key is there and valid.
   */
  async lastPublished(): Promise<DesiredState | null> {
    const bucket = await this.openBucket();
    const state: Partial<DesiredState> = {};
    for (const key of DESIRED_KEYS) {
      const value = await bucket.get(key);
      if (value === null) return null;
      (state as Record<string, unknown>)[key] = value;
    }
    return state as DesiredState;
  }

  private emit<S extends z.ZodType>(def: EventDef<S>, payload: z.input<S>): void {
    try {
      publish(this.options.nc, def, payload);
    } catch (err) {
      this.options.logger.warn({ err, subject: def.pattern }, 'could not publish event');
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.sync();
    }, RETRY_MS);
    this.retryTimer.unref();
  }
}
