import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { FileChange } from '../../src/core/updatePlan';
import type { UpdateTimings } from '../../src/core/updateTimings';
import { AutoReload, BURST_QUIET_MS, FIRST_QUIET_MS, LOOK_AGAIN_MS } from '../../src/services/autoReload';
import type { FunctionRegistry } from '../../src/services/functionRegistry';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A running function in a real folder, watched by the real watcher, whose runner records the updates
 * it is handed (what a user sees as "↻ … changed → sync" lines), and when.
 */
describe('auto-reload: saves in the editor and the folder watcher together', () => {
  let folder: string;
  /** Each update handed over, with what handler.js held at that moment (what a sync would copy). */
  let updates: Array<{ changes: FileChange[]; timings?: UpdateTimings; at: number; handler: string }>;
  let autoReload: AutoReload;
  /** What the editor holds, not saved yet, for each open file (absolute path → text). */
  let editor: Map<string, string>;

  beforeEach(async () => {
    folder = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-autoreload-'));
    await fs.writeFile(path.join(folder, 'handler.js'), 'exports.handler = () => 1;\n');
    await fs.writeFile(path.join(folder, '.dockerignore'), 'notes/\n');
    await fs.mkdir(path.join(folder, 'notes'));
    await fs.mkdir(path.join(folder, 'node_modules'));
    updates = [];
    const runner = {
      spec: { name: 'fn', folder },
      state: { kind: 'running' },
      applyChanges: async (changes: FileChange[], timings?: UpdateTimings) => {
        updates.push({ changes, timings, at: performance.now(), handler: readFileSync(path.join(folder, 'handler.js'), 'utf8') });
      },
    };
    const registry = { functions: [runner], onDidChange: () => ({ dispose: () => undefined }) } as unknown as FunctionRegistry;
    editor = new Map();
    autoReload = new AutoReload(registry, () => true, { unsavedText: (file) => editor.get(file) });
    autoReload.reconcile();
    await autoReload.ready('fn');
  });
  afterEach(async () => {
    autoReload.dispose();
    await fs.rm(folder, { recursive: true, force: true });
  });

  /** Writes the file, as VS Code does when saving, then tells auto-reload it was saved after `eventDelayMs`. */
  async function saveInEditor(relative: string, content: string, eventDelayMs = 0): Promise<number> {
    const started = performance.now();
    await fs.writeFile(path.join(folder, relative), content);
    if (eventDelayMs) await wait(eventDelayMs);
    autoReload.saved(path.join(folder, relative));
    return started;
  }

  it('a file saved in the editor updates its function without waiting out the quiet time, once', async () => {
    const started = await saveInEditor('handler.js', 'exports.handler = () => 2;\n');
    await wait(BURST_QUIET_MS + 300); // the watcher has long reported the same write
    assert.deepEqual(updates.map((u) => u.changes), [[{ path: 'handler.js', kind: 'change' }]]);
    assert.equal(updates[0].timings?.startedBy, 'complete');
    assert.ok(updates[0].at - started < FIRST_QUIET_MS, `started ${(updates[0].at - started).toFixed(1)} ms after the write`);
  });

  it('a save event that comes after the watcher already updated the function applies nothing again', async () => {
    await saveInEditor('handler.js', 'exports.handler = () => 3;\n', FIRST_QUIET_MS + 100);
    await wait(300);
    assert.equal(updates.length, 1);
    assert.equal(updates[0].timings?.startedBy, 'quiet');
  });

  it('a different save right after the first is applied too: it is not taken for the first one reported again', async () => {
    await saveInEditor('handler.js', 'exports.handler = () => 4;\n');
    await wait(20);
    await saveInEditor('handler.js', 'exports.handler = () => 5;\n');
    await wait(BURST_QUIET_MS + 300);
    assert.equal(updates.length, 2);
  });

  it('a file open in the editor updates its function as soon as it holds the editor\'s text, before any save event', async () => {
    const text = 'exports.handler = () => 7;\n';
    editor.set(path.join(folder, 'handler.js'), text);
    await fs.writeFile(path.join(folder, 'handler.js'), text);
    await wait(BURST_QUIET_MS + 300);
    assert.equal(updates.length, 1);
    assert.equal(updates[0].timings?.startedBy, 'complete');
    assert.equal(updates[0].timings?.seenBy, 'watcher');
  });

  it('a file open in the editor whose disk content is not the editor\'s text (changed outside) waits out the quiet time', async () => {
    editor.set(path.join(folder, 'handler.js'), 'exports.handler = () => "typed, not saved";\n');
    await fs.writeFile(path.join(folder, 'handler.js'), 'exports.handler = () => 8;\n');
    await wait(BURST_QUIET_MS + 300);
    assert.equal(updates.length, 1);
    assert.equal(updates[0].timings?.startedBy, 'quiet');
  });

  it('a change made outside the editor still updates the function, after the quiet time', async () => {
    await fs.writeFile(path.join(folder, 'handler.js'), 'exports.handler = () => 6;\n');
    await wait(BURST_QUIET_MS + 300);
    assert.equal(updates.length, 1);
    assert.equal(updates[0].timings?.startedBy, 'quiet');
  });

  it('a write outside the editor that outlasts the quiet time still ends up in the function as finished', async () => {
    const handle = await fs.open(path.join(folder, 'handler.js'), 'w'); // the watcher reports the write as it begins
    await handle.write('exports.handler = () => ');
    await wait(FIRST_QUIET_MS + 15); // the quiet time ends half-way: the half is handed over
    await handle.write('9;\n');
    await handle.close(); // within chokidar's 50 ms of silence about the file: no report of this
    await wait(LOOK_AGAIN_MS + BURST_QUIET_MS + 300);
    assert.equal(updates.at(-1)?.handler, 'exports.handler = () => 9;\n');
    assert.ok(updates.length <= 2, `${updates.length} updates`);
  });

  it('saving a file the watcher ignores (.dockerignore, node_modules) or outside the folder updates nothing', async () => {
    await saveInEditor('notes/todo.md', 'later\n');
    await saveInEditor('node_modules/dep.js', 'module.exports = 1;\n');
    autoReload.saved(path.join(os.tmpdir(), 'elsewhere.js'));
    autoReload.saved(`${folder}-sibling/handler.js`);
    await wait(BURST_QUIET_MS + 300);
    assert.deepEqual(updates, []);
  });
});
