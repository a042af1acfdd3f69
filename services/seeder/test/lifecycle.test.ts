import assert from 'node:assert/strict';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { aria2cDone, aria2cPercent, freePort, startAria2c, waitFor } from '@boottorrent/testing';
import { makeOs, osDesired, sha256File, writeRandomFile } from './fixtures.js';
import { startStack, type Stack } from './stack.js';

const MiB = 1024 * 1024;

async function fetchTorrentTo(url: string, path: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  await writeFile(path, new Uint8Array(await res.arrayBuffer()));
  return path;
}

/** The latest progress percentage aria2c printed. */
function progress(lines: readonly string[]): number {
  for (let i = lines.length - 1; i >= 0; i--) {
    const percent = aria2cPercent(lines[i]!);
    if (percent !== null) return percent;
  }
  return 0;
}

/** Replaces a file the safe way: write a new file, rename it over the old one. */
async function replaceByRename(path: string, bytes: number): Promise<void> {
  await writeRandomFile(`${path}.new`, bytes);
  await rename(`${path}.new`, path);
}

describe('seeder lifecycle: errors, re-seed on change, retirement', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({
      graceSeconds: 120,
      prepare: async (project) => {
        await makeOs(project, 'alpha', { vmlinuz: 1 * MiB, 'initrd.img': 9 * MiB });
        await makeOs(project, 'beta', { vmlinuz: 2 * MiB + 3 });
        await makeOs(project, 'broken', { vmlinuz: 1000, 'initrd.img': 1000 });
        const oses = [await osDesired(project, 'alpha'), await osDesired(project, 'beta'), await osDesired(project, 'broken')];
        // The desired state lists a file this seeder does not have.
        await rm(join(project, 'oss/broken/initrd.img'));
        return oses;
      },
    });
  });
  after(async () => stack?.close());

  it('reports a missing OS file as a torrent error naming it, and seeds the other OSes', async () => {
    const error = await waitFor(() => stack.seen.errors.find((e) => e.os === 'broken'), { timeoutMs: 20_000, what: 'a torrent error for broken' });
    assert.equal(error.code, 'BT_SEEDER_FILE_MISSING');
    assert.match(error.message, /oss\/broken\/initrd\.img/);
    assert.equal(error.seeder.id, 'test-seeder');
    for (const os of ['alpha', 'beta']) {
      const ready = await stack.readyOf(os);
      assert.equal((await fetch(ready.torrentUrl)).status, 200);
    }
    assert.equal(await stack.torrents.get('broken'), null);
    assert.equal(stack.running.readiness().ready, true);
  });

  it('seeds a new info-hash when files are replaced; the old one serves its node to the end, then retires', async () => {
    const project = stack.project;
    const old = await stack.readyOf('alpha');
    const oldSum = await sha256File(join(project, 'oss/alpha/initrd.img'));
    const torrent = await fetchTorrentTo(old.torrentUrl, join(stack.work, 'alpha-old.torrent'));
    // A node on the old torrent, slow enough to still be downloading after the change.
    const leecher = startAria2c('aria2c-old', { torrent, dir: join(stack.work, 'old'), listenPort: await freePort(), extraArgs: ['--max-download-limit=1M'] });
    try {
      await leecher.waitForLine(/\(\d+%\)/, 20_000);
      await waitFor(() => progress(leecher.lines) >= 5, { timeoutMs: 20_000, what: 'the old-torrent download to start' });

      await replaceByRename(join(project, 'oss/alpha/initrd.img'), 9 * MiB);
      await stack.setOses([await osDesired(project, 'alpha'), await osDesired(project, 'beta'), await osDesired(project, 'broken')]);
      const fresh = await stack.readyOf('alpha', old.infoHash);
      assert.notEqual(fresh.infoHash, old.infoHash);
      await waitFor(() => stack.seen.ready.some((r) => r.infoHash === fresh.infoHash), { timeoutMs: 5_000, what: 'the torrent ready event of the new files' });

      const states = stack.running.seeder.torrents();
      assert.ok(states.some((t) => t.infoHash === old.infoHash && t.retiring), 'old torrent still seeding, retiring');
      assert.equal((await fetch(old.torrentUrl)).status, 200, 'old .torrent still served');
      // Past the minimum hold (two announce intervals), the node is still downloading: the old
      // torrent must still be there for it.
      const freshAt = Date.now();
      await waitFor(() => Date.now() - freshAt > 2500 && progress(leecher.lines) >= 30, { timeoutMs: 30_000, what: 'the download to go on' });
      assert.ok(progress(leecher.lines) < 100, 'still downloading');
      assert.equal(stack.seen.retired.some((r) => r.infoHash === old.infoHash), false, 'not retired while a node is on it');

      await aria2cDone(leecher, 60_000);
    } finally {
      await leecher.stop();
    }
    // The node got the OLD bytes, although the file on disk was replaced mid-download.
    assert.equal(await sha256File(join(stack.work, 'old/alpha/initrd.img')), oldSum);
    const retired = await waitFor(() => stack.seen.retired.find((r) => r.infoHash === old.infoHash), { timeoutMs: 20_000, what: 'the old torrent retired' });
    assert.equal(retired.reason, 'replaced');
    assert.equal((await fetch(old.torrentUrl)).status, 404);
  });

  it('retires a torrent at once when its file is overwritten in place, says why, and seeds the new bytes', async () => {
    const old = await stack.readyOf('beta');
    const handle = await open(join(stack.project, 'oss/beta/vmlinuz'), 'r+');
    await handle.write(Buffer.alloc(4096, 0x5a), 0, 4096, 1000);
    await handle.close();
    const error = await waitFor(() => stack.seen.errors.find((e) => e.os === 'beta' && e.code === 'BT_SEEDER_FILE_OVERWRITTEN'), { timeoutMs: 20_000, what: 'an overwrite error' });
    assert.match(error.message, /vmlinuz/);
    assert.match(error.message, new RegExp(old.infoHash));
    const retired = await waitFor(() => stack.seen.retired.find((r) => r.infoHash === old.infoHash), { timeoutMs: 10_000, what: 'beta retired' });
    assert.equal(retired.reason, 'replaced');
    // Same length, new bytes: the seeder rebuilt from disk without waiting for the desired state.
    const fresh = await stack.readyOf('beta', old.infoHash);
    assert.notEqual(fresh.infoHash, old.infoHash);
  });

  it('drops an OS removed from the desired state: KV entry deleted, torrent retired', async () => {
    const alpha = await stack.readyOf('alpha');
    await stack.setOses([await osDesired(stack.project, 'beta')]);
    await waitFor(async () => (await stack.torrents.get('alpha')) === null, { timeoutMs: 10_000, what: 'alpha removed from KV' });
    const retired = await waitFor(() => stack.seen.retired.find((r) => r.infoHash === alpha.infoHash), { timeoutMs: 20_000, what: 'alpha retired' });
    assert.equal(retired.reason, 'removed');
    assert.ok(stack.running.seeder.torrents().every((t) => t.os !== 'alpha'));
  });
});

describe('seeder lifecycle: the grace period bounds a stuck node', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({
      graceSeconds: 4,
      prepare: async (project) => {
        await makeOs(project, 'gamma', { vmlinuz: 6 * MiB });
        return [await osDesired(project, 'gamma')];
      },
    });
  });
  after(async () => stack?.close());

  it('retires the replaced torrent after the grace period even while a node is still on it', async () => {
    const old = await stack.readyOf('gamma');
    const torrent = await fetchTorrentTo(old.torrentUrl, join(stack.work, 'gamma-old.torrent'));
    const stuck = startAria2c('aria2c-stuck', { torrent, dir: join(stack.work, 'stuck'), listenPort: await freePort(), extraArgs: ['--max-download-limit=64K'] });
    try {
      await stuck.waitForLine(/\(\d+%\)/, 20_000);
      await replaceByRename(join(stack.project, 'oss/gamma/vmlinuz'), 6 * MiB);
      const changedAt = Date.now();
      await stack.setOses([await osDesired(stack.project, 'gamma')]);
      await stack.readyOf('gamma', old.infoHash);
      const retired = await waitFor(() => stack.seen.retired.find((r) => r.infoHash === old.infoHash), { timeoutMs: 20_000, what: 'the old torrent retired' });
      assert.equal(retired.reason, 'grace-expired');
      assert.ok(retired.at - changedAt >= 4000, 'not before the grace period');
      assert.equal(await Promise.race([stuck.exited.then(() => 'exited'), Promise.resolve('running')]), 'running', 'the node was still on it');
    } finally {
      await stuck.stop();
    }
  });
});

describe('seeder readiness', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({
      prepare: async (project) => {
        await makeOs(project, 'large', { vmlinuz: 1 * MiB, 'initrd.img': 96 * MiB });
        return [await osDesired(project, 'large')];
      },
    });
  });
  after(async () => stack?.close());

  it('is not ready before every OS has its torrent published', async () => {
    const details: string[] = [];
    await waitFor(
      () => {
        const readiness = stack.running.readiness();
        details.push(readiness.detail);
        return readiness.ready;
      },
      { timeoutMs: 60_000, intervalMs: 5, what: 'the seeder to be ready' },
    );
    const published = await stack.torrents.get('large');
    assert.ok(published, `ready, yet no torrent in KV (readiness went: ${[...new Set(details)].join(' | ')})`);
    assert.match(published.infoHash, /^[0-9a-f]{40}$/);
  });
});
