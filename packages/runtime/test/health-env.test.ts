import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { baseServiceEnv, EnvError, parseEnv, splitServers, startHealthServer } from '../src/index.js';

describe('startHealthServer', () => {
  it('answers /healthz always and /readyz from the readiness probe', async () => {
    let ready = false;
    const server = await startHealthServer({ service: 'config', host: '127.0.0.1', port: 0, readiness: () => ({ ready, detail: ready ? 'serving' : 'loading project' }) });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      const notReady = await fetch(`${base}/readyz`);
      assert.equal(notReady.status, 503);
      assert.equal(((await notReady.json()) as { detail: string }).detail, 'loading project');
      ready = true;
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      assert.equal((await fetch(`${base}/other`)).status, 404);
      assert.equal((await fetch(`${base}/healthz`, { method: 'POST' })).status, 405);
    } finally {
      await server.close();
    }
  });
});

describe('parseEnv', () => {
  it('fills defaults and coerces numbers', () => {
    const env = parseEnv(baseServiceEnv, { BT_HEALTH_PORT: '9999' });
    assert.equal(env.BT_NATS_URL, 'nats://127.0.0.1:4222');
    assert.equal(env.BT_HEALTH_PORT, 9999);
    assert.equal(env.BT_LOG_LEVEL, 'info');
  });

  it('names each bad variable', () => {
    const schema = baseServiceEnv.extend({ BT_PROJECT_DIR: z.string() });
    assert.throws(
      () => parseEnv(schema, { BT_LOG_LEVEL: 'loud', BT_HEALTH_PORT: '70000' }),
      (err: unknown) => err instanceof EnvError && err.problems.length === 3 && /BT_LOG_LEVEL/.test(err.message) && /BT_PROJECT_DIR/.test(err.message),
    );
  });

  it('splits a NATS cluster URL list', () => {
    assert.deepEqual(splitServers('nats://a:4222, nats://b:4222,,'), ['nats://a:4222', 'nats://b:4222']);
  });
});
