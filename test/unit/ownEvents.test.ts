import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OwnEvents } from '../../src/services/ownEvents';

const event = (action: string, containerId = 'c1') => ({ containerId, action });

describe('OwnEvents (our transitions told from outside changes, with no timer)', () => {
  it('a restart claims its die then its start, and nothing more: a later die is news', () => {
    const own = new OwnEvents();
    own.expect('c1', 'die', 'start');
    assert.equal(own.claim(event('die')), true);
    assert.equal(own.claim(event('start')), true);
    assert.equal(own.claim(event('die')), false, 'a crash after the restart is an outside change');
  });

  it('an expected start arriving late is still ours, however late (no timer decides)', () => {
    let now = 0;
    const own = new OwnEvents(() => now);
    own.expect('c1', 'start');
    now += 10_000;
    assert.equal(own.claim(event('start')), true);
  });

  it('events of other containers, and actions nobody expected, are news', () => {
    const own = new OwnEvents();
    own.expect('c1', 'start');
    assert.equal(own.claim(event('start', 'c2')), false);
    assert.equal(own.claim(event('die')), false);
    assert.equal(own.claim(event('start')), true);
  });

  it('removing a stopped container gives only destroy: the die expected first is passed over, and nothing is left expected', () => {
    const own = new OwnEvents();
    own.expect('c1', 'die', 'destroy');
    assert.equal(own.claim(event('destroy')), true);
    assert.equal(own.claim(event('die')), false);
  });

  it('a stop that found the container stopped announces nothing; the start after it passes the die over, so a later outside die is news', () => {
    const own = new OwnEvents();
    own.expect('c1', 'die');
    own.expect('c1', 'start');
    assert.equal(own.claim(event('start')), true);
    assert.equal(own.claim(event('die')), false);
  });

  it('a withdrawn expectation (the operation failed, or the container answered) claims nothing', () => {
    const own = new OwnEvents();
    own.expect('c1', 'start');
    const exitBeforeAnswering = own.expect('c1', 'die');
    exitBeforeAnswering.withdraw();
    assert.equal(own.claim(event('start')), true);
    assert.equal(own.claim(event('die')), false);
  });

  it('safety net: an expected event the engine never delivered stops hiding outside changes after the expiry', () => {
    let now = 0;
    const own = new OwnEvents(() => now, 60_000);
    own.expect('c1', 'die', 'start');
    now += 60_001;
    assert.equal(own.claim(event('die')), false);
  });
});
