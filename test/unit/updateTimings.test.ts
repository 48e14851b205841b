import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeSaveEvent, describeTimings, parseSaveEvent, parseTimings } from '../../src/core/updateTimings';

describe('update timings in the debug log', () => {
  const seen = 1_733_076_799_123.4;

  it('says where the time of a sync went, in ms after the change was seen', () => {
    const line = describeTimings('hello-node', 'handler.js', 'sync', { seenBy: 'watcher', startedBy: 'complete', seen, started: seen + 0.3, copied: seen + 6.1, reloaded: seen + 7, done: seen + 7.2 });
    assert.equal(line, 'update timings: hello-node handler.js (sync; seen by the watcher at 1733076799123.4, started by the complete write): started +0.3, copied +6.1, reloaded +7.0, done +7.2 ms');
  });

  it('leaves out the steps a rebuild does not take', () => {
    const line = describeTimings('hello-python', '2 files (a.py, requirements.txt)', 'rebuild', { seenBy: 'watcher', startedBy: 'quiet', seen, started: seen + 15, done: seen + 900 });
    assert.match(line, /\(rebuild; seen by the watcher at [\d.]+, started by the quiet time\): started \+15\.0, done \+900\.0 ms$/);
  });

  it('reads back what it wrote, from a line of VS Code\'s log file (the benchmark does)', () => {
    const timings = { seenBy: 'save' as const, startedBy: 'complete' as const, seen, started: seen + 0.3, copied: seen + 6.1, reloaded: seen + 7, done: seen + 7.2 };
    const parsed = parseTimings(`2026-12-01 18:21:07.367 [debug] ${describeTimings('hello-node', '2 files (a.js, b.js)', 'sync', timings)}`);
    assert.equal(parsed?.name, 'hello-node');
    assert.equal(parsed?.what, '2 files (a.js, b.js)');
    assert.equal(parsed?.kind, 'sync');
    assert.equal(parsed?.timings.seenBy, 'save');
    assert.equal(parsed?.timings.startedBy, 'complete');
    for (const step of ['seen', 'started', 'copied', 'reloaded', 'done'] as const) assert.ok(Math.abs(parsed!.timings[step]! - timings[step]) < 0.06, step);
    assert.equal(parseTimings('2026-12-01 18:21:07.367 [info] activated in 440 ms'), undefined);
    // As the first version with timings wrote them (the benchmark compares against it).
    assert.equal(parseTimings('update timings: hello-node handler.js (sync; seen by the watcher at 1733076799123.4): started +15.2, copied +88.0 ms')?.timings.startedBy, 'quiet');
  });

  it('says when a save event came, and reads it back', () => {
    const line = describeSaveEvent('/ws/hello node/handler.js', seen);
    assert.equal(line, 'save event: /ws/hello node/handler.js at 1733076799123.4');
    assert.deepEqual(parseSaveEvent(`2026-12-01 18:21:07.367 [debug] ${line}`), { file: '/ws/hello node/handler.js', at: seen });
  });
});
