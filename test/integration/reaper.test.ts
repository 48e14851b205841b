import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LABEL_WORKSPACE } from '../../src/core/names';
import { isPortFree } from '../../src/core/ports';
import type { DockerEngine } from '../../src/engine/dockerEngine';
import { FunctionRegistry } from '../../src/services/functionRegistry';
import { OrphanReaper } from '../../src/services/orphanReaper';
import { realEngine, RecordingSink, scaffold, tempWorkspace, until } from './fixtures';

const HELPER = path.resolve(__dirname, '../../src/reaper.js');

describe('containers are removed when VS Code goes without deactivating the extension', () => {
  let engine: DockerEngine;
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  let fakeVsCode: ChildProcess;
  let registry: FunctionRegistry;
  let reaper: OrphanReaper;

  before(async () => {
    engine = realEngine();
    ws = await tempWorkspace();
    // Stands in for VS Code's process, the extension host's parent.
    fakeVsCode = spawn('sleep', ['120'], { stdio: 'ignore' });
    registry = new FunctionRegistry(engine, ws.wsId, () => new RecordingSink());
    reaper = new OrphanReaper(HELPER, registry, () => engine.host, () => undefined, fakeVsCode.pid!);
  });
  after(async () => {
    fakeVsCode.kill('SIGKILL');
    reaper.dispose();
    reaper.stopHelper();
    await registry.disposeAsync();
    await ws.cleanup(engine);
  });

  test('while VS Code runs its functions keep running; once its process is gone they are removed and their ports freed', async () => {
    registry.setSpecs([await scaffold(ws.root, 'node', 'orphan')]);
    const url = await registry.get('orphan')!.buildAndRun();
    const ours = () => engine.list({ [LABEL_WORKSPACE]: ws.wsId });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await ours()).filter((c) => c.running).length, 1, 'the helper leaves containers alone while VS Code runs');

    // VS Code is killed: no deactivate runs (the registry is never disposed here).
    fakeVsCode.kill('SIGKILL');
    await until('the containers to be removed', async () => (await ours()).length === 0, 10_000).catch(() => undefined);
    assert.deepEqual(await ours(), [], 'no container left');
    assert.equal(await isPortFree(Number(new URL(url).port)), true, 'no port left bound');
  });
});
