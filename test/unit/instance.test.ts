import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prefixedSink } from '../../src/services/instance';

describe('prefixedSink: each instance\'s lines in the function\'s channel', () => {
  it('prefixes every line once, also when a chunk ends mid-line', () => {
    let text = '';
    const sink = prefixedSink({ append: (t) => (text += t), appendLine: (t) => (text += `${t}\n`) }, '[hello-2] ');
    sink.append('first li');
    sink.append('ne\nsecond\nthi');
    sink.append('rd\n');
    sink.appendLine('fourth');
    assert.equal(text, '[hello-2] first line\n[hello-2] second\n[hello-2] third\n[hello-2] fourth\n');
  });
});
