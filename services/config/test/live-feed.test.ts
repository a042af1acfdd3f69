import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { NodeRecord } from '@boottorrent/contracts';
import { Coalescer } from '../src/live/coalescer.js';
import { LiveFeed, MAX_BUFFERED_BYTES, type LiveSink } from '../src/live/feed.js';
import { captureLogger } from './helpers/fixtures.js';

/*
 * The feed's pure logic: the per-node coalescing, and what happens to a viewer that stops
 * reading (hard to provoke over loopback, whose socket buffers hold megabytes). The sinks
 * below only record what they are given.
 */

const INTERVAL = 60;

function collect(): { coalescer: Coalescer<number>; got: Array<[string, number]> } {
  const got: Array<[string, number]> = [];
  return { coalescer: new Coalescer<number>(INTERVAL, (key, value) => void got.push([key, value])), got };
}

describe('Coalescer', () => {
  test('the first value goes out at once, the rest of the interval collapses into its latest', async () => {
    const { coalescer, got } = collect();
    coalescer.push('a', 1);
    coalescer.push('a', 2);
    coalescer.push('a', 3);
    coalescer.push('b', 9);
    assert.deepEqual(got, [['a', 1], ['b', 9]]);
    await sleep(INTERVAL * 1.5);
    assert.deepEqual(got, [['a', 1], ['b', 9], ['a', 3]]);
    await sleep(INTERVAL * 1.5);
    assert.equal(coalescer.size, 0, 'quiet keys hold no timer');
    coalescer.push('a', 4);
    assert.deepEqual(got.at(-1), ['a', 4], 'after a quiet interval the next value is immediate again');
    coalescer.close();
  });

  test('drop forgets a waiting value; close forgets everything', async () => {
    const { coalescer, got } = collect();
    coalescer.push('a', 1);
    coalescer.push('a', 2);
    coalescer.drop('a');
    coalescer.push('b', 1);
    coalescer.push('b', 2);
    coalescer.close();
    assert.equal(coalescer.size, 0);
    await sleep(INTERVAL * 1.5);
    assert.deepEqual(got, [['a', 1], ['b', 1]]);
  });
});

class RecordingSink implements LiveSink {
  readonly chunks: string[] = [];
  writableLength = 0;
  ended = false;
  destroyed = false;
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

const node: NodeRecord = {
  mac: '52:54:00:00:0f:01',
  state: 'downloading',
  os: 'demo',
  ip: null,
  clientArch: null,
  infoHash: null,
  progress: null,
  error: null,
  message: null,
  bootCount: 1,
  history: [{ state: 'downloading', at: 1 }],
  firstSeenAt: 1,
  updatedAt: 1,
};

function feed(maxViewers = 2): { live: LiveFeed; captured: ReturnType<typeof captureLogger> } {
  const captured = captureLogger('info');
  const live = new LiveFeed({
    logger: captured.logger,
    maxViewers,
    progressIntervalMs: INTERVAL,
    snapshot: () => ({ master: { apiUrl: null, dashboardUrl: null, trackerUrls: [], oses: [] }, nodes: [], swarms: null, at: 0 }),
    master: () => ({ apiUrl: null, dashboardUrl: null, trackerUrls: [], oses: [] }),
  });
  return { live, captured };
}

describe('LiveFeed', () => {
  test('a viewer that stops reading is dropped (and told nothing more) once it is too far behind', () => {
    const { live, captured } = feed();
    const slow = new RecordingSink();
    const fine = new RecordingSink();
    live.attach(slow);
    live.attach(fine);
    slow.writableLength = MAX_BUFFERED_BYTES + 1;
    live.nodeChanged(node, true);
    assert.ok(slow.destroyed);
    assert.equal(live.viewerCount, 1);
    assert.ok(captured.lines.some((line) => line.code === 'BT_DASHBOARD_SLOW_VIEWER'));
    const before = slow.chunks.length;
    live.nodeChanged({ ...node, state: 'seeding' }, true);
    assert.equal(slow.chunks.length, before);
    assert.match(fine.chunks.at(-1)!, /^event: node\ndata: \{.*"state":"seeding"/);
    live.close();
    assert.ok(fine.ended);
  });

  test('refuses viewers beyond its limit, and after close', () => {
    const { live } = feed(1);
    live.attach(new RecordingSink());
    assert.throws(() => live.attach(new RecordingSink()), { code: 'BT_DASHBOARD_FULL', statusCode: 503 });
    live.close();
    assert.equal(live.hasRoom(), false);
  });

  test('a state change supersedes a progress update waiting for its turn', async () => {
    const { live } = feed();
    const sink = new RecordingSink();
    live.attach(sink);
    live.nodeChanged(node, false);
    live.nodeChanged({ ...node, updatedAt: 2 }, false);
    live.nodeChanged({ ...node, state: 'seeding', updatedAt: 3 }, true);
    await sleep(INTERVAL * 1.5);
    assert.deepEqual(sink.chunks.slice(2).map((chunk) => chunk.split('\n')[0]), ['event: progress', 'event: node']);
    live.close();
  });
});
