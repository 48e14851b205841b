import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildInvokeRequest, sendInvoke } from '../../src/core/invoke';
import type { DockerEngine } from '../../src/engine/dockerEngine';
import { RECEIVER_NAME } from '../../src/engine/syncReceiver';
import type { FunctionRunner } from '../../src/services/functionRunner';
import { poll } from '../support/poll';
import { ON_PODMAN, readSpec, realEngine, RecordingSink, scaffold, scaledFunction, tempWorkspace, TestGateway } from './fixtures';

/** How many processes in the container run the sync receiver (read from its /proc, by the docker CLI). */
function receiversIn(containerId: string): number {
  const listing = execFileSync('docker', ['exec', containerId, 'sh', '-c', 'for f in /proc/[0-9]*/cmdline; do tr "\\0" " " < "$f"; echo; done'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return listing.split('\n').filter((line) => line.includes(` ${RECEIVER_NAME}`)).length;
}

async function replyOf(url: string): Promise<string> {
  return (await sendInvoke(buildInvokeRequest(url, { method: 'POST', path: '/' }, '{"name":"receiver"}', 5))).body;
}

/** Saves `file` with `edit` applied, applies the change as auto-reload would, and waits until the reply says `expected`. */
async function saveAndSync(runner: FunctionRunner, file: string, edit: (text: string) => string, expected: string): Promise<void> {
  await fs.writeFile(file, edit(await fs.readFile(file, 'utf8')));
  await runner.applyChanges([{ path: path.relative(runner.spec.folder, file), kind: 'change' }]);
  let last = '';
  await poll(`a reply with ${expected}`, async () => (last = await replyOf(runner.url!).catch(String)).includes(expected), { timeoutMs: 10_000, lastSeen: () => last });
}

describe('syncing saved files through a receiver kept in the container', { skip: ON_PODMAN ? 'runs against Podman: it syncs through the Engine API (its receivers\' connections kept the test process from exiting); the inner-loop tests cover that path' : false }, () => {
  let engine: DockerEngine;
  let gateway: TestGateway;
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  const out = new RecordingSink();

  before(async () => {
    engine = realEngine();
    gateway = await TestGateway.start();
    ws = await tempWorkspace();
  });
  after(async () => {
    engine.dispose();
    await ws.cleanup(engine);
    await gateway.close();
  });

  for (const [runtime, file] of [['node', 'handler.js'], ['python', 'handler.py']] as const) {
    test(`${runtime}: every save reaches one receiver (one process, not one per save), and the very next request gets the new code`, async () => {
      const runner = gateway.runner(await scaffold(ws.root, runtime, `receiver-${runtime}`), engine, ws.ownerId, out);
      await runner.buildAndRun();
      const id = runner.state.kind === 'running' ? runner.state.containerId : '';
      // The instance's own port: the reply comes from the process that was told to reload.
      const port = /:(\d+)$/m.exec(execFileSync('docker', ['port', id], { encoding: 'utf8' }))![1];
      const handler = path.join(runner.spec.folder, file);
      const original = await fs.readFile(handler, 'utf8');
      for (let i = 1; i <= 10; i++) {
        await fs.writeFile(handler, original.replace('Hello, ', `Save ${i}, `));
        await runner.applyChanges([{ path: file, kind: 'change' }]);
        // The templates' servers say when they have reloaded, and the sync waits for it: no old code after "done".
        assert.match(await replyOf(`http://127.0.0.1:${port}`), new RegExp(`Save ${i}, receiver!`));
      }
      assert.equal(receiversIn(id), 1);
      assert.equal((out.text.match(new RegExp(`${file.replace('.', '\\.')} changed → sync \\(1 file\\(s\\) copied, reloaded by SIGHUP\\)`, 'g')) ?? []).length, 10);
      runner.dispose();
    });
  }

  test('with 3 instances, every one serves the new code by the time the channel says the sync is done', async () => {
    const folder = await scaledFunction(ws.root, 'receiver-three', { min: 3, max: 3 }, 0);
    const runner = gateway.runner(await readSpec(folder), engine, ws.ownerId, out);
    await runner.buildAndRun();
    const ids = runner.state.kind === 'running' ? runner.state.instances.map((i) => i.id) : [];
    assert.equal(ids.length, 3);
    // Each instance's own port, not the gateway's: no request may land on one that has the old code.
    const ports = ids.map((id) => /:(\d+)$/m.exec(execFileSync('docker', ['port', id], { encoding: 'utf8' }))![1]);
    const handler = path.join(folder, 'handler.js');
    const original = await fs.readFile(handler, 'utf8');
    for (const word of ['Everywhere', 'Again', 'Third', 'Fourth', 'Fifth']) {
      await fs.writeFile(handler, original.replace('Hello, ', `${word}, `));
      await runner.applyChanges([{ path: 'handler.js', kind: 'change' }]);
      assert.match(out.text, new RegExp(`handler\\.js changed → sync \\(1 file\\(s\\) copied, reloaded by SIGHUP, in 3 instances\\)`));
      const replies = await Promise.all(ports.map((port) => replyOf(`http://127.0.0.1:${port}`)));
      for (const reply of replies) assert.match(reply, new RegExp(`${word}, receiver!`));
    }
    runner.dispose();
  });

  test('an image without a shell syncs through the Engine API instead, and its process still reloads', async () => {
    const spec = await scaffold(ws.root, 'node', 'receiver-no-shell');
    const dockerfile = path.join(spec.folder, 'Dockerfile');
    // The server starts without a shell (CMD in exec form); an exec of `sh` fails.
    await fs.writeFile(dockerfile, (await fs.readFile(dockerfile, 'utf8')).replace('USER node', 'RUN rm /bin/sh\nUSER node'));
    const runner = gateway.runner(await readSpec(spec.folder), engine, ws.ownerId, out);
    await runner.buildAndRun();
    const handler = path.join(runner.spec.folder, 'handler.js');
    await saveAndSync(runner, handler, (text) => text.replace('Hello, ', 'Shell-less, '), 'Shell-less, receiver!');
    await saveAndSync(runner, handler, (text) => text.replace('Shell-less, ', 'Again, '), 'Again, receiver!');
    runner.dispose();
  });

  test('an image that restarts to reload syncs again after each restart (its receiver ends with its process)', async () => {
    const folder = path.join(ws.root, 'receiver-restart');
    await fs.cp(path.resolve(__dirname, '../../../examples/existing-python-app'), folder, { recursive: true });
    await fs.writeFile(path.join(folder, 'fn.json'), JSON.stringify({ name: 'receiver-restart', sync: ['*.py'] }));
    const runner = gateway.runner(await readSpec(folder), engine, ws.ownerId, out);
    await runner.buildAndRun();
    const app = path.join(folder, 'app.py');
    await saveAndSync(runner, app, (text) => text.replace('"service": "existing-python-app"}', '"service": "restart-1"}'), 'restart-1');
    await saveAndSync(runner, app, (text) => text.replace('"service": "restart-1"}', '"service": "restart-2"}'), 'restart-2');
    assert.equal((out.text.match(/app\.py changed → sync \(1 file\(s\) copied, container restarted\)/g) ?? []).length, 2);
    runner.dispose();
  });
});
