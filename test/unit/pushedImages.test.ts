import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pinnedReference, PushedImages, shortDigest, type StateStore } from '../../src/services/pushedImages';

class MemoryState implements StateStore {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, structuredClone(value));
  }
}

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('PushedImages', () => {
  it('keeps the last push per function across instances on the same state, and says which changed', async () => {
    const state = new MemoryState();
    const pushed = new PushedImages(state);
    const changed: string[] = [];
    pushed.onDidChange((name) => changed.push(name));
    await pushed.record('hello', { repository: '127.0.0.1:5001/hello', tag: '0123456789ab', digest: DIGEST, pushedAt: 1 });
    await pushed.record('other', { repository: 'r.io/other', tag: 'ffffffffffff', digest: DIGEST, pushedAt: 2 });
    assert.deepEqual(changed, ['hello', 'other']);
    const reloaded = new PushedImages(state);
    assert.equal(reloaded.get('hello')?.tag, '0123456789ab');
    assert.equal(reloaded.referenceFor('hello'), `127.0.0.1:5001/hello:0123456789ab@${DIGEST}`);
    assert.equal(reloaded.referenceFor('missing'), undefined);
  });

  it('ignores state it does not understand', () => {
    const state = new MemoryState();
    state.values.set('localServerless.pushedImages', { hello: { repository: 1 } });
    assert.equal(new PushedImages(state).get('hello'), undefined);
    state.values.set('localServerless.pushedImages', 'nonsense');
    assert.equal(new PushedImages(state).get('hello'), undefined);
  });

  it('shows a digest short, and pins a reference with tag and digest', () => {
    assert.equal(shortDigest(DIGEST), 'sha256:abababababab');
    assert.equal(shortDigest('something-else'), 'something-else');
    assert.equal(pinnedReference({ repository: 'r.io/a', tag: 't', digest: DIGEST }), `r.io/a:t@${DIGEST}`);
  });
});
