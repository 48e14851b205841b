import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentRequests } from '../../src/core/recentRequests';

// A virtual clock: ms numbers moved by hand.
const T0 = 50_000;

describe('RecentRequests', () => {
  it('counts requests that ended in the last second', () => {
    const recent = new RecentRequests();
    recent.record(T0, 10);
    recent.record(T0 + 600, 10);
    recent.record(T0 + 900, 10);
    assert.equal(recent.perSecond(T0 + 999), 3);
    assert.equal(recent.perSecond(T0 + 1_500), 2);
    assert.equal(recent.perSecond(T0 + 5_000), 0);
  });

  it('gives nearest-rank percentiles over the last ten seconds', () => {
    const recent = new RecentRequests();
    for (let ms = 1; ms <= 100; ms++) recent.record(T0, ms);
    assert.deepEqual(recent.percentiles(T0, [50, 95, 100]), [50, 95, 100]);
  });

  it('forgets requests older than ten seconds, and has no percentiles without requests', () => {
    const recent = new RecentRequests();
    recent.record(T0, 900);
    recent.record(T0 + 9_000, 10);
    assert.deepEqual(recent.percentiles(T0 + 10_000, [50]), [10]);
    assert.deepEqual(recent.percentiles(T0 + 20_000, [50, 95]), [undefined, undefined]);
  });
});
