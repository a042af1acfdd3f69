import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildHttpApp, torrentPath, webSeedPath } from '../src/http-server.js';
import { openOsFiles, type OpenedOs } from '../src/os-files.js';
import { parseRange } from '../src/range.js';
import { makeOs, osDesired, removeDir, tempDir, testLogger } from './fixtures.js';

describe('Range header parsing', () => {
  it('handles single, open, suffix, clipped, unsatisfiable and ignorable ranges', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-1000', 100), { start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=50-5000', 100), { start: 50, end: 99 });
    assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=-0', 100), 'unsatisfiable');
    assert.equal(parseRange(undefined, 100), null);
    assert.equal(parseRange('bytes=0-1,5-6', 100), null, 'multiple ranges: send the whole file');
    assert.equal(parseRange('items=0-1', 100), null);
    assert.equal(parseRange('bytes=9-3', 100), null);
    assert.equal(parseRange('bytes=garbage', 100), null);
  });
});

describe('seeder HTTP: .torrent files and the web seed', () => {
  const infoHash = 'a'.repeat(40);
  const torrentBytes = new Uint8Array([100, 101, 101]);
  let project: string;
  let os: OpenedOs;
  let app: FastifyInstance;
  let kernel: Buffer;
  let changed = 0;

  before(async () => {
    project = await tempDir('bt-seeder-http-');
    await makeOs(project, 'demo', { vmlinuz: 70_000, 'sub/initrd.img': 1000, 'payload.bin': 8 * 1024 * 1024 });
    os = await openOsFiles(project, await osDesired(project, 'demo'));
    kernel = await readFile(join(project, 'oss/demo/vmlinuz'));
    app = buildHttpApp(
      {
        torrentFile: (hash) => (hash === infoHash ? torrentBytes : undefined),
        webSeedFile: (hash) =>
          hash === infoHash
            ? {
                name: 'demo',
                file: (path) => os.files.find((file) => file.path === path),
                changed: async (file) => {
                  const result = await os.fileChanged(file, true);
                  if (result) changed += 1;
                  return result;
                },
              }
            : undefined,
      },
      testLogger('http'),
    );
  });
  after(async () => {
    await app?.close();
    await os?.close();
    await removeDir(project);
  });

  const seed = (path: string) => `${webSeedPath(infoHash)}demo/${path}`;

  it('serves .torrent files by info-hash and 404s anything else', async () => {
    const ok = await app.inject({ url: torrentPath(infoHash) });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.headers['content-type'], 'application/x-bittorrent');
    assert.deepEqual(new Uint8Array(ok.rawPayload), torrentBytes);
    for (const url of [torrentPath('b'.repeat(40)), '/torrents/not-a-hash.torrent', '/torrents/%00.torrent']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json().error.code, 'BT_SEEDER_UNKNOWN_TORRENT');
    }
  });

  it('serves whole files and byte ranges the way a BEP 19 client asks for them', async () => {
    const whole = await app.inject({ url: seed('vmlinuz') });
    assert.equal(whole.statusCode, 200);
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    assert.deepEqual(whole.rawPayload, kernel);

    const part = await app.inject({ url: seed('vmlinuz'), headers: { range: 'bytes=65536-65635' } });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers['content-range'], `bytes 65536-65635/${kernel.length}`);
    assert.deepEqual(part.rawPayload, kernel.subarray(65536, 65636));

    const tail = await app.inject({ url: seed('vmlinuz'), headers: { range: 'bytes=-5' } });
    assert.deepEqual(tail.rawPayload, kernel.subarray(kernel.length - 5));

    const nested = await app.inject({ url: seed('sub/initrd.img'), headers: { range: 'bytes=0-' } });
    assert.equal(nested.statusCode, 206);
    assert.equal(nested.rawPayload.length, 1000);

    const head = await app.inject({ method: 'HEAD', url: seed('vmlinuz') });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-length'], String(kernel.length));
    assert.equal(head.rawPayload.length, 0);
  });

  it('keeps serving after a client hangs up mid-range (the shared file handle stays open)', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    // aria2c drops web-seed connections mid-range whenever the swarm serves the piece first.
    await new Promise<void>((resolve, reject) => {
      const request = get({ host: '127.0.0.1', port, path: seed('payload.bin'), headers: { range: 'bytes=0-' } }, (response) => {
        response.once('data', () => {
          request.destroy();
          resolve();
        });
      });
      request.once('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const payload = os.files.find((file) => file.path === 'payload.bin')!;
    assert.equal(await os.fileChanged(payload, true), false, 'the torrent must not look overwritten');
    const again = await app.inject({ url: seed('payload.bin'), headers: { range: 'bytes=1048576-1048675' } });
    assert.equal(again.statusCode, 206);
    assert.deepEqual(again.rawPayload, (await readFile(join(project, 'oss/demo/payload.bin'))).subarray(1048576, 1048676));
    assert.equal(changed, 0);
  });

  it('answers 416 for a range past the end, 404 for unknown files, and never serves outside the torrent', async () => {
    const past = await app.inject({ url: seed('vmlinuz'), headers: { range: `bytes=${kernel.length}-` } });
    assert.equal(past.statusCode, 416);
    assert.equal(past.headers['content-range'], `bytes */${kernel.length}`);
    for (const url of [seed('nope'), seed('config.yaml'), seed('.hidden'), `${webSeedPath(infoHash)}other/vmlinuz`, `${webSeedPath(infoHash)}demo/../../../../etc/passwd`, `${webSeedPath('c'.repeat(40))}demo/vmlinuz`]) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 404, url);
    }
  });

  it('refuses uploads and garbage without falling over', async () => {
    const refused = [405, 413, 415];
    const upload = await app.inject({ method: 'POST', url: '/torrents/upload', headers: { 'content-type': 'application/x-bittorrent' }, payload: Buffer.from('d8:announce') });
    assert.ok(refused.includes(upload.statusCode), `got ${upload.statusCode}`);
    const put = await app.inject({ method: 'PUT', url: torrentPath(infoHash), payload: 'not a torrent' });
    assert.ok(refused.includes(put.statusCode), `got ${put.statusCode}`);
    const del = await app.inject({ method: 'DELETE', url: torrentPath(infoHash) });
    assert.equal(del.statusCode, 405);
    const huge = await app.inject({ method: 'POST', url: '/torrents/x', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(1024 * 1024) });
    assert.ok(refused.includes(huge.statusCode), `got ${huge.statusCode}`);
    assert.equal((await app.inject({ url: torrentPath(infoHash) })).statusCode, 200, 'still serving');
  });

  it('answers 410 once a file was overwritten in place, instead of serving bytes that no longer match', async () => {
    const handle = await open(join(project, 'oss/demo/sub/initrd.img'), 'r+');
    await handle.write(Buffer.from('overwritten'), 0, 11, 0);
    await handle.close();
    const res = await app.inject({ url: seed('sub/initrd.img') });
    assert.equal(res.statusCode, 410);
    assert.equal(res.json().error.code, 'BT_SEEDER_TORRENT_GONE');
    assert.equal(changed, 1);
  });
});
