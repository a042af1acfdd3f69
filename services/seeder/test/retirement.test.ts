import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SwarmStats } from '@boottorrent/contracts';
import { retireNow, SwarmView } from '../src/retirement.js';
import type { Seeded } from '../src/seeded.js';

const hash = 'ab'.repeat(20);
const policy = { graceMs: 60_000, announceInterval: 2 };

function seeded(retiring: Seeded['retiring']): Seeded {
  return { os: 'demo', meta: { infoHash: hash } as Seeded['meta'], files: {} as Seeded['files'], torrentFile: new Uint8Array(), ready: {} as Seeded['ready'], retiring };
}

function stats(at: number, leechers: number | null): SwarmStats {
  return { tracker: 't', at, swarms: leechers === null ? [] : [{ infoHash: hash, seeders: 1, leechers, completed: 0, peers: [] }] };
}

describe('retirement policy', () => {
  it('never retires a current torrent', () => {
    assert.equal(retireNow(seeded(null), Date.now(), new SwarmView(), policy), null);
  });

  it('waits for the minimum hold and for stats taken after it, then retires once no leecher is left', () => {
    const since = 1_000_000;
    const view = new SwarmView();
    const entry = seeded({ since, reason: 'replaced' });
    view.update(stats(since + 500, 0));
    assert.equal(retireNow(entry, since + 1000, view, policy), null, 'inside the minimum hold');
    assert.equal(retireNow(entry, since + 5000, view, policy), null, 'stats older than the hold say nothing');
    view.update(stats(since + 4500, 2));
    assert.equal(retireNow(entry, since + 5000, view, policy), null, 'leechers on it');
    view.update(stats(since + 6000, 0));
    assert.equal(retireNow(entry, since + 6000, view, policy), 'replaced');
    view.update(stats(since + 7000, null));
    assert.equal(retireNow(seeded({ since, reason: 'removed' }), since + 7000, view, policy), 'removed', 'a swarm the tracker does not list is empty');
  });

  it('retires after the grace period whatever the tracker says (or when it says nothing)', () => {
    const since = 1_000_000;
    const view = new SwarmView();
    view.update(stats(since + 59_000, 3));
    assert.equal(retireNow(seeded({ since, reason: 'replaced' }), since + 59_999, view, policy), null);
    assert.equal(retireNow(seeded({ since, reason: 'replaced' }), since + 60_000, view, policy), 'grace-expired');
    assert.equal(retireNow(seeded({ since, reason: 'removed' }), since + 60_000, new SwarmView(), policy), 'grace-expired');
  });
});
