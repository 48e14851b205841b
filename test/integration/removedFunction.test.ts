import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isCancellation } from '../../src/core/errors';
import { LABEL_FUNCTION, LABEL_OWNER } from '../../src/core/names';
import type { DockerEngine } from '../../src/engine/dockerEngine';
import { AutoReload } from '../../src/services/autoReload';
import { FunctionRegistry } from '../../src/services/functionRegistry';
import type { OutputSink } from '../../src/services/functionRunner';
import { readSpec, realEngine, scaffold, tempWorkspace, TestGateway, until } from './fixtures';

/** Every function in this file is reached through a real gateway, as in VS Code. */
let gateway: TestGateway;
before(async () => {
  gateway = await TestGateway.start();
});
after(() => gateway.close());

/** A channel as VS Code has it: writing after dispose throws. Counts such writes, which would surface as errors. */
class Channel implements OutputSink {
  text = '';
  disposed = false;
  writesAfterDispose = 0;
  append(text: string): void {
    if (this.disposed) {
      this.writesAfterDispose++;
      throw new Error('Channel has been closed');
    }
    this.text += text;
  }
  appendLine(text: string): void {
    this.append(text + '\n');
  }
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    await until(`output matching ${pattern}`, () => pattern.test(this.text), timeoutMs);
  }
}

/**
 * A function that disappears from discovery (its folder deleted, or renamed in fn.json) leaves nothing
 * behind: no container, no watcher, no output channel, and nothing written to the closed channel.
 */
describe('a function removed from the workspace, against the real Docker engine', () => {
  let engine: DockerEngine;
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  let registry: FunctionRegistry;
  let autoReload: AutoReload;
  const channels = new Map<string, Channel>();
  const channelFor = (name: string) => channels.get(name) ?? channels.set(name, new Channel()).get(name)!;
  const containersOf = async (name: string) => engine.list({ [LABEL_OWNER]: ws.ownerId, [LABEL_FUNCTION]: name });

  before(async () => {
    engine = realEngine();
    ws = await tempWorkspace();
    registry = new FunctionRegistry(engine, ws.ownerId, channelFor, gateway.handle, {
      releaseOutput: (name: string) => {
        const channel = channels.get(name);
        if (channel) channel.disposed = true;
        channels.delete(name);
      },
    });
    autoReload = new AutoReload(registry, () => true);
    await registry.connect();
  });
  after(async () => {
    autoReload.dispose();
    await registry.disposeAsync();
    await ws.cleanup(engine);
  });

  test('a running function that is removed has its container removed, its watcher stopped and its channel disposed', async () => {
    const kept = await scaffold(ws.root, 'node', 'kept');
    const removed = await scaffold(ws.root, 'node', 'removed');
    registry.setSpecs([kept, removed]);
    await registry.get('removed')!.buildAndRun();
    assert.equal((await containersOf('removed')).length, 1);
    assert.equal(autoReload.isWatching('removed'), true);
    const channel = channels.get('removed')!;
    assert.match(channel.text, /running at/);

    registry.setSpecs([kept]);
    assert.equal(channel.disposed, true, 'the channel is disposed');
    assert.equal(channels.has('removed'), false);
    assert.equal(autoReload.isWatching('removed'), false, 'the watcher is stopped');
    await until('the container to be removed', async () => (await containersOf('removed')).length === 0, 10_000);
    assert.equal(registry.get('removed'), undefined);
    assert.equal(channel.writesAfterDispose, 0);
  });

  test('a function removed while it builds: the build is cancelled, no container appears, nothing is written to its closed channel', async () => {
    const spec = await scaffold(ws.root, 'node', 'mid-build');
    const dockerfile = path.join(spec.folder, 'Dockerfile');
    await fs.writeFile(dockerfile, (await fs.readFile(dockerfile, 'utf8')).replace('COPY . .', 'RUN sleep 30.5\nCOPY . .'));
    registry.setSpecs([await readSpec(spec.folder)]);
    const channel = channelFor('mid-build');
    const outcome = registry.get('mid-build')!.buildAndRun().then(() => 'built', (error: unknown) => error);
    await channel.waitFor(/\[build\] .*RUN sleep 30\.5/);

    registry.setSpecs([]);
    const result = await outcome;
    assert.ok(isCancellation(result), `the build is cancelled, not: ${String(result)}`);
    assert.equal(channel.disposed, true);
    // Long enough for a container that was wrongly still started to show up.
    await new Promise((r) => setTimeout(r, 1_500));
    assert.deepEqual(await containersOf('mid-build'), []);
    assert.equal(channel.writesAfterDispose, 0, 'nothing written to the disposed channel');
  });
});
