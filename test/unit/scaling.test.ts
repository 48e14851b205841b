import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SCALE, decideScale, pickInstance, type InstanceView, type PoolView, type ScaleConfig } from '../../src/core/scaling';

// The policy's clock is a number: these tests move it by hand (a virtual clock, no waiting).
const T0 = 1_000_000;
const seconds = (s: number) => s * 1000;

const scale = (overrides: Partial<ScaleConfig> = {}): ScaleConfig => ({ ...DEFAULT_SCALE, ...overrides });
const ready = (id: string, inFlight = 0, lastActiveAt = T0): InstanceView => ({ id, state: 'ready', inFlight, lastActiveAt });
const pool = (overrides: Partial<PoolView> = {}): PoolView => ({ mode: 'on', instances: [], pendingStarts: 0, queued: 0, ...overrides });

describe('decideScale: starting instances', () => {
  it('starts one instance for a request queued at zero', () => {
    assert.deepEqual(decideScale(scale(), pool({ queued: 1 }), T0), { start: 1, release: [] });
  });

  it('starts nothing at zero with no request (min 0)', () => {
    assert.deepEqual(decideScale(scale(), pool(), T0), { start: 0, release: [] });
  });

  it('with a concurrency limit, wants ceil(demand / concurrency) instances, demand being in flight plus queued', () => {
    const config = scale({ max: 10, concurrency: 2 });
    // 2 + 1 in flight, 4 queued: 7 requests need 4 instances; 2 run.
    const view = pool({ instances: [ready('a', 2), ready('b', 1)], queued: 4 });
    assert.equal(decideScale(config, view, T0).start, 2);
  });

  it('never wants more than max, however long the queue', () => {
    assert.equal(decideScale(scale({ max: 3, concurrency: 1 }), pool({ queued: 30 }), T0).start, 3);
    assert.equal(decideScale(scale({ max: 3, concurrency: 1 }), pool({ instances: [ready('a', 1)], queued: 30 }), T0).start, 2);
  });

  it('without a concurrency limit, one instance takes everything', () => {
    assert.equal(decideScale(scale({ max: 3, concurrency: 0 }), pool({ instances: [ready('a', 50)], queued: 20 }), T0).start, 0);
  });

  it('counts starts already asked for, and instances still starting, so it never asks twice', () => {
    const config = scale({ max: 3, concurrency: 1 });
    assert.equal(decideScale(config, pool({ queued: 3, pendingStarts: 3 }), T0).start, 0);
    assert.equal(decideScale(config, pool({ queued: 3, pendingStarts: 1 }), T0).start, 2);
    const starting: InstanceView = { id: 'a', state: 'starting', inFlight: 0, lastActiveAt: T0 };
    assert.equal(decideScale(config, pool({ instances: [starting], queued: 3, pendingStarts: 1 }), T0).start, 1);
  });

  it('keeps min instances while on, even with no demand', () => {
    assert.equal(decideScale(scale({ min: 2, max: 3 }), pool(), T0).start, 2);
    assert.equal(decideScale(scale({ min: 2, max: 3 }), pool({ instances: [ready('a')] }), T0).start, 1);
  });

  it('does not count a draining instance as capacity: its replacement starts', () => {
    const draining: InstanceView = { id: 'old', state: 'draining', inFlight: 1, lastActiveAt: T0 };
    assert.equal(decideScale(scale({ min: 1 }), pool({ instances: [draining] }), T0).start, 1);
  });
});

describe('decideScale: releasing idle instances', () => {
  const config = scale({ min: 0, max: 3, concurrency: 1, idleSeconds: 300 });

  it('releases nothing before idleSeconds have passed', () => {
    const view = pool({ instances: [ready('a')] });
    assert.deepEqual(decideScale(config, view, T0 + seconds(299)).release, []);
  });

  it('releases to zero with min 0 once idle for idleSeconds', () => {
    const view = pool({ instances: [ready('a')] });
    assert.deepEqual(decideScale(config, view, T0 + seconds(300)), { start: 0, release: ['a'] });
  });

  it('releases down to min, idlest first', () => {
    const view = pool({ instances: [ready('b', 0, T0 + seconds(20)), ready('a', 0, T0), ready('c', 0, T0 + seconds(10))] });
    assert.deepEqual(decideScale({ ...config, min: 1 }, view, T0 + seconds(400)).release, ['a', 'c']);
  });

  it('releases only instances idle long enough, while more than the demand needs remain', () => {
    // b is busy, c became idle recently: only a goes.
    const view = pool({ instances: [ready('a', 0, T0), ready('b', 1, T0), ready('c', 0, T0 + seconds(250))] });
    assert.deepEqual(decideScale(config, view, T0 + seconds(300)).release, ['a']);
  });

  it('releases nothing while it has requests in flight, however long ago its last one ended', () => {
    const view = pool({ instances: [ready('a', 1, T0)] });
    assert.deepEqual(decideScale(config, view, T0 + seconds(3600)).release, []);
  });

  it('releases nothing while requests are queued for it', () => {
    const view = pool({ instances: [ready('a', 0, T0)], queued: 1 });
    assert.deepEqual(decideScale(config, view, T0 + seconds(3600)).release, []);
  });

  it('never releases a starting instance or one already draining', () => {
    const view = pool({
      instances: [
        { id: 'starting', state: 'starting', inFlight: 0, lastActiveAt: T0 },
        { id: 'draining', state: 'draining', inFlight: 0, lastActiveAt: T0 },
      ],
    });
    assert.deepEqual(decideScale(config, view, T0 + seconds(3600)).release, []);
  });

  it('does not release a running instance in favour of one only asked for (a start may fail)', () => {
    const view = pool({ instances: [ready('a', 0, T0)], pendingStarts: 1 });
    assert.deepEqual(decideScale({ ...config, min: 1 }, view, T0 + seconds(3600)).release, []);
  });
});

describe('decideScale: off', () => {
  it('starts and releases nothing when off, whatever the demand or idleness', () => {
    const config = scale({ min: 2, max: 3, concurrency: 1, idleSeconds: 1 });
    const view = pool({ mode: 'off', instances: [ready('a', 0, T0)], queued: 10 });
    assert.deepEqual(decideScale(config, view, T0 + seconds(3600)), { start: 0, release: [] });
  });
});

describe('pickInstance', () => {
  it('picks the ready instance with the fewest in flight', () => {
    assert.equal(pickInstance([ready('a', 3), ready('b', 1), ready('c', 2)], 0)?.id, 'b');
  });

  it('skips instances at the concurrency limit, and gives none when all are full', () => {
    assert.equal(pickInstance([ready('a', 2), ready('b', 1)], 2)?.id, 'b');
    assert.equal(pickInstance([ready('a', 2), ready('b', 2)], 2), undefined);
  });

  it('has no limit with concurrency 0', () => {
    assert.equal(pickInstance([ready('a', 1000)], 0)?.id, 'a');
  });

  it('never picks a starting or draining instance', () => {
    const instances: InstanceView[] = [
      { id: 'starting', state: 'starting', inFlight: 0, lastActiveAt: T0 },
      { id: 'draining', state: 'draining', inFlight: 0, lastActiveAt: T0 },
    ];
    assert.equal(pickInstance(instances, 0), undefined);
  });

  it('breaks a tie by the one idle longest', () => {
    assert.equal(pickInstance([ready('recent', 0, T0 + 5), ready('idlest', 0, T0)], 1)?.id, 'idlest');
  });
});
