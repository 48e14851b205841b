import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChangeCoalescer, planUpdate, type FileChange } from '../../src/core/updatePlan';

const NODE_RULES = { sync: ['**/*.js'], rebuild: ['Dockerfile', 'package*.json', '.dockerignore'] };
const change = (path: string, kind: FileChange['kind'] = 'change'): FileChange => ({ path, kind });

describe('planUpdate', () => {
  it('syncs files that all match "sync"', () => {
    assert.deepEqual(planUpdate([change('handler.js'), change('lib/util.js')], NODE_RULES), { kind: 'sync', files: ['handler.js', 'lib/util.js'] });
  });

  it('rebuilds when any file matches "rebuild", naming it', () => {
    assert.deepEqual(planUpdate([change('handler.js'), change('package.json')], NODE_RULES), { kind: 'rebuild', reason: 'package.json matches "rebuild"' });
    assert.equal(planUpdate([change('package-lock.json')], NODE_RULES)?.kind, 'rebuild');
  });

  it('rebuilds for a file no "sync" rule covers, and when there are no sync rules at all', () => {
    assert.deepEqual(planUpdate([change('README.md')], NODE_RULES), { kind: 'rebuild', reason: 'README.md matches no "sync" rule' });
    assert.equal(planUpdate([change('handler.js')], { sync: [], rebuild: [] })?.kind, 'rebuild');
  });

  it('rebuilds when a synced file was deleted (a copy cannot carry a deletion)', () => {
    assert.deepEqual(planUpdate([change('old.js', 'unlink')], NODE_RULES), { kind: 'rebuild', reason: 'old.js was deleted' });
  });

  it('plans nothing for no changes', () => {
    assert.equal(planUpdate([], NODE_RULES), undefined);
  });
});

describe('ChangeCoalescer', () => {
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('hands over a lone save after the short quiet time', async () => {
    const flushed: FileChange[][] = [];
    const coalescer = new ChangeCoalescer(10, 200, (c) => flushed.push(c));
    coalescer.add(change('handler.js'));
    await wait(60);
    assert.deepEqual(flushed, [[change('handler.js')]]);
    coalescer.dispose();
  });

  it('turns a continuous burst into at most two updates, the last carrying the latest changes', async () => {
    const flushed: FileChange[][] = [];
    const coalescer = new ChangeCoalescer(10, 80, (c) => flushed.push(c));
    for (let i = 0; i < 20; i++) {
      coalescer.add(change(i % 2 ? 'a.js' : 'b.js'));
      await wait(20);
    }
    await wait(200);
    assert.ok(flushed.length <= 2 && flushed.length >= 1, `got ${flushed.length} updates`);
    assert.deepEqual(flushed.at(-1)!.map((c) => c.path).sort(), ['a.js', 'b.js']);
    coalescer.dispose();
  });

  it('keeps a new file as added when it is then changed', async () => {
    const flushed: FileChange[][] = [];
    const coalescer = new ChangeCoalescer(30, 100, (c) => flushed.push(c));
    coalescer.add(change('new.js', 'add'));
    coalescer.add(change('new.js', 'change'));
    await wait(200);
    assert.deepEqual(flushed.flat(), [change('new.js', 'add')]);
    coalescer.dispose();
  });

  it('hands over nothing once disposed', async () => {
    const flushed: FileChange[][] = [];
    const coalescer = new ChangeCoalescer(10, 50, (c) => flushed.push(c));
    coalescer.add(change('handler.js'));
    coalescer.dispose();
    await wait(80);
    assert.deepEqual(flushed, []);
  });

  it('hands over a file saved in the editor at once, without the quiet time', () => {
    const flushed: Array<{ changes: FileChange[]; startedBy: string }> = [];
    const coalescer = new ChangeCoalescer(50, 200, (changes, batch) => flushed.push({ changes, startedBy: batch.startedBy }));
    coalescer.addComplete(change('handler.js'), 'save');
    assert.deepEqual(flushed, [{ changes: [change('handler.js')], startedBy: 'complete' }]);
    coalescer.dispose();
  });

  it('takes the watcher\'s report of a write along with its save event: one update, at the save', async () => {
    const flushed: Array<{ changes: FileChange[]; seenBy: string; startedBy: string }> = [];
    const coalescer = new ChangeCoalescer(50, 200, (changes, batch) => flushed.push({ changes, seenBy: batch.seenBy, startedBy: batch.startedBy }));
    coalescer.add(change('handler.js'));
    await wait(2);
    coalescer.addComplete(change('handler.js'), 'save');
    await wait(120);
    assert.deepEqual(flushed, [{ changes: [change('handler.js')], seenBy: 'watcher', startedBy: 'complete' }]);
    coalescer.dispose();
  });

  it('lets a saved file wait with other changes still coming in (a checkout, a formatter): one update for them all', async () => {
    const flushed: FileChange[][] = [];
    const coalescer = new ChangeCoalescer(30, 80, (c) => flushed.push(c));
    coalescer.add(change('lib/a.js'));
    coalescer.addComplete(change('handler.js'), 'save');
    assert.equal(flushed.length, 0, 'not at once: lib/a.js may still be being written');
    await wait(200);
    assert.deepEqual(flushed.map((c) => c.map((x) => x.path).sort()), [['handler.js', 'lib/a.js']]);
    coalescer.dispose();
  });

  it('gives Save All of several files at most two updates, the last carrying the rest', async () => {
    const flushed: FileChange[][] = [];
    const coalescer = new ChangeCoalescer(10, 80, (c) => flushed.push(c));
    for (const file of ['a.js', 'b.js', 'c.js', 'd.js']) coalescer.addComplete(change(file), 'save');
    await wait(200);
    assert.deepEqual(flushed.map((c) => c.map((x) => x.path).sort()), [['a.js'], ['b.js', 'c.js', 'd.js']]);
    coalescer.dispose();
  });

  it('still turns saves in quick succession into at most two updates', async () => {
    const flushed: FileChange[][] = [];
    const coalescer = new ChangeCoalescer(10, 80, (c) => flushed.push(c));
    for (let i = 0; i < 20; i++) {
      coalescer.addComplete(change('handler.js'), 'save');
      await wait(20);
    }
    await wait(200);
    assert.ok(flushed.length <= 2 && flushed.length >= 1, `got ${flushed.length} updates`);
    coalescer.dispose();
  });
});

