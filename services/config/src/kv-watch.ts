import { setTimeout as sleep } from 'node:timers/promises';
import type { KvBucketDef, TypedKv } from '@boottorrent/contracts';
import type { Logger } from '@boottorrent/runtime';
import type { z } from 'zod';

type SchemaMap = Record<string, z.ZodType>;

export interface KvValueChange<M extends SchemaMap> {
  key: keyof M & string;
  /** null when the key was deleted or purged. */
  value: z.output<M[keyof M & string]> | null;
}

export interface KvWatchOptions<M extends SchemaMap> {
  name: string;
  /** Opens (or re-opens) the bucket; called again after the watch broke. */
  open: () => Promise<TypedKv<M>>;
  onChange: (change: KvValueChange<M>) => void;
  logger: Logger;
  retryMs?: number;
}

export interface KvWatch {
  stop(): void;
}

function decode<M extends SchemaMap>(def: KvBucketDef<M>, key: string, text: string): { ok: true; value: unknown } | { ok: false; why: string } {
  const schema = def.schemaOf(key);
  if (!schema) return { ok: false, why: 'unknown key' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, why: 'not JSON' };
  }
  const result = schema.safeParse(json);
  return result.success ? { ok: true, value: result.data } : { ok: false, why: result.error.message };
}

/**
 * Follows a KV bucket: the current value of every key, then every change. The client's watch
 * already survives a NATS restart that keeps JetStream's store; when the watch ends or fails
 * anyway (the bucket was deleted, the store was wiped), it is opened again after a pause, so
 * the service never stops following. An invalid value is logged and skipped.
 */
export function watchKv<M extends SchemaMap>(options: KvWatchOptions<M>): KvWatch {
  const log = options.logger.child({ component: 'kv-watch', bucket: options.name });
  const retryMs = options.retryMs ?? 1000;
  let stopped = false;
  let stopCurrent: (() => void) | null = null;

  const deliver = (change: KvValueChange<M>) => {
    try {
      options.onChange(change);
    } catch (err) {
      log.error({ err, key: change.key }, 'KV change handler failed');
    }
  };

  const follow = async (): Promise<void> => {
    const bucket = await options.open();
    const iterator = await bucket.kv.watch({});
    stopCurrent = () => iterator.stop();
    if (stopped) iterator.stop();
    for await (const entry of iterator) {
      if (entry.operation !== 'PUT') {
        deliver({ key: entry.key, value: null });
        continue;
      }
      const decoded = decode(bucket.def, entry.key, entry.string());
      if (!decoded.ok) {
        log.warn({ key: entry.key, code: 'BT_CONTRACT_VIOLATION', why: decoded.why }, 'ignored a KV value');
        continue;
      }
      deliver({ key: entry.key, value: decoded.value as KvValueChange<M>['value'] });
    }
  };

  void (async () => {
    while (!stopped) {
      try {
        await follow();
        if (!stopped) log.warn('KV watch ended; watching again');
      } catch (err) {
        if (!stopped) log.warn({ err }, 'KV watch failed; watching again');
      }
      if (!stopped) await sleep(retryMs);
    }
  })();

  return {
    stop() {
      stopped = true;
      stopCurrent?.();
    },
  };
}
