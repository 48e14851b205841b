import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DockerEngine } from '../../src/engine/dockerEngine';
import { readSpec, realEngine, RecordingSink, tempWorkspace, TestGateway } from './fixtures';

/** Every function in this file is reached through a real gateway, as in VS Code. */
let gateway: TestGateway;
before(async () => {
  gateway = await TestGateway.start();
});
after(() => gateway.close());

/**
 * No engine on another machine can be reached here. The stand-in: the real local engine, told it
 * is remote (the one field the adapter derives from a non-local address), running a container whose
 * published port answers nothing on this machine, as a remote engine's 127.0.0.1 would not.
 */
describe('an engine on another machine (stand-in: the local engine marked remote)', () => {
  let engine: DockerEngine;
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;

  before(async () => {
    engine = realEngine();
    await engine.ping();
    engine.remote = { hostname: 'build-box.example', sshTarget: 'me@build-box.example' };
    ws = await tempWorkspace();
  });
  after(async () => {
    engine.remote = undefined;
    await ws.cleanup(engine);
  });

  test('a function whose port answers nothing here fails within seconds, saying where it is published and how to reach it', async () => {
    const folder = path.join(ws.root, 'far-away');
    await fs.mkdir(folder, { recursive: true });
    // Publishes 8080 while the server listens on 9999: nothing answers on this machine's port.
    await fs.writeFile(path.join(folder, 'Dockerfile'), 'FROM node:20-bookworm-slim\nEXPOSE 8080\nCMD ["node", "-e", "require(\'http\').createServer((q, r) => r.end(\'{}\')).listen(9999)"]\n');
    const out = new RecordingSink();
    const runner = gateway.runner(await readSpec(folder), engine, ws.ownerId, out);
    const started = Date.now();
    await assert.rejects(runner.buildAndRun(), (error: Error) => {
      assert.match(error.message, /^far-away: started on build-box\.example, but nothing answers on 127\.0\.0\.1:(\d+) of this machine\./);
      const port = /127\.0\.0\.1:(\d+)/.exec(error.message)![1];
      assert.match(error.message, new RegExp(`published on 127\\.0\\.0\\.1 of build-box\\.example \\(this one on port ${port}\\)`));
      assert.match(error.message, new RegExp(`ssh -N -L ${port}:127\\.0\\.0\\.1:${port} me@build-box\\.example`));
      return true;
    });
    const waited = Date.now() - started;
    assert.ok(waited < 15_000, `gave up after ${waited} ms, not 30 s`);
    assert.match(out.text, /\[run\] The Docker engine runs on build-box\.example, so functions are published on 127\.0\.0\.1 of build-box\.example/, 'the channel says so while it waits');
    assert.equal(runner.state.kind, 'failed');
  });
});
