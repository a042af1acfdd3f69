import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { BtError, createHttpApp, createLogger, defineError, parseInput } from '../src/index.js';

function quietLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger('test', { level: 'info', destination }), lines };
}

const UnknownOs = defineError('BT_UNKNOWN_OS', 404, (os: string) => `no OS named "${os}"`, 'use a folder name under oss/');

describe('defineError', () => {
  it('builds typed errors with a stable code, status and fix', () => {
    const err = new UnknownOs('debian');
    assert.ok(err instanceof BtError);
    assert.equal(err.code, 'BT_UNKNOWN_OS');
    assert.equal(UnknownOs.code, 'BT_UNKNOWN_OS');
    assert.equal(err.statusCode, 404);
    assert.equal(err.message, 'no OS named "debian"');
    assert.deepEqual(err.toJSON(), { code: 'BT_UNKNOWN_OS', message: 'no OS named "debian"', fix: 'use a folder name under oss/' });
    const cause = new Error('ENOENT');
    assert.equal(new UnknownOs('x').causedBy(cause).cause, cause);
  });
});

describe('createHttpApp', () => {
  it('answers typed errors with their status and a JSON body', async () => {
    const { logger } = quietLogger();
    const app = createHttpApp({ logger });
    app.get('/os/:name', async (request) => {
      throw new UnknownOs((request.params as { name: string }).name);
    });
    const response = await app.inject({ method: 'GET', url: '/os/debian' });
    assert.equal(response.statusCode, 404);
    assert.deepEqual(response.json(), { error: { code: 'BT_UNKNOWN_OS', message: 'no OS named "debian"', fix: 'use a folder name under oss/' } });
    assert.equal(response.headers['x-bt-error-code'], 'BT_UNKNOWN_OS', 'clients that drop error bodies still get the code');
    assert.equal(response.headers['x-bt-error'], 'no OS named "debian"');
  });

  it('hides unexpected errors behind a 500 and logs them', async () => {
    const { logger, lines } = quietLogger();
    const app = createHttpApp({ logger });
    app.get('/boom', async () => {
      throw new Error('secret internals');
    });
    const response = await app.inject({ method: 'GET', url: '/boom' });
    assert.equal(response.statusCode, 500);
    assert.equal(response.json().error.code, 'BT_INTERNAL');
    assert.doesNotMatch(response.body, /secret internals/);
    assert.ok(lines.some((line) => line.includes('secret internals')));
  });

  it('answers unknown routes, bad JSON and oversized bodies with JSON errors', async () => {
    const { logger } = quietLogger();
    const app = createHttpApp({ logger, bodyLimit: 100 });
    app.post('/echo', async (request) => request.body);
    const missing = await app.inject({ method: 'GET', url: '/nope?x=1' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'BT_NOT_FOUND');
    const badJson = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
    assert.equal(badJson.statusCode, 400);
    assert.ok(badJson.json().error.code);
    const big = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ a: 'x'.repeat(200) }) });
    assert.equal(big.statusCode, 413);
  });

  it('parseInput turns schema failures into 400s naming the field', async () => {
    const { logger } = quietLogger();
    const app = createHttpApp({ logger });
    app.get('/q', async (request) => parseInput(z.object({ mac: z.string().length(17) }), request.query, 'query'));
    const response = await app.inject({ method: 'GET', url: '/q?mac=short' });
    assert.equal(response.statusCode, 400);
    assert.match(response.json().error.message, /invalid query: mac:/);
  });
});
