import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { PausableTimer } from '../../src/core/pausableTimer';

// With node:test's mock timers and an injected clock moved together, time is exact: these tests say
// when the timer fires, to the millisecond, without waiting. The last block uses real time (the
// default clock, performance.now) with generous margins.

describe('PausableTimer (mocked time)', () => {
  let clock = 0;
  const now = () => clock;
  /** Moves both the timers and the injected clock. */
  const advance = (ms: number) => {
    clock += ms;
    mock.timers.tick(ms);
  };

  beforeEach(() => {
    clock = 1_000;
    mock.timers.enable({ apis: ['setTimeout'] });
  });
  afterEach(() => mock.timers.reset());

  it('fires once, after its time and not before', () => {
    let fired = 0;
    new PausableTimer(100, () => fired++, now);
    advance(99);
    assert.equal(fired, 0);
    advance(1);
    assert.equal(fired, 1);
    advance(1_000);
    assert.equal(fired, 1, 'one-shot');
  });

  it('stands still while paused, and resumes with the time that was left', () => {
    let fired = 0;
    const timer = new PausableTimer(100, () => fired++, now);
    advance(60);
    timer.pause();
    assert.equal(timer.paused, true);
    advance(10_000); // at a breakpoint for ten seconds
    assert.equal(fired, 0, 'no deadline while paused');
    timer.resume();
    assert.equal(timer.paused, false);
    advance(39);
    assert.equal(fired, 0, 'the 60 ms before the pause counted');
    advance(1);
    assert.equal(fired, 1, 'fired with the 40 ms that were left');
  });

  it('adds up several pauses', () => {
    let fired = 0;
    const timer = new PausableTimer(100, () => fired++, now);
    for (let i = 0; i < 4; i++) {
      advance(20);
      timer.pause();
      advance(500);
      timer.resume();
    }
    advance(19);
    assert.equal(fired, 0);
    advance(1);
    assert.equal(fired, 1);
  });

  it('never fires once cleared, running or paused', () => {
    let fired = 0;
    const running = new PausableTimer(100, () => fired++, now);
    advance(50);
    running.clear();
    const paused = new PausableTimer(100, () => fired++, now);
    paused.pause();
    paused.clear();
    paused.resume(); // a cleared timer does not start again
    advance(1_000);
    assert.equal(fired, 0);
  });

  it('takes pause twice and resume twice as once', () => {
    let fired = 0;
    const timer = new PausableTimer(100, () => fired++, now);
    advance(30);
    timer.pause();
    advance(20);
    timer.pause(); // must not take the paused 20 ms off the time left
    advance(100);
    timer.resume();
    timer.resume(); // must not start a second timeout nor restart the clock
    advance(69);
    assert.equal(fired, 0, 'still 70 ms left after the pause');
    advance(1);
    assert.equal(fired, 1);
    advance(1_000);
    assert.equal(fired, 1, 'fired once');
  });

  it('does nothing on pause or resume after it fired', () => {
    let fired = 0;
    const timer = new PausableTimer(10, () => fired++, now);
    advance(10);
    assert.equal(fired, 1);
    timer.pause();
    assert.equal(timer.paused, false);
    timer.resume();
    advance(1_000);
    assert.equal(fired, 1);
  });

  it('fires at once for a time of zero or less', () => {
    let fired = 0;
    new PausableTimer(-5, () => fired++, now);
    advance(0);
    assert.equal(fired, 1);
  });
});

describe('PausableTimer (real time, default clock)', () => {
  const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  function firing(ms: number): { timer: PausableTimer; fired: Promise<number>; hasFired: () => boolean } {
    let resolve: (at: number) => void = () => undefined;
    let done = false;
    const fired = new Promise<number>((r) => (resolve = r));
    const timer = new PausableTimer(ms, () => {
      done = true;
      resolve(performance.now());
    });
    return { timer, fired, hasFired: () => done };
  }

  it('fires after its time', async () => {
    const startedAt = performance.now();
    const { fired } = firing(50);
    const at = await fired;
    assert.ok(at - startedAt >= 45, `fired after ${at - startedAt} ms`);
  });

  it('does not fire while paused, and fires after resume with the time that was left still to run', async () => {
    const startedAt = performance.now();
    const { timer, fired, hasFired } = firing(100);
    await delay(30);
    timer.pause();
    // The timer counted at most this much before the pause: at least the rest is still to run.
    const counted = performance.now() - startedAt;
    await delay(250);
    assert.equal(hasFired(), false, 'no firing during a 250 ms pause of a 100 ms timer');
    const resumedAt = performance.now();
    timer.resume();
    const at = await fired;
    assert.ok(at - resumedAt >= 100 - counted - 2, `fired ${at - resumedAt} ms after resume, ${counted} ms having counted before`);
  });

  it('does not fire once cleared', async () => {
    const { timer, hasFired } = firing(50);
    timer.clear();
    await delay(150);
    assert.equal(hasFired(), false);
  });
});
