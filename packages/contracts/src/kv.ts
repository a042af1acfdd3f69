import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import type { BusLogger } from './bus.js';
import { ContractViolation } from './bus.js';
import { desiredKeys } from './desired.js';
import { Phase1Artifacts } from './image.js';
import { NodeRecord } from './node.js';
import { TorrentReady } from './torrent.js';

type SchemaMap = Record<string, z.ZodType>;

export interface KvBucketDef<M extends SchemaMap> {
  readonly name: string;
  readonly history: number;
  schemaOf(key: string): z.ZodType | undefined;
  /** Only for typing: the key -> schema map. */
  readonly _keys?: M;
}

function fixedKeys<M extends SchemaMap>(name: string, keys: M, history: number): KvBucketDef<M> {
  return { name, history, schemaOf: (key) => (Object.hasOwn(keys, key) ? keys[key] : undefined) };
}

function uniform<S extends z.ZodType>(name: string, schema: S, history: number): KvBucketDef<Record<string, S>> {
  return { name, history, schemaOf: () => schema };
}

/** Every KV bucket BootTorrent uses. */
export const buckets = {
  /** Desired state, one key per concern (dhcp, oses, nodes, policy, network); written by config only. */
  desired: fixedKeys('bt_desired', desiredKeys, 10),
  /** The current torrent of each OS, keyed by OS name; written by seeders. */
  torrents: uniform('bt_torrents', TorrentReady, 5),
  /** Built artifacts, key "phase1"; written by the image-builder. */
  artifacts: fixedKeys('bt_artifacts', { phase1: Phase1Artifacts }, 5),
  /** The node registry, keyed by macToKvKey(mac); written by config. */
  nodes: uniform('bt_nodes', NodeRecord, 1),
} as const;

type KeyOf<M extends SchemaMap> = keyof M & string;

export interface KvChange<M extends SchemaMap, K extends KeyOf<M> = KeyOf<M>> {
  key: K;
  /** null when the key was deleted or purged. */
  value: z.output<M[K]> | null;
  revision: number;
}

/** A KV bucket whose values are validated on every put and every read. */
export class TypedKv<M extends SchemaMap> {
  constructor(
    readonly def: KvBucketDef<M>,
    readonly kv: KV,
    private readonly logger: BusLogger,
  ) {}

  private schema(key: string): z.ZodType {
    const schema = this.def.schemaOf(key);
    if (!schema) throw new Error(`bucket ${this.def.name} has no key "${key}"`);
    return schema;
  }

  async put<K extends KeyOf<M>>(key: K, value: z.input<M[K]>): Promise<number> {
    const result = this.schema(key).safeParse(value);
    if (!result.success) throw new ContractViolation(`${this.def.name}/${key}`, result.error.issues);
    return this.kv.put(key, JSON.stringify(result.data));
  }

  /** The current value, or null when absent or invalid (an invalid value is logged). */
  async get<K extends KeyOf<M>>(key: K): Promise<z.output<M[K]> | null> {
    const entry = await this.kv.get(key);
    if (!entry || entry.operation !== 'PUT') return null;
    return this.decode(key, entry.string());
  }

  async delete(key: KeyOf<M>): Promise<void> {
    await this.kv.delete(key);
  }

  async keys(): Promise<string[]> {
    const out: string[] = [];
    for await (const key of await this.kv.keys()) out.push(key);
    return out;
  }

  /**
   * Calls `onChange` with the current value of each key, then with every change. Invalid
   * values are logged and skipped. Returns a function that stops watching.
   */
  async watch(onChange: (change: KvChange<M>) => void | Promise<void>, keys?: KeyOf<M>[]): Promise<() => void> {
    // One key is filtered by the server. Several keys would need filter_subjects, which
    // nats-server 2.9 (Debian 12) refuses, so the whole bucket is watched and filtered here.
    const wanted = keys && keys.length > 0 ? new Set<string>(keys) : null;
    const iterator = await this.kv.watch(keys?.length === 1 ? { key: keys[0] } : {});
    void (async () => {
      for await (const entry of iterator) {
        const key = entry.key as KeyOf<M>;
        if (wanted && !wanted.has(key)) continue;
        if (!this.def.schemaOf(key)) continue;
        const value = entry.operation === 'PUT' ? this.decode(key, entry.string()) : null;
        if (entry.operation === 'PUT' && value === null) continue;
        try {
          await onChange({ key, value, revision: entry.revision } as KvChange<M>);
        } catch (err) {
          this.logger.error({ bucket: this.def.name, key, err }, 'KV watch handler failed');
        }
      }
    })();
    return () => iterator.stop();
  }

  private decode<K extends KeyOf<M>>(key: K, text: string): z.output<M[K]> | null {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.logger.warn({ bucket: this.def.name, key, code: 'BT_CONTRACT_NOT_JSON' }, 'ignored a KV value that is not JSON');
      return null;
    }
    const result = this.schema(key).safeParse(json);
    if (!result.success) {
      this.logger.warn(
        { bucket: this.def.name, key, code: 'BT_CONTRACT_VIOLATION', issues: result.error.issues },
        'ignored a KV value that does not match its schema',
      );
      return null;
    }
    return result.data as z.output<M[K]>;
  }
}

/** Opens (creating when missing) a bucket on a JetStream-enabled server. */
export async function openBucket<M extends SchemaMap>(
  nc: NatsConnection,
  def: KvBucketDef<M>,
  logger: BusLogger,
): Promise<TypedKv<M>> {
  const kv = await new Kvm(nc).create(def.name, { history: def.history });
  return new TypedKv(def, kv, logger);
}
