import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundInputError, distributionBounds, uniformBounds } from '../src/swarm/bounds.js';

const MiB = 1024 * 1024;

describe('uniformBounds', () => {
  it('is F/U at every N when all links are equal (the seed term binds)', () => {
    const f = 32 * MiB;
    const fOverU = (f * 8) / 20e6; // 13.42 s
    for (const n of [1, 2, 4, 8, 16, 32]) {
      const b = uniformBounds(f, n, 20);
      assert.ok(Math.abs(b.p2pSeconds - fOverU) < 1e-9, `N=${n}: ${b.p2pSeconds}`);
      assert.equal(b.p2pBinding, 'seed');
      assert.ok(Math.abs(b.clientServerSeconds - n * fOverU) < 1e-9, `N=${n}: ${b.clientServerSeconds}`);
    }
    assert.equal(uniformBounds(f, 1, 20).fileBits, f * 8);
  });

  it('refuses a node count below 1', () => {
    assert.throws(() => uniformBounds(MiB, 0, 20), BoundInputError);
  });
});

describe('distributionBounds', () => {
  it('is bound by the aggregate upload when nodes upload slowly', () => {
    // F = 1 Mbit (125000 bytes); seed 10 Mbit/s, 9 nodes upload 1 Mbit/s, download 100 Mbit/s.
    const b = distributionBounds(125_000, { seedUpBps: 10e6, nodeUpBps: Array(9).fill(1e6), nodeDownBps: Array(9).fill(100e6) });
    assert.equal(b.p2pBinding, 'aggregate');
    assert.ok(Math.abs(b.p2pSeconds - (9 * 1e6) / 19e6) < 1e-12);
    assert.ok(Math.abs(b.clientServerSeconds - 0.9) < 1e-12);
  });

  it('is bound by the slowest download link', () => {
    const b = distributionBounds(125_000, { seedUpBps: 10e6, nodeUpBps: [10e6, 10e6], nodeDownBps: [10e6, 0.5e6] });
    assert.equal(b.p2pBinding, 'download');
    assert.equal(b.p2pSeconds, 2);
    // The client-server bound also never beats the slowest download.
    assert.equal(b.clientServerSeconds, 2);
  });

  it('accepts pure leechers (upload 0) and refuses nonsense', () => {
    assert.equal(distributionBounds(125_000, { seedUpBps: 1e6, nodeUpBps: [0, 0], nodeDownBps: [1e6, 1e6] }).p2pSeconds, 2);
    assert.throws(() => distributionBounds(125_000, { seedUpBps: 0, nodeUpBps: [1], nodeDownBps: [1] }), BoundInputError);
    assert.throws(() => distributionBounds(125_000, { seedUpBps: 1, nodeUpBps: [-1], nodeDownBps: [1] }), BoundInputError);
    assert.throws(() => distributionBounds(125_000, { seedUpBps: 1, nodeUpBps: [1], nodeDownBps: [] }), BoundInputError);
    assert.throws(() => distributionBounds(0, { seedUpBps: 1, nodeUpBps: [1], nodeDownBps: [1] }), BoundInputError);
  });
});
