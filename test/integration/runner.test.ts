import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildInvokeRequest, sendInvoke } from '../../src/core/invoke';
import { imageTag, LABEL_FUNCTION, LABEL_OWNER } from '../../src/core/names';
import { isPortFree } from '../../src/core/ports';
import type { DockerEngine } from '../../src/engine/dockerEngine';
import { realEngine, RecordingSink, scaffold, tempWorkspace, TestGateway, until } from './fixtures';

/** Every function in this file is reached through a real gateway, as in VS Code. */
let gateway: TestGateway;
before(async () => {
  gateway = await TestGateway.start();
});
after(() => gateway.close());

type BuildFailureDetail = Error & { detail?: string };

async function invoke(url: string, body: unknown) {
  return sendInvoke(buildInvokeRequest(url, { method: 'POST', path: '/' }, JSON.stringify(body), 5));
}

describe('function runner against the real Docker engine', () => {
  let engine: DockerEngine;
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;

  before(async () => {
    engine = realEngine();
    await engine.ping();
    ws = await tempWorkspace();
  });
  after(async () => {
    await ws.cleanup(engine);
  });

  test('a scaffolded Node function builds, runs on 127.0.0.1, answers, logs, and stops leaving nothing behind', async () => {
    const spec = await scaffold(ws.root, 'node', 'greeter');
    const out = new RecordingSink();
    const runner = gateway.runner(spec, engine, ws.ownerId, out);

    const url = await runner.buildAndRun();
    assert.equal(url, `${gateway.handle.origin}/greeter`, 'its stable URL on the gateway');
    assert.equal(runner.state.kind, 'running');
    assert.match(out.text, /\[build\] .*FROM .*node:20-bookworm-slim/, 'build output is in the channel, marked');

    const result = await invoke(url, { name: 'Ada' });
    assert.equal(result.status, 200);
    assert.deepEqual(result.json, { message: 'Hello, Ada!', from: 'greeter' });
    await out.waitFor(/greeter: POST \//); // a log line the handler printed

    const [container] = await engine.list({ [LABEL_OWNER]: ws.ownerId, [LABEL_FUNCTION]: 'greeter' });
    assert.ok(container.running);
    const info = await engine.inspect(container.id);
    assert.ok(info?.hostPort, 'its instance is published on 127.0.0.1, where the gateway forwards');
    const instancePort = info.hostPort;

    await runner.stop();
    assert.equal(runner.state.kind, 'stopped');
    assert.deepEqual(await engine.list({ [LABEL_OWNER]: ws.ownerId, [LABEL_FUNCTION]: 'greeter' }), [], 'no container left');
    assert.equal(await isPortFree(instancePort), true, 'no port left bound');
  });

  test('several functions run at once, each at its own gateway path, each answering and logging into its own channel', async () => {
    const specs = [await scaffold(ws.root, 'node', 'twin-node'), await scaffold(ws.root, 'python', 'twin-py')];
    const sinks = specs.map(() => new RecordingSink());
    const runners = specs.map((spec, i) => gateway.runner(spec, engine, ws.ownerId, sinks[i]));
    const urls = await Promise.all(runners.map((r) => r.buildAndRun()));
    assert.deepEqual(urls.map((u) => new URL(u).pathname), ['/twin-node', '/twin-py'], 'each function has its own path on the one gateway');
    for (const [i, name] of ['twin-node', 'twin-py'].entries()) {
      assert.deepEqual((await invoke(urls[i], { name })).json, { message: `Hello, ${name}!`, from: name });
      await sinks[i].waitFor(new RegExp(`${name}: POST /`));
    }
    assert.doesNotMatch(sinks[0].text, /twin-py/, "the Node function's channel holds none of the Python function's output");
    assert.doesNotMatch(sinks[1].text, /twin-node/, "the Python function's channel holds none of the Node function's output");
    const instancePorts = (await Promise.all(['twin-node', 'twin-py'].map((name) => engine.list({ [LABEL_OWNER]: ws.ownerId, [LABEL_FUNCTION]: name })))).flat().map((c) => c.hostPort!);
    assert.equal(instancePorts.length, 2);
    await Promise.all(runners.map((r) => r.stop()));
    for (const port of instancePorts) assert.equal(await isPortFree(port), true, `127.0.0.1:${port} released`);
  });

  test('a failing RUN is a failed build naming the step and its output, not a success', async () => {
    const spec = await scaffold(ws.root, 'node', 'broken');
    await fs.writeFile(path.join(spec.folder, 'Dockerfile'), 'FROM node:20-bookworm-slim\nRUN echo "about to fail" && exit 3\nCMD ["node"]\n');
    const out = new RecordingSink();
    const runner = gateway.runner(spec, engine, ws.ownerId, out);

    let error: unknown;
    await assert.rejects(runner.buildAndRun().catch((e) => { error = e; throw e; }), (error: Error) => {
      assert.match(error.message, /Build failed at "(\[\d+\/\d+\] )?RUN echo "about to fail" && exit 3"/);
      assert.match(error.message, /(returned a non-zero code|exit code|exit status):? 3/);
      return true;
    });
    assert.equal(runner.state.kind, 'failed');
    assert.match(out.text, /\[build\] +about to fail/, 'the failing step\'s output reaches the channel');
    assert.match((error as BuildFailureDetail).detail ?? '', /about to fail/, 'the failure carries the step\'s output');
    assert.deepEqual(await engine.list({ [LABEL_OWNER]: ws.ownerId, [LABEL_FUNCTION]: 'broken' }), []);
    assert.equal(await engine.imageLabels(imageTag('broken', ws.ownerId)), undefined, 'no image was tagged');
  });

  test('a failed rebuild keeps the previous container serving on the same URL', async () => {
    const spec = await scaffold(ws.root, 'python', 'steady');
    const out = new RecordingSink();
    const runner = gateway.runner(spec, engine, ws.ownerId, out);
    const url = await runner.buildAndRun();
    assert.equal((await invoke(url, { name: 'one' })).status, 200);

    const dockerfile = path.join(spec.folder, 'Dockerfile');
    const good = await fs.readFile(dockerfile, 'utf8');
    await fs.writeFile(dockerfile, good.replace('COPY . .', 'RUN exit 7\nCOPY . .'));
    await assert.rejects(runner.buildAndRun(), /Build failed/);

    assert.equal(runner.state.kind, 'running');
    assert.equal(runner.url, url);
    assert.match(runner.lastError ?? '', /(non-zero code|exit code|exit status):? 7/);
    assert.deepEqual((await invoke(url, { name: 'two' })).json, { message: 'Hello, two!', from: 'steady' });
    assert.match(out.text, /previous instance keeps serving/);
    await runner.stop();
  });

  /** This function's containers, running or not, found by label as after a reload. */
  const containersOf = (name: string) => engine.list({ [LABEL_OWNER]: ws.ownerId, [LABEL_FUNCTION]: name });

  test('a rebuilt container that exits at start (the handler throws when loaded) leaves the previous one answering on the same URL', async () => {
    const spec = await scaffold(ws.root, 'node', 'crashy');
    const out = new RecordingSink();
    const runner = gateway.runner(spec, engine, ws.ownerId, out);
    const url = await runner.buildAndRun();
    const handler = path.join(spec.folder, 'handler.js');
    const good = await fs.readFile(handler, 'utf8');
    await fs.writeFile(handler, `throw new Error('broken at load');\n${good.replace('Hello, ', 'Broken, ')}`);

    await assert.rejects(runner.buildAndRun(), (error: Error) => {
      assert.match(error.message, /exited with code 1/);
      assert.match(error.message, /previous instance keeps serving/);
      return true;
    });
    assert.deepEqual((await invoke(url, { name: 'still' })).json, { message: 'Hello, still!', from: 'crashy' });
    assert.equal(runner.state.kind, 'running');
    assert.equal(runner.url, url);
    assert.match(runner.lastError ?? '', /exited with code 1/);
    assert.match(out.text, /broken at load/, 'the new container\'s crash output reaches the channel');
    assert.match(out.text, /previous instance keeps serving at http:\/\/127\.0\.0\.1:\d+/);
    const left = await containersOf('crashy');
    assert.deepEqual(left.map((c) => [c.id, c.running]), [[runner.state.kind === 'running' && runner.state.containerId, true]], 'only the previous container is left, and it runs');

    // Fixed: the new code serves, and the previous container goes.
    await fs.writeFile(handler, good.replace('Hello, ', 'Fixed, '));
    assert.equal(await runner.buildAndRun(), url);
    assert.deepEqual((await invoke(url, { name: 'now' })).json, { message: 'Fixed, now!', from: 'crashy' });
    assert.equal(runner.lastError, undefined);
    await until('the previous container to be removed', async () => (await containersOf('crashy')).length === 1, 10_000);
    await runner.stop();
    assert.deepEqual(await containersOf('crashy'), []);
  });

  test('a rebuilt container that never listens is given up after the ready timeout, and the previous one serves again', async () => {
    const spec = await scaffold(ws.root, 'python', 'silent');
    const out = new RecordingSink();
    const runner = gateway.runner(spec, engine, ws.ownerId, out, { readyTimeoutMs: 3_000 });
    const url = await runner.buildAndRun();
    const dockerfile = path.join(spec.folder, 'Dockerfile');
    const good = await fs.readFile(dockerfile, 'utf8');
    await fs.writeFile(dockerfile, good.replace(/^CMD .*$/m, 'CMD ["sleep", "600"]'));

    await assert.rejects(runner.buildAndRun(), /did not answer on port 8080 within 3 s.*previous instance keeps serving/s);
    assert.deepEqual((await invoke(url, { name: 'again' })).json, { message: 'Hello, again!', from: 'silent' });
    assert.equal(runner.state.kind, 'running');
    assert.equal(runner.url, url);
    assert.match(runner.lastError ?? '', /did not answer/);
    const left = await containersOf('silent');
    assert.deepEqual(left.map((c) => [c.id, c.running]), [[runner.state.kind === 'running' && runner.state.containerId, true]], 'the silent container is removed; the previous one runs');
    await runner.stop();
    assert.deepEqual(await containersOf('silent'), []);
  });

  test('a newer rebuild while the new container is still starting: the newest code serves, and no container is left behind', async () => {
    const spec = await scaffold(ws.root, 'node', 'hasty');
    const out = new RecordingSink();
    const runner = gateway.runner(spec, engine, ws.ownerId, out);
    const url = await runner.buildAndRun();
    const dockerfile = path.join(spec.folder, 'Dockerfile');
    const handler = path.join(spec.folder, 'handler.js');
    const [goodDockerfile, goodHandler] = [await fs.readFile(dockerfile, 'utf8'), await fs.readFile(handler, 'utf8')];
    // A container that takes 3 s to listen: the newer rebuild arrives while it starts.
    await fs.writeFile(dockerfile, goodDockerfile.replace(/^CMD .*$/m, 'CMD ["sh", "-c", "sleep 3; exec node server.js"]'));
    await fs.writeFile(handler, goodHandler.replace('Hello, ', 'Slow, '));
    const mark = out.text.length;
    const slow = runner.buildAndRun();
    await until('the slow container to be starting', () => out.text.slice(mark).includes('[run]'), 20_000);
    await fs.writeFile(dockerfile, goodDockerfile);
    await fs.writeFile(handler, goodHandler.replace('Hello, ', 'Newest, '));
    const newest = runner.buildAndRun();

    await assert.rejects(slow, { name: 'CancelledError' });
    assert.equal(await newest, url);
    assert.deepEqual((await invoke(url, { name: 'last' })).json, { message: 'Newest, last!', from: 'hasty' });
    assert.doesNotMatch(out.text.slice(mark), /✖/, 'giving way to a newer rebuild is not a failure');
    await until('one container left', async () => (await containersOf('hasty')).length === 1, 10_000);
    assert.equal((await containersOf('hasty'))[0].id, runner.state.kind === 'running' && runner.state.containerId);
    await runner.stop();
    assert.deepEqual(await containersOf('hasty'), []);
  });

  test('Stop while a rebuilt container is still starting removes both it and the stopped previous one', async () => {
    const spec = await scaffold(ws.root, 'node', 'halted');
    const out = new RecordingSink();
    const runner = gateway.runner(spec, engine, ws.ownerId, out);
    await runner.buildAndRun();
    const dockerfile = path.join(spec.folder, 'Dockerfile');
    await fs.writeFile(dockerfile, (await fs.readFile(dockerfile, 'utf8')).replace(/^CMD .*$/m, 'CMD ["sh", "-c", "sleep 5; exec node server.js"]'));
    const mark = out.text.length;
    const rebuild = runner.buildAndRun();
    await until('the new container to be starting', () => out.text.slice(mark).includes('[run]'), 20_000);
    await runner.stop();
    await assert.rejects(rebuild, { name: 'CancelledError' });
    assert.equal(runner.state.kind, 'stopped');
    assert.deepEqual(await containersOf('halted'), []);
  });
});
