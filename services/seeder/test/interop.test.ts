import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TorrentReady } from '@boottorrent/contracts';
import { aria2cDone, freePort, startAria2c, waitFor } from '@boottorrent/testing';
import parseTorrent from 'parse-torrent';
import { makeOs, osDesired, sha256File } from './fixtures.js';
import { startStack, type Stack } from './stack.js';

const MiB = 1024 * 1024;
/** kernel + initrd + an extra file in a subfolder: 3 files, pieces spanning file boundaries. */
const OS_FILES = { vmlinuz: 5 * MiB + 123, 'initrd.img': 26 * MiB + 4567, 'extra/modules.squashfs': 1 * MiB + 89 };

/**
 * Our seeder and tracker against real aria2c leechers (phase-1's client) on loopback: the
 * swarm path (no web seed in the torrent), then the web-seed path with the tracker down.
 */
describe('seeder -> aria2c interop on loopback', () => {
  let stack: Stack;
  const sums = new Map<string, string>();

  before(async () => {
    // The swarm tests first: no url-list, so every byte aria2c gets comes from peers.
    stack = await startStack({
      webSeed: false,
      prepare: async (project) => {
        await makeOs(project, 'demo', OS_FILES);
        for (const path of Object.keys(OS_FILES)) sums.set(path, await sha256File(join(project, 'oss/demo', path)));
        return [await osDesired(project, 'demo')];
      },
    });
  });
  after(async () => stack?.close());

  const currentReady = () => stack.readyOf('demo');

  async function fetchTorrent(ready: TorrentReady, name: string): Promise<string> {
    const res = await fetch(ready.torrentUrl);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-bittorrent');
    const path = join(stack.work, name);
    await writeFile(path, new Uint8Array(await res.arrayBuffer()));
    return path;
  }

  async function assertSameFiles(dir: string): Promise<void> {
    for (const [path, sum] of sums) assert.equal(await sha256File(join(dir, 'demo', path)), sum, `${path} differs`);
  }

  it('publishes the torrent (KV + HTTP) with our announce list only, multi-file, named after the OS', async () => {
    const { network } = stack;
    const ready = await currentReady();
    assert.equal(ready.name, 'demo');
    assert.equal(ready.pieceLength, 256 * 1024);
    assert.deepEqual(
      ready.files.map((file) => file.path),
      ['extra/modules.squashfs', 'initrd.img', 'vmlinuz'],
    );
    assert.equal(ready.length, Object.values(OS_FILES).reduce((a, b) => a + b, 0));
    assert.deepEqual(ready.announce, network.tracker.announceUrls);
    assert.deepEqual(ready.webSeeds, []);
    assert.equal(ready.torrentUrl, `http://127.0.0.1:${network.seeder.httpPort}/torrents/${ready.infoHash}.torrent`);
    // The event follows the KV write on the bus: it may land a moment after KV is read.
    await waitFor(() => stack.seen.ready.some((event) => event.infoHash === ready.infoHash), { timeoutMs: 5_000, what: 'the torrent ready event' });
    const parsed = await parseTorrent(await readFile(await fetchTorrent(ready, 'demo.torrent')));
    assert.equal(parsed.infoHash, ready.infoHash);
    assert.deepEqual(parsed.announce, network.tracker.announceUrls);
    assert.equal(parsed.private, undefined);
    assert.equal(parsed.created, undefined);
    assert.equal(parsed.createdBy, undefined);
    assert.ok(Array.isArray(parsed.info.files), 'multi-file layout');
    // Bound to the bind host only.
    await assert.rejects(fetch(`http://127.0.0.2:${network.seeder.httpPort}${new URL(ready.torrentUrl).pathname}`));
  });

  it('one aria2c leecher gets byte-identical files through our tracker', async () => {
    const torrent = await fetchTorrent(await currentReady(), 'one.torrent');
    const dir = join(stack.work, 'one');
    const leecher = startAria2c('aria2c-1', { torrent, dir, listenPort: await freePort() });
    try {
      await aria2cDone(leecher, 120_000);
    } finally {
      await leecher.stop();
    }
    await assertSameFiles(dir);
  });

  it('four simultaneous aria2c leechers all get byte-identical files', async () => {
    const torrent = await fetchTorrent(await currentReady(), 'four.torrent');
    const leechers = [];
    for (let i = 0; i < 4; i++) leechers.push(startAria2c(`aria2c-${i}`, { torrent, dir: join(stack.work, `four-${i}`), listenPort: await freePort() }));
    try {
      await Promise.all(leechers.map((leecher) => aria2cDone(leecher, 180_000)));
    } finally {
      await Promise.all(leechers.map((leecher) => leecher.stop()));
    }
    for (let i = 0; i < 4; i++) await assertSameFiles(join(stack.work, `four-${i}`));
  });

  it('with the tracker down, aria2c completes from the web seed (url-list) alone; ports follow the desired state', async () => {
    const { network } = stack;
    const before = await currentReady();
    await stack.tracker.stop();
    const httpPort = await freePort();
    await stack.desired.put('network', { ...network, seeder: { ...network.seeder, webSeed: true, httpPort, peerPort: await freePort() } });
    const ready = await waitFor(
      async () => {
        const value = await stack.torrents.get('demo');
        return value && value.webSeeds.length > 0 ? value : null;
      },
      { timeoutMs: 20_000, what: 'the torrent re-published with a web seed' },
    );
    assert.equal(ready.infoHash, before.infoHash, 'the info-hash does not depend on URLs');
    assert.deepEqual(ready.webSeeds, [`http://127.0.0.1:${httpPort}/webseed/${ready.infoHash}/`]);
    await assert.rejects(fetch(before.torrentUrl), 'old HTTP port closed');
    const torrent = await fetchTorrent(ready, 'webseed.torrent');
    assert.deepEqual((await parseTorrent(await readFile(torrent))).urlList, ready.webSeeds);
    const dir = join(stack.work, 'webseed');
    const leecher = startAria2c('aria2c-webseed', { torrent, dir, listenPort: await freePort() });
    try {
      await aria2cDone(leecher, 120_000);
    } finally {
      await leecher.stop();
    }
    await assertSameFiles(dir);
  });
});
