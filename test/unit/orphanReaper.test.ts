import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isProcessAlive, reapWhenGone } from '../../src/services/orphanReaper';

describe('reapWhenGone (the clean-up helper\'s loop)', () => {
  it('waits while VS Code\'s process lives, then removes the containers once', async () => {
    let checks = 0;
    let reaps = 0;
    const removed = await reapWhenGone(42, {
      isAlive: (pid) => pid === 42 && ++checks < 4,
      reap: async () => { reaps++; return 2; },
      intervalMs: 1,
    });
    assert.equal(checks, 4, 'checked until the process was gone');
    assert.equal(reaps, 1);
    assert.equal(removed, 2);
  });

  it('tells a live process from a gone one', () => {
    assert.equal(isProcessAlive(process.pid), true);
    assert.equal(isProcessAlive(2 ** 22 + 12345), false);
  });
});
