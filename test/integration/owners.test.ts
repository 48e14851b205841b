import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { buildInvokeRequest, sendInvoke } from '../../src/core/invoke';
import { imageTag, LABEL_FUNCTION, LABEL_OWNER, LEGACY_LABEL_WORKSPACE, workspaceId } from '../../src/core/names';
import type { DockerEngine } from '../../src/engine/dockerEngine';
import { FunctionRegistry } from '../../src/services/functionRegistry';
import { realEngine, RecordingSink, scaffold, tempWorkspace, TestGateway, type TempWorkspace } from './fixtures';

/** Every function in this file is reached through a real gateway, as in VS Code. */
let gateway: TestGateway;
before(async () => {
  gateway = await TestGateway.start();
});
after(() => gateway.close());

async function answers(url: string): Promise<boolean> {
  try {
    return (await sendInvoke(buildInvokeRequest(url, { method: 'POST', path: '/' }, '{}', 5))).status === 200;
  } catch {
    return false;
  }
}

/**
 * Two VS Code instances open on the same folder (desktop and Insiders, two code-servers, two dev
 * containers with the same path) share one engine: each has its own owner id.
 */
describe('two VS Code instances on the same folder and the same engine', () => {
  let engine: DockerEngine;
  let ws: TempWorkspace;
  let first: FunctionRegistry;
  let second: FunctionRegistry;
  /** The other window's own gateway. */
  let secondGateway: TestGateway;
  const legacyContainers: string[] = [];

  before(async () => {
    engine = realEngine();
    ws = await tempWorkspace();
    first = new FunctionRegistry(engine, ws.ownerId, () => new RecordingSink(), gateway.handle);
    secondGateway = await TestGateway.start();
    second = new FunctionRegistry(engine, ws.ownerIdFor('second'), () => new RecordingSink(), secondGateway.handle);
  });
  after(async () => {
    await first.disposeAsync();
    await second.disposeAsync();
    await secondGateway.close();
    for (const id of legacyContainers) execFileSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
    for (const owner of [ws.ownerId, ws.ownerIdFor('second')]) await engine.removeImage(imageTag('shared', owner));
    await ws.cleanup(engine);
  });

  test('the second neither adopts nor cleans up the first one\'s container and image; it gets its own on its own port', async () => {
    const spec = await scaffold(ws.root, 'node', 'shared');
    first.setSpecs([spec]);
    await first.connect();
    const firstUrl = await first.get('shared')!.buildAndRun();

    second.setSpecs([spec]);
    assert.equal((await second.connect()).kind, 'available');
    assert.equal(second.get('shared')!.state.kind, 'notBuilt', 'the first one\'s container is not adopted');

    assert.deepEqual(await second.cleanUp(), { containers: 0, images: 0 }, 'Clean Up finds nothing of its own');
    assert.equal((await engine.list({ [LABEL_OWNER]: ws.ownerId })).filter((c) => c.running).length, 1, 'the first one\'s container still runs');
    assert.ok(await answers(firstUrl), 'and still answers');
    assert.notEqual(await engine.imageLabels(imageTag('shared', ws.ownerId)), undefined, 'its image is still there');

    const secondUrl = await second.get('shared')!.buildAndRun();
    assert.notEqual(new URL(secondUrl).port, new URL(firstUrl).port);
    assert.ok(await answers(secondUrl));
    assert.ok(await answers(firstUrl), 'the first one was not replaced');
    assert.equal(first.get('shared')!.url, firstUrl);

    assert.equal((await first.cleanUp()).images, 1, 'the first one\'s Clean Up removes its own image tag');
    assert.deepEqual(await engine.list({ [LABEL_OWNER]: ws.ownerId }), [], 'and its own container');
    assert.ok(await answers(secondUrl), 'the first one\'s Clean Up leaves the second one\'s container');
    assert.notEqual(await engine.imageLabels(imageTag('shared', ws.ownerIdFor('second'))), undefined, 'and its image');
    assert.equal(second.get('shared')!.url, secondUrl);
  });

  test('a container made by an older version (labelled with the folder only) is left alone, and the log says how to remove it', async () => {
    const spec = await scaffold(ws.root, 'node', 'legacy');
    const id = execFileSync('docker', ['run', '-d', '--label', `${LEGACY_LABEL_WORKSPACE}=${workspaceId(ws.root)}`, '--label', `${LABEL_FUNCTION}=legacy`,
      'node:20-bookworm-slim', 'node', '-e', 'setTimeout(() => {}, 120000)'], { encoding: 'utf8' }).trim();
    legacyContainers.push(id);
    const warnings: string[] = [];
    const registry = new FunctionRegistry(engine, ws.ownerIdFor('upgraded'), () => new RecordingSink(), gateway.handle, { log: (m) => warnings.push(m), legacyWorkspaceId: workspaceId(ws.root) });
    try {
      registry.setSpecs([spec]);
      await registry.connect();
      assert.equal(registry.get('legacy')!.state.kind, 'notBuilt', 'not adopted');
      const warning = warnings.find((w) => w.includes(id.slice(0, 12)));
      assert.ok(warning, `the log names it: ${JSON.stringify(warnings)}`);
      assert.match(warning, /older version/);
      assert.match(warning, /docker rm -f/);
      await registry.connect();
      assert.equal(warnings.filter((w) => w.includes(id.slice(0, 12))).length, 1, 'said once, not at every reconnect');
      await registry.cleanUp();
      assert.equal(execFileSync('docker', ['inspect', '-f', '{{.State.Running}}', id], { encoding: 'utf8' }).trim(), 'true', 'Clean Up leaves it running');
    } finally {
      await registry.disposeAsync();
    }
  });
});
