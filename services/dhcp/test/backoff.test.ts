import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failuresAfter, restartDelay } from '../src/backoff.js';

const policy = { initialMs: 500, maxMs: 30_000, resetMs: 60_000 };

describe('restart backoff', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((failures) => restartDelay(policy, failures)),
      [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000],
    );
    assert.equal(restartDelay(policy, 10_000), 30_000, 'no overflow for long streaks');
  });

  it('a long healthy run resets the streak; a short one extends it', () => {
    assert.equal(failuresAfter(policy, 5, 60_000), 1);
    assert.equal(failuresAfter(policy, 5, 59_999), 6);
    assert.equal(failuresAfter(policy, 0, 10), 1);
  });
});
