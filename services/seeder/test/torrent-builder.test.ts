import assert from 'node:assert/strict';
import { copyFile, mkdir, open as fsOpen, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import parseTorrent from 'parse-torrent';
import { InfoCache } from '../src/info-cache.js';
import { openOsFiles, type OpenedOs } from '../src/os-files.js';
import { BASE_PIECE_LENGTH, MAX_PIECE_COUNT, MAX_PIECE_LENGTH, pieceLengthFor } from '../src/piece-length.js';
import { buildTorrent } from '../src/torrent-builder.js';
import { wrapTorrent } from '../src/torrent-meta.js';
import { makeOs, osDesired, removeDir, tempDir, testLogger } from './fixtures.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const wrapping = { announce: ['http://10.0.0.1:6969/announce', 'udp://10.0.0.1:6969'], webSeeds: ['http://10.0.0.1:8081/webseed/x/'] };

describe('piece length policy', () => {
  it('uses 256 KiB for boot images up to 4 GiB, then keeps the piece count bounded', () => {
    assert.equal(pieceLengthFor(1), BASE_PIECE_LENGTH);
    assert.equal(pieceLengthFor(300 * MiB), 256 * KiB);
    assert.equal(pieceLengthFor(2 * GiB), 256 * KiB);
    assert.equal(pieceLengthFor(4 * GiB), 256 * KiB);
    assert.equal(pieceLengthFor(4 * GiB + 1), 512 * KiB);
    assert.equal(pieceLengthFor(20 * GiB), 2 * MiB);
    assert.equal(pieceLengthFor(10_000 * GiB), MAX_PIECE_LENGTH);
    for (const size of [1, 5 * GiB, 64 * GiB, 200 * GiB]) assert.ok(Math.ceil(size / pieceLengthFor(size)) <= MAX_PIECE_COUNT);
    assert.throws(() => pieceLengthFor(-1), RangeError);
  });
});

describe('deterministic torrent creation', () => {
  let hostA: string;
  let hostB: string;
  const opened: OpenedOs[] = [];
  const open = async (project: string, name: string) => {
    const os = await openOsFiles(project, await osDesired(project, name));
    opened.push(os);
    return os;
  };

  before(async () => {
    hostA = await tempDir('bt-host-a-');
    hostB = await tempDir('bt-host-b-');
    await makeOs(hostA, 'debian', { vmlinuz: 3 * MiB + 17, 'initrd.img': 9 * MiB + 5, 'boot/extra.cpio': 700 * KiB });
    // "Another host": the same files copied, with other timestamps.
    for (const path of ['vmlinuz', 'initrd.img', 'boot/extra.cpio', 'config.yaml']) {
      await mkdir(join(hostB, 'oss/debian', path, '..'), { recursive: true });
      await copyFile(join(hostA, 'oss/debian', path), join(hostB, 'oss/debian', path));
      await utimes(join(hostB, 'oss/debian', path), new Date(2001, 1, 1), new Date(2001, 1, 1));
    }
  });
  after(async () => {
    await Promise.all(opened.map((os) => os.close()));
    await removeDir(hostA);
    await removeDir(hostB);
  });

  it('gives the same info-hash and the same .torrent bytes on two hosts and two runs', async () => {
    const a1 = (await buildTorrent(await open(hostA, 'debian'), null)).meta;
    const a2 = (await buildTorrent(await open(hostA, 'debian'), null)).meta;
    const b = (await buildTorrent(await open(hostB, 'debian'), null)).meta;
    assert.equal(a1.infoHash, b.infoHash);
    assert.equal(a1.infoHash, a2.infoHash);
    assert.deepEqual(wrapTorrent(a1, wrapping).torrentFile, wrapTorrent(b, wrapping).torrentFile);
    assert.deepEqual(wrapTorrent(a1, wrapping).torrentFile, wrapTorrent(a2, wrapping).torrentFile);
  });

  it('names the torrent after the OS, lists the files in desired order with their folders, and adds nothing else', async () => {
    const { meta } = await buildTorrent(await open(hostA, 'debian'), null);
    assert.equal(meta.name, 'debian');
    assert.equal(meta.pieceLength, 256 * KiB);
    assert.deepEqual(
      meta.files.map((file) => file.path),
      ['boot/extra.cpio', 'initrd.img', 'vmlinuz'],
    );
    assert.deepEqual(Object.keys(meta.info).sort(), ['files', 'name', 'piece length', 'pieces']);
    const parsed = await parseTorrent(wrapTorrent(meta, wrapping).torrentFile);
    assert.deepEqual(parsed.announce, wrapping.announce, 'our trackers only, no public ones');
    assert.deepEqual(parsed.urlList, wrapping.webSeeds);
    assert.equal(parsed.private, undefined, 'no private flag (aria2c would turn PEX off)');
    assert.equal(parsed.created, undefined);
    assert.equal(parsed.createdBy, undefined);
    assert.equal(parsed.pieces.length, Math.ceil(meta.length / meta.pieceLength));
  });

  it('makes a one-file OS a multi-file torrent too, so files always land in <dir>/<name>/<path>', async () => {
    await makeOs(hostA, 'tiny', { vmlinuz: 100 * KiB });
    const { meta } = await buildTorrent(await open(hostA, 'tiny'), null);
    assert.deepEqual(meta.files, [{ path: 'vmlinuz', length: 100 * KiB }]);
    assert.ok(Array.isArray(meta.info.files));
    assert.equal(meta.info.length, undefined);
  });

  it('changes the info-hash when one byte of a file changes', async () => {
    const original = (await buildTorrent(await open(hostA, 'debian'), null)).meta.infoHash;
    const handle = await fsOpen(join(hostB, 'oss/debian/initrd.img'), 'r+');
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, 4242);
    await handle.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, 4242);
    await handle.close();
    const changed = (await buildTorrent(await open(hostB, 'debian'), null)).meta.infoHash;
    assert.notEqual(changed, original);
  });

  it('reuses the hash cache for the same file versions and rebuilds over a corrupt entry', async () => {
    const cacheDir = join(hostA, '.boottorrent/seeder/hash-cache');
    const cache = new InfoCache(cacheDir, testLogger('cache'));
    const first = await buildTorrent(await open(hostA, 'debian'), cache);
    assert.equal(first.hashed, true);
    const second = await buildTorrent(await open(hostA, 'debian'), cache);
    assert.equal(second.hashed, false);
    assert.equal(second.meta.infoHash, first.meta.infoHash);
    const [entry] = await readdir(cacheDir);
    assert.ok(entry);
    await writeFile(join(cacheDir, entry), 'd4:infod4:name3:bad');
    const third = await buildTorrent(await open(hostA, 'debian'), cache);
    assert.equal(third.hashed, true);
    assert.equal(third.meta.infoHash, first.meta.infoHash);
  });

  it('refuses a missing file and a file whose length differs from the desired state, naming it', async () => {
    const desired = await osDesired(hostA, 'debian');
    await assert.rejects(openOsFiles(hostA, { ...desired, files: [...desired.files, { path: 'nope.img', length: 1, mtimeMs: 0 }] }), {
      code: 'BT_SEEDER_FILE_MISSING',
      message: /oss\/debian\/nope\.img/,
    });
    const [first, ...rest] = desired.files;
    await assert.rejects(openOsFiles(hostA, { ...desired, files: [{ ...first!, length: first!.length + 1 }, ...rest] }), {
      code: 'BT_SEEDER_FILE_MISMATCH',
    });
    await assert.rejects(openOsFiles(hostA, { ...desired, files: [{ path: '../../etc/passwd', length: 1, mtimeMs: 0 }] }), {
      code: 'BT_SEEDER_FILE_OUTSIDE_PROJECT',
    });
  });
});
