import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { DEBUGPY_DIR } from '../../src/core/debug';
import { UserFacingError } from '../../src/core/errors';
import { locateDebugpy } from '../../src/services/debugpyLocator';

// The setting and the Python Debugger extension's copy are looked at before any python3 on this
// machine: with either given, nothing is run, so these tests do not depend on the machine.

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A folder holding a fake `debugpy` package (its __init__.py is all the locator looks for). */
function siteFolder(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-debugpy-'));
  dirs.push(root);
  fs.mkdirSync(path.join(root, 'debugpy'));
  fs.writeFileSync(path.join(root, 'debugpy', '__init__.py'), '');
  return root;
}

function emptyFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-nodebugpy-'));
  dirs.push(dir);
  return dir;
}

describe('locateDebugpy', () => {
  it('uses the folder the setting names, and mounts it at the container\'s pylib folder', async () => {
    const root = siteFolder();
    const found = await locateDebugpy({ setting: root });
    assert.equal(found.root, root);
    assert.deepEqual(found.mounts, [{ source: root, target: '/opt/local-serverless/pylib' }]);
    assert.equal(found.mounts[0].target, DEBUGPY_DIR);
    assert.match(found.from, /localServerless\.debugpyPath setting/);
  });

  it('takes a setting naming the debugpy package folder itself, mounting the folder that holds it', async () => {
    const root = siteFolder();
    const found = await locateDebugpy({ setting: path.join(root, 'debugpy') });
    assert.equal(found.root, root);
    assert.deepEqual(found.mounts, [{ source: root, target: DEBUGPY_DIR }]);
  });

  it('prefers the setting over the Python Debugger extension\'s debugpy', async () => {
    const mine = siteFolder();
    const bundled = siteFolder();
    const found = await locateDebugpy({ setting: mine, bundledByExtension: bundled });
    assert.equal(found.root, mine);
  });

  it('uses the Python Debugger extension\'s debugpy when the setting is empty', async () => {
    const bundled = siteFolder();
    const found = await locateDebugpy({ setting: '', bundledByExtension: bundled });
    assert.equal(found.root, bundled);
    assert.deepEqual(found.mounts, [{ source: bundled, target: DEBUGPY_DIR }]);
    assert.match(found.from, /Python Debugger extension/);
  });

  it('refuses a setting naming a folder without debugpy, saying which folder to name instead (and does not look elsewhere)', async () => {
    const wrong = emptyFolder();
    const bundled = siteFolder();
    await assert.rejects(locateDebugpy({ setting: wrong, bundledByExtension: bundled }), (error: unknown) => {
      assert.ok(error instanceof UserFacingError, String(error));
      assert.ok(error.message.includes(wrong), 'names the folder the setting gave');
      assert.match(error.message, /localServerless\.debugpyPath/);
      assert.match(error.message, /folder that contains the "debugpy" folder/);
      assert.match(error.message, /or clear it/);
      return true;
    });
  });

  it('refuses a setting naming a folder that does not exist', async () => {
    const missing = path.join(emptyFolder(), 'not-there');
    await assert.rejects(locateDebugpy({ setting: missing }), /localServerless\.debugpyPath setting names .*not-there, which holds no debugpy package/);
  });

  it('does not take a debugpy folder without __init__.py', async () => {
    const root = emptyFolder();
    fs.mkdirSync(path.join(root, 'debugpy'));
    await assert.rejects(locateDebugpy({ setting: root }), UserFacingError);
  });
});
