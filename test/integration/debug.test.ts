import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathMappingsFor } from '../../src/core/debug';
import { LABEL_FUNCTION, LABEL_OWNER } from '../../src/core/names';
import type { DockerEngine } from '../../src/engine/dockerEngine';
import { locateDebugpy } from '../../src/services/debugpyLocator';
import type { FunctionRunner } from '../../src/services/functionRunner';
import { REPLICA_HEADER } from '../../src/services/gatewayTypes';
import { DapClient } from '../support/dapClient';
import { postJson, readSpec, realEngine, RecordingSink, type Reply, scaffold, tempWorkspace, TestGateway, until } from './fixtures';


function post(url: string, body: unknown): Promise<Reply> {
  return postJson(url, body, 30_000);
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http.get(url, { timeout: 5_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(JSON.parse(text)));
    }).on('error', reject);
  });
}

/** Whether something accepts connections on 127.0.0.1:port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

describe('Debug Function against the real Docker engine', () => {
  let engine: DockerEngine;
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  let gateway: TestGateway;
  const runners: FunctionRunner[] = [];

  before(async () => {
    engine = realEngine();
    await engine.ping();
    ws = await tempWorkspace();
    gateway = await TestGateway.start();
  });
  after(async () => {
    await Promise.all(runners.map((r) => r.disposeAsync()));
    await gateway.close();
    await ws.cleanup(engine);
  });

  const containersOf = (name: string) => engine.list({ [LABEL_OWNER]: ws.ownerId, [LABEL_FUNCTION]: name });

  test('Node: one instance with the inspector on 127.0.0.1, its request clock paused while stopped; ending it runs the function on without', async () => {
    const spec = await scaffold(ws.root, 'node', 'dbg-node');
    const handler = path.join(spec.folder, 'handler.js');
    // A handler slower than timeoutSeconds: only a paused clock lets it answer.
    await fs.writeFile(handler, (await fs.readFile(handler, 'utf8')).replace('exports.handler = async (event, context) => {', 'exports.handler = async (event, context) => {\n  if (event.slow) await new Promise((r) => setTimeout(r, 1500));'));
    const config = JSON.parse(await fs.readFile(path.join(spec.folder, 'fn.json'), 'utf8')) as Record<string, unknown>;
    await fs.writeFile(path.join(spec.folder, 'fn.json'), JSON.stringify({ ...config, timeoutSeconds: 1, scale: { min: 0, max: 3, concurrency: 1 } }));
    const out = new RecordingSink();
    const runner = gateway.runner(await readSpec(spec.folder), engine, ws.ownerId, out);
    runners.push(runner);

    const target = await runner.startDebugging({ runtime: 'node', debugpyMounts: [] });
    assert.equal(target.runtime, 'node');
    const inspectorTargets = (await getJson(`http://127.0.0.1:${target.hostPort}/json/list`)) as Array<{ url: string; type: string }>;
    assert.ok(inspectorTargets.some((t) => t.type === 'node' && t.url.endsWith('/app/server.js')), `the inspector runs in the function's own process: ${JSON.stringify(inspectorTargets)}`);
    assert.deepEqual(pathMappingsFor(spec.folder, await fs.readFile(spec.dockerfile, 'utf8'), target.workingDir), [{ localRoot: spec.folder, remoteRoot: '/app' }]);
    await out.waitFor(/debugger on 127\.0\.0\.1:\d+ → 9229/);
    assert.equal(runner.state.kind === 'running' && runner.state.debugging?.runtime, 'node');

    // max 3, concurrency 1: still exactly one instance while debugged.
    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => post(`${runner.url}/`, { name: `n${i}` })));
    assert.deepEqual(burst.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
    assert.deepEqual([...new Set(burst.map((r) => r.headers[REPLICA_HEADER]))], ['dbg-node-1']);
    assert.equal((await containersOf('dbg-node')).length, 1);

    // Not paused: the gateway's 1 s clock cuts the slow request off.
    const cut = await post(`${runner.url}/`, { slow: true });
    assert.equal(cut.status, 504, cut.body);
    // Stopped at a breakpoint: the clock stands still, and the reply comes through.
    runner.setDebuggerPaused(true);
    assert.equal(runner.pauses.paused, true);
    const held = await post(`${runner.url}/`, { slow: true, name: 'held' });
    assert.equal(held.status, 200, held.body);
    runner.setDebuggerPaused(false);

    // The session ends: the function runs on, without the debugger.
    await runner.stopDebugging();
    await until('the debugged instance replaced', () => runner.state.kind === 'running' && !runner.state.debugging && runner.state.instances.every((i) => i.label !== 'dbg-node-1'), 20_000);
    assert.equal(await answers(target.hostPort), false, 'the inspector port is closed');
    const plain = await post(`${runner.url}/`, { name: 'after' });
    assert.equal(plain.status, 200);
    assert.deepEqual(JSON.parse(plain.body), { message: 'Hello, after!', from: 'dbg-node' });
    await until('one container left', async () => (await containersOf('dbg-node')).length === 1, 10_000);
  });

  test('Python: debugpy mounted from this machine stops at a breakpoint in the handler, shows the event, and the reply comes after Continue', async () => {
    const debugpy = await locateDebugpy({});
    const spec = await scaffold(ws.root, 'python', 'dbg-py');
    const out = new RecordingSink();
    const runner = gateway.runner(spec, engine, ws.ownerId, out);
    runners.push(runner);
    const target = await runner.startDebugging({ runtime: 'python', debugpyMounts: debugpy.mounts });
    const mappings = pathMappingsFor(spec.folder, await fs.readFile(spec.dockerfile, 'utf8'), target.workingDir);
    assert.deepEqual(mappings, [{ localRoot: spec.folder, remoteRoot: '/app' }]);

    const dap = await DapClient.connect(target.hostPort);
    try {
      await out.waitFor(/listening/).catch(() => undefined);
      await dap.request('initialize', { adapterID: 'local-serverless', clientID: 'test', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
      dap.send('attach', { connect: { host: '127.0.0.1', port: target.hostPort }, pathMappings: mappings, justMyCode: true });
      await dap.next((m) => m.event === 'initialized', 'initialized event');
      const handlerFile = path.join(spec.folder, 'handler.py');
      const line = (await fs.readFile(handlerFile, 'utf8')).split('\n').findIndex((l) => l.includes('return {')) + 1;
      const set = await dap.request('setBreakpoints', { source: { path: handlerFile }, breakpoints: [{ line }] });
      assert.equal((set.body?.breakpoints as Array<{ verified: boolean }>)[0].verified, true, JSON.stringify(set.body));
      await dap.request('configurationDone');

      const reply = post(`${runner.url}/`, { name: 'Ada' });
      const stopped = await dap.next((m) => m.event === 'stopped', 'stopped event', 20_000);
      assert.equal(stopped.body?.reason, 'breakpoint');
      const stack = await dap.request('stackTrace', { threadId: stopped.body?.threadId, levels: 1 });
      const frame = (stack.body?.stackFrames as Array<{ id: number; line: number; source: { path: string } }>)[0];
      assert.equal(frame.source.path, handlerFile, 'the container path maps back to the workspace file');
      assert.equal(frame.line, line);
      const scopes = await dap.request('scopes', { frameId: frame.id });
      const locals = (scopes.body?.scopes as Array<{ variablesReference: number }>)[0];
      const variables = await dap.request('variables', { variablesReference: locals.variablesReference });
      const event = (variables.body?.variables as Array<{ name: string; value: string }>).find((v) => v.name === 'event');
      assert.match(event?.value ?? '', /'name': 'Ada'/);
      await dap.request('continue', { threadId: stopped.body?.threadId });
      const answered = await reply;
      assert.equal(answered.status, 200, answered.body);
      assert.deepEqual(JSON.parse(answered.body), { message: 'Hello, Ada!', from: 'dbg-py' });
    } catch (error) {
      throw new Error(`${(error as Error).message}\nthe function's output:\n${out.text}`, { cause: error });
    } finally {
      dap.close();
    }
    await runner.stopDebugging();
  });
});
