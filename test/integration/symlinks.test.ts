import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DockerEngine } from '../../src/engine/dockerEngine';
import { AutoReload } from '../../src/services/autoReload';
import { FunctionRegistry } from '../../src/services/functionRegistry';
import { watchFolder } from '../../src/watch/folderWatcher';
import { readSpec, realEngine, RecordingSink, scaffold, tempWorkspace, TestGateway } from './fixtures';

/** Every function in this file is reached through a real gateway, as in VS Code. */
let gateway: TestGateway;
before(async () => {
  gateway = await TestGateway.start();
});
after(() => gateway.close());

const updates = (text: string) => text.split('\n').filter((l) => /^(↻|✖) /.test(l));

/** Directories this process watches through inotify (Linux): one `inotify wd:` line per watch. */
function inotifyWatches(): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try { target = readlinkSync(`/proc/self/fd/${fd}`); } catch { continue; }
    if (target !== 'anon_inode:inotify') continue;
    try { count += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').filter((l) => l.startsWith('inotify wd:')).length; } catch { /* closed meanwhile */ }
  }
  return count;
}

describe('a function folder holding symbolic links that leave it, with "sync": ["**/*"]', () => {
  let engine: DockerEngine;
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  let outside: string;
  let folder: string;
  let registry: FunctionRegistry;
  let autoReload: AutoReload;
  const out = new RecordingSink();

  before(async () => {
    engine = realEngine();
    ws = await tempWorkspace();
    // Stands in for /usr, which a test cannot write under: a folder outside the function folder.
    outside = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-outside-'));
    await fs.writeFile(path.join(outside, 'secret.txt'), 'outside v1\n');
    folder = (await scaffold(ws.root, 'node', 'linked')).folder;
    const config = JSON.parse(await fs.readFile(path.join(folder, 'fn.json'), 'utf8'));
    await fs.writeFile(path.join(folder, 'fn.json'), JSON.stringify({ ...config, sync: ['**/*'] }, null, 2));
    await fs.symlink(outside, path.join(folder, 'outside-link'));
    await fs.symlink('/usr', path.join(folder, 'usr'));
    registry = new FunctionRegistry(engine, ws.ownerId, () => out, gateway.handle);
    autoReload = new AutoReload(registry, () => true);
    registry.setSpecs([await readSpec(folder)]);
    await registry.connect();
  });
  after(async () => {
    autoReload.dispose();
    await registry.disposeAsync();
    await ws.cleanup(engine);
    await fs.rm(outside, { recursive: true, force: true });
  });

  test('its watcher does not descend into the link to /usr: no more watches than without the links, and no events', { timeout: 30_000, skip: process.platform !== 'linux' && 'counts inotify watches, which only Linux has' }, async () => {
    // The same function without the links, for comparison.
    const plain = (await scaffold(ws.root, 'node', 'unlinked')).folder;
    const watches = async (watched: string): Promise<{ added: number; changes: string[] }> => {
      const before = inotifyWatches();
      const changes: string[] = [];
      const watcher = await watchFolder(watched, (change) => changes.push(change.path));
      try {
        await watcher.ready;
        const added = inotifyWatches() - before;
        await new Promise((r) => setTimeout(r, 300));
        return { added, changes };
      } finally {
        watcher.dispose();
      }
    };
    const withoutLinks = await watches(plain);
    const withLinks = await watches(folder);
    // Following the link to /usr would add thousands of watches (one per folder and file under it).
    assert.equal(withLinks.added, withoutLinks.added, `the watcher holds ${withLinks.added} inotify watches, the same folder without links ${withoutLinks.added}: it followed a link`);
    assert.deepEqual(withLinks.changes, [], 'no change reported by starting to watch');
  });

  test('a change under a link to a folder outside gives no update; a change inside still does', { timeout: 120_000 }, async () => {
    const runner = registry.get('linked')!;
    await runner.buildAndRun();
    await autoReload.ready('linked');
    const mark = out.text.length;
    await fs.writeFile(path.join(outside, 'secret.txt'), 'outside v2\n');
    await fs.writeFile(path.join(outside, 'new.txt'), 'outside new\n');
    // Far longer than an update takes to start (15 ms after a lone save; 90 ms after a burst).
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(updates(out.text.slice(mark)), [], 'no update from a change outside the function folder');

    // The watcher is alive: a save inside the folder still syncs, and names only that file.
    const handler = path.join(folder, 'handler.js');
    await fs.writeFile(handler, (await fs.readFile(handler, 'utf8')).replace('Hello, ', 'Inside, '));
    await out.waitFor(/↻ handler\.js changed → sync/);
    assert.deepEqual(updates(out.text.slice(mark)).map((l) => l.replace(/ after \d+ ms/, '')), ['↻ handler.js changed → sync (1 file(s) copied, reloaded by SIGHUP): new code serving']);
  });

  test('a sync refuses a file reached through a link that leaves the folder, and the container never gets its content', { timeout: 60_000 }, async () => {
    const runner = registry.get('linked')!;
    if (runner.state.kind !== 'running') await runner.buildAndRun();
    const id = runner.state.kind === 'running' ? runner.state.containerId : '';
    // Where the link points exists in the container too, so an archive entry under it would land there.
    execFileSync('docker', ['exec', id, 'mkdir', '-p', outside]);
    const refusal = await engine.copyInto(id, folder, ['outside-link/secret.txt'], '/app').then(() => undefined, (error: Error) => error);
    let inContainer = '';
    try {
      inContainer = execFileSync('docker', ['exec', id, 'cat', '/app/outside-link/secret.txt'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch { /* not there: as it should be */ }
    assert.doesNotMatch(inContainer, /outside/, 'the outside file reached the container');
    assert.match(refusal?.message ?? 'copied without complaint', /not copied: outside-link\/secret\.txt is reached through a symbolic link that leaves the function folder/);
  });
});
