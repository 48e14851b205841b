import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { UserFacingError } from '../../src/core/errors';
import { assertWritableInside, filesReachedThroughLinks, isInside } from '../../src/core/insideFolder';
import { listSavedEvents, readSavedEvent } from '../../src/core/savedEvents';

/** A function folder inside a workspace, and a folder outside both (what a link may point at). */
let base: string;
let root: string;
let fn: string;
let outside: string;

beforeEach(async () => {
  base = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'ls-inside-')));
  root = path.join(base, 'workspace');
  fn = path.join(root, 'hello');
  outside = path.join(base, 'outside');
  await fs.mkdir(path.join(fn, 'events'), { recursive: true });
  await fs.mkdir(outside);
  await fs.writeFile(path.join(outside, 'secret.json'), '{"secret":true}');
});
afterEach(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof UserFacingError, `expected a UserFacingError, got ${String(error)}`);
  return error.message;
}

describe('isInside', () => {
  it('holds for the folder itself and what is below it, not for siblings that share a prefix or for ..', () => {
    assert.equal(isInside('/a/b', '/a/b'), true);
    assert.equal(isInside('/a/b', '/a/b/c/d'), true);
    assert.equal(isInside('/a/b', '/a/b/..c'), true);
    assert.equal(isInside('/a/b', '/a/bc'), false);
    assert.equal(isInside('/a/b', '/a'), false);
    assert.equal(isInside('/a/b', '/a/b/../c'), false);
  });
});

describe('assertWritableInside', () => {
  it('allows a new file in a new folder, and an existing regular file', async () => {
    await assertWritableInside(root, path.join(root, 'new-fn', 'events', 'hello.json'));
    await fs.writeFile(path.join(fn, 'Dockerfile'), 'FROM scratch\n');
    await assertWritableInside(root, path.join(fn, 'Dockerfile'));
  });

  it('refuses a target that is a symbolic link, even to a file inside, and says what to do', async () => {
    await fs.writeFile(path.join(fn, 'real.json'), '{}');
    await fs.symlink(path.join(fn, 'real.json'), path.join(fn, 'events', 'inside.json'));
    await fs.symlink(path.join(outside, 'secret.json'), path.join(fn, 'events', 'out.json'));
    for (const name of ['inside.json', 'out.json']) {
      const message = await refusal(assertWritableInside(fn, path.join(fn, 'events', name)));
      assert.match(message, new RegExp(`events/${name.replace('.', '\\.')} is a symbolic link`));
      assert.match(message, /Delete the link .* try again/);
    }
    assert.equal(await fs.readFile(path.join(outside, 'secret.json'), 'utf8'), '{"secret":true}');
  });

  it('refuses a dangling link, which a write would create wherever it points', async () => {
    await fs.symlink(path.join(outside, 'not-yet.json'), path.join(fn, 'events', 'dangling.json'));
    assert.match(await refusal(assertWritableInside(fn, path.join(fn, 'events', 'dangling.json'))), /is a symbolic link/);
  });

  it('refuses a target under a linked folder that leaves the root, naming the link', async () => {
    await fs.rm(path.join(fn, 'events'), { recursive: true });
    await fs.symlink(outside, path.join(fn, 'events'));
    const message = await refusal(assertWritableInside(fn, path.join(fn, 'events', 'new.json')));
    assert.match(message, /events\/new\.json would be written outside .*hello.*, because events is a symbolic link to .*outside/);
    assert.match(message, /Remove the link/);
    // New Function: a function folder name taken by a link out of the workspace.
    await fs.symlink(outside, path.join(root, 'linked-fn'));
    assert.match(await refusal(assertWritableInside(root, path.join(root, 'linked-fn', 'sub', 'handler.js'))), /because linked-fn is a symbolic link/);
  });

  it('refuses a target under a dangling folder link', async () => {
    await fs.symlink(path.join(outside, 'missing-dir'), path.join(fn, 'gone'));
    assert.match(await refusal(assertWritableInside(fn, path.join(fn, 'gone', 'x.json'))), /gone is a symbolic link/);
  });

  it('allows a linked folder that stays inside the root, and a root that is itself reached through a link', async () => {
    await fs.mkdir(path.join(fn, 'data'));
    await fs.symlink(path.join(fn, 'data'), path.join(fn, 'data-link'));
    await assertWritableInside(fn, path.join(fn, 'data-link', 'x.json'));
    await fs.symlink(root, path.join(base, 'workspace-link'));
    await assertWritableInside(path.join(base, 'workspace-link'), path.join(base, 'workspace-link', 'hello', 'events', 'x.json'));
  });

  it('refuses a target that is not under the root at all', async () => {
    assert.match(await refusal(assertWritableInside(fn, path.join(outside, 'x.json'))), /outside/);
  });
});

describe('filesReachedThroughLinks', () => {
  it('names files under a linked folder that leaves the function folder, not links themselves or files inside', async () => {
    await fs.writeFile(path.join(fn, 'handler.js'), '');
    await fs.symlink(outside, path.join(fn, 'outside-link'));
    await fs.symlink('/usr', path.join(fn, 'usr'));
    await fs.symlink(path.join(outside, 'secret.json'), path.join(fn, 'config.json'));
    await fs.mkdir(path.join(fn, 'lib'));
    await fs.symlink(path.join(fn, 'lib'), path.join(fn, 'lib-link'));
    await fs.writeFile(path.join(fn, 'lib', 'util.js'), '');
    const files = ['handler.js', 'outside-link/secret.json', 'usr/lib/os-release', 'config.json', 'outside-link', 'lib-link/util.js'];
    assert.deepEqual(await filesReachedThroughLinks(fn, files), ['outside-link/secret.json', 'usr/lib/os-release']);
  });
});

describe('saved events', () => {
  it('lists events/*.json, sorted, leaving out links whose real path leaves the function folder', async () => {
    await fs.writeFile(path.join(fn, 'events', 'b.json'), '{}');
    await fs.writeFile(path.join(fn, 'events', 'a.json'), '{}');
    await fs.writeFile(path.join(fn, 'events', 'notes.txt'), '');
    await fs.writeFile(path.join(fn, 'shared.json'), '{"shared":1}');
    await fs.symlink(path.join(fn, 'shared.json'), path.join(fn, 'events', 'shared.json'));
    await fs.symlink(path.join(outside, 'secret.json'), path.join(fn, 'events', 'secret.json'));
    assert.deepEqual(await listSavedEvents(fn), ['a.json', 'b.json', 'shared.json'].map((f) => path.join(fn, 'events', f)));
    assert.equal(await readSavedEvent(fn, path.join(fn, 'events', 'shared.json')), '{"shared":1}');
  });

  it('refuses to read an event file that links out of the function folder, and says what to do', async () => {
    await fs.symlink(path.join(outside, 'secret.json'), path.join(fn, 'events', 'secret.json'));
    const message = await refusal(readSavedEvent(fn, path.join(fn, 'events', 'secret.json')));
    assert.match(message, /events\/secret\.json leads out of the function folder .* through a symbolic link/);
    assert.match(message, /Replace the link with a regular file/);
    assert.doesNotMatch(message, /secret":true/);
  });

  it('lists nothing, and reads nothing, from an events folder that is a link out of the function folder', async () => {
    await fs.rm(path.join(fn, 'events'), { recursive: true });
    await fs.symlink(outside, path.join(fn, 'events'));
    assert.deepEqual(await listSavedEvents(fn), []);
    assert.match(await refusal(readSavedEvent(fn, path.join(fn, 'events', 'secret.json'))), /leads out of the function folder/);
  });

  it('lists nothing when there is no events folder', async () => {
    await fs.rm(path.join(fn, 'events'), { recursive: true });
    assert.deepEqual(await listSavedEvents(fn), []);
  });
});
