import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LABEL_FUNCTION, LABEL_OWNER } from '../../src/core/names';
import type { DockerEngine } from '../../src/engine/dockerEngine';
import { FunctionRegistry } from '../../src/services/functionRegistry';
import type { FunctionRunner } from '../../src/services/functionRunner';
import { COLD_START_HEADER, REPLICA_HEADER } from '../../src/services/gatewayTypes';
import { postJson, readSpec, realEngine, RecordingSink, type Reply, scaffold, scaledFunction, tempWorkspace, TestGateway, until } from './fixtures';


/** One JSON POST through the gateway; bounded by `timeoutMs`. Never throws: a failed request is status 0. */
function post(url: string, body: unknown, timeoutMs = 20_000): Promise<Reply> {
  return postJson(url, body, timeoutMs);
}

describe('scaling behind the gateway, against the real Docker engine', () => {
  let engine: DockerEngine;
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  let gateway: TestGateway;
  const runners: FunctionRunner[] = [];

  before(async () => {
    engine = realEngine();
    await engine.ping();
    ws = await tempWorkspace();
    gateway = await TestGateway.start({ forContainers: true });
  });
  after(async () => {
    await Promise.all(runners.map((r) => r.disposeAsync()));
    await gateway.close();
    await ws.cleanup(engine);
  });

  const containersOf = (name: string) => engine.list({ [LABEL_OWNER]: ws.ownerId, [LABEL_FUNCTION]: name });

  async function start(folder: string, out = new RecordingSink()): Promise<FunctionRunner> {
    const runner = gateway.runner(await readSpec(folder), engine, ws.ownerId, out);
    runners.push(runner);
    await runner.buildAndRun();
    return runner;
  }

  test('a request to a function scaled to zero starts an instance, is held until it answers, and says how long it waited', async () => {
    const out = new RecordingSink();
    const runner = await start(await scaledFunction(ws.root, 'sleepy', { min: 0, max: 1, idleSeconds: 1 }, 0), out);
    await until('released after 1 s idle', () => runner.state.kind === 'scaledToZero', 10_000);
    await until('its container removed', async () => (await containersOf('sleepy')).length === 0, 10_000);
    await out.waitFor(/sleepy-1 idle for 1 s: released \(scaled to zero: starts on the next request\)/);

    const reply = await post(`${runner.url}/`, { name: 'Cold' });
    assert.equal(reply.status, 200, reply.body);
    assert.deepEqual(JSON.parse(reply.body), { message: 'Hello, Cold!', from: 'sleepy' });
    assert.equal(reply.headers[REPLICA_HEADER], 'sleepy-2');
    assert.ok(Number(reply.headers[COLD_START_HEADER]) > 0, `a cold-start header: ${JSON.stringify(reply.headers)}`);

    const warm = await post(`${runner.url}/`, { name: 'Warm' });
    assert.equal(warm.status, 200);
    assert.equal(warm.headers[COLD_START_HEADER], undefined, 'a warm request waited for no start');
    assert.equal(runner.state.kind, 'running');
  });

  test('max 3, concurrency 1: 30 parallel requests to a 200 ms handler all succeed on exactly 3 instances, and idle ones go back to min', async () => {
    const runner = await start(await scaledFunction(ws.root, 'burst', { min: 1, max: 3, concurrency: 1, idleSeconds: 2 }, 200));
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, runner.instanceList.filter((i) => i.state !== 'draining').length)), 20);
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => post(`${runner.url}/`, { name: `r${i}` })));
    clearInterval(watch);
    assert.deepEqual(replies.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body}`), [], '0 errors');
    const replicas = new Set(replies.map((r) => r.headers[REPLICA_HEADER]));
    assert.equal(replicas.size, 3, `served by 3 instances: ${[...replicas].join(', ')}`);
    assert.equal(peak, 3, 'never more than max');
    assert.equal((await containersOf('burst')).length, 3);

    await until('back to min (1) after the idle window', async () => (await containersOf('burst')).length === 1, 15_000);
    assert.equal(runner.state.kind, 'running');
  });

  test('a full queue gets a 503 with Retry-After at once, saying why, and the channel says so too', async () => {
    const out = new RecordingSink();
    const runner = await start(await scaledFunction(ws.root, 'narrow', { min: 1, max: 1, concurrency: 1, queue: 1 }, 1_500), out);
    const replies = await Promise.all(Array.from({ length: 4 }, () => post(`${runner.url}/`, {})));
    const statuses = replies.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 503, 503], 'one in flight, one queued, two refused');
    const refused = replies.find((r) => r.status === 503)!;
    assert.ok(refused.headers['retry-after'], 'Retry-After');
    assert.match(refused.body, /queue/i);
    await out.waitFor(/\[gateway\].*(queue|503)/i);
  });

  test('a stopped function is off: requests get a 503 saying so, and nothing starts', async () => {
    const runner = await start(await scaledFunction(ws.root, 'switched', { min: 0 }, 0));
    await runner.stop();
    const reply = await post(`${runner.url}/`, {});
    assert.equal(reply.status, 503);
    assert.match(reply.body, /switched is stopped: run Build and Run/);
    assert.deepEqual(await containersOf('switched'), []);
    assert.equal(runner.state.kind, 'stopped');
  });

  test('a rebuild under steady load rolls: every request succeeds, and the new code serves after', async () => {
    const folder = await scaledFunction(ws.root, 'rolling', { min: 2, max: 2 }, 50);
    const runner = await start(folder);
    let running = true;
    const results: Reply[] = [];
    const load = (async () => {
      for (let i = 0; i < 2_000 && running; i++) results.push(await post(`${runner.url}/`, { name: 'load' }, 20_000));
    })();
    const load2 = (async () => {
      for (let i = 0; i < 2_000 && running; i++) results.push(await post(`${runner.url}/`, { name: 'load' }, 20_000));
    })();
    await until('some load served', () => results.length >= 10, 10_000);
    const handler = path.join(folder, 'handler.js');
    await fs.writeFile(handler, (await fs.readFile(handler, 'utf8')).replace('Hello, ', 'Rolled, '));
    await runner.buildAndRun(); // a rebuild with the new handler, as a Dockerfile change would do
    const after = results.length;
    await until('load served by the new code', () => results.slice(after).some((r) => r.body.includes('Rolled')), 10_000);
    running = false;
    await Promise.all([load, load2]);
    assert.deepEqual(results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body}`), [], `0 failed of ${results.length}`);
    await until('the old instances removed', async () => (await containersOf('rolling')).length === 2, 15_000);
  });

  test('a sync reaches every instance, and an instance started later serves the synced code too', async () => {
    // Each request takes 1.5 s: a third instance is ready well before either of the two is free again.
    const folder = await scaledFunction(ws.root, 'fanout', { min: 2, max: 3, concurrency: 1 }, 1_500);
    const runner = await start(folder);
    const handler = path.join(folder, 'handler.js');
    await fs.writeFile(handler, (await fs.readFile(handler, 'utf8')).replace('Hello, ', 'Synced, '));
    await runner.applyChanges([{ path: 'handler.js', kind: 'change' }]);
    assert.equal(runner.instanceList.length, 2, 'synced, not rebuilt');
    const replies = await Promise.all(Array.from({ length: 3 }, () => post(`${runner.url}/`, { name: 'x' })));
    assert.deepEqual(replies.map((r) => r.status), [200, 200, 200]);
    assert.equal(new Set(replies.map((r) => r.headers[REPLICA_HEADER])).size, 3, 'a third instance started for the third request');
    for (const reply of replies) assert.match(reply.body, /Synced, x!/, `${reply.headers[REPLICA_HEADER]} serves the synced code`);
  });

  test('a function calls another through the gateway at $LOCAL_SERVERLESS_GATEWAY, which its container reaches on the bridge address', async (t) => {
    if (!gateway.handle.alsoListeningOn.length) return t.skip('no Docker bridge address on this machine: containers get no gateway address');
    const callee = await start(await scaledFunction(ws.root, 'callee', { min: 0 }, 0));
    const folder = (await scaffold(ws.root, 'node', 'caller')).folder;
    await fs.writeFile(path.join(folder, 'handler.js'), [
      'exports.handler = async (event) => {',
      '  const reply = await fetch(`${process.env.LOCAL_SERVERLESS_GATEWAY}/callee/`, { method: "POST", body: JSON.stringify({ name: "caller" }) });',
      '  return { via: process.env.LOCAL_SERVERLESS_GATEWAY, status: reply.status, replica: reply.headers.get("x-local-serverless-replica"), body: await reply.json() };',
      '};',
      '',
    ].join('\n'));
    const caller = await start(folder);
    const reply = await post(`${caller.url}/`, {});
    assert.equal(reply.status, 200, reply.body);
    const answer = JSON.parse(reply.body) as { via: string; status: number; replica: string; body: unknown };
    assert.equal(answer.via, gateway.handle.alsoListeningOn[0]);
    assert.equal(answer.status, 200);
    assert.match(answer.replica, /^callee-\d+$/);
    assert.deepEqual(answer.body, { message: 'Hello, caller!', from: 'callee' });
    assert.equal(callee.state.kind, 'running');
  });

  test('an instance whose process dies is removed once its output is in the channel; with none left the function is off (no crash loop) until Build and Run', async (t) => {
    const out = new RecordingSink();
    const folder = await scaledFunction(ws.root, 'fragile', { min: 0, max: 1 }, 0);
    const handler = path.join(folder, 'handler.js');
    await fs.writeFile(handler, (await fs.readFile(handler, 'utf8')).replace('exports.handler = async (event, context) => {', 'exports.handler = async (event, context) => {\n  if (event.die) setTimeout(() => { console.log("dying now"); process.exit(4); }, 50);'));
    // A registry, as in VS Code: it follows the engine's events, which tell an instance died.
    const registry = new FunctionRegistry(engine, ws.ownerId, () => out, gateway.handle);
    t.after(() => registry.disposeAsync());
    registry.setSpecs([await readSpec(folder)]);
    await registry.connect();
    const runner = registry.get('fragile')!;
    await runner.buildAndRun();
    assert.equal((await post(`${runner.url}/`, { die: true })).status, 200);
    await out.waitFor(/fragile-1 exited with code 4/);
    await until('its container removed', async () => (await containersOf('fragile')).length === 0, 10_000);
    assert.match(out.text, /\[fragile-1\] dying now/, 'its last words are in the channel');
    assert.equal(runner.state.kind, 'exited');
    const refused = await post(`${runner.url}/`, { name: 'again' });
    assert.equal(refused.status, 503);
    assert.match(refused.body, /fragile exited with code 4: see its output channel in VS Code, fix it, then run Build and Run/);
    assert.deepEqual(await containersOf('fragile'), [], 'the request started nothing');
    await runner.buildAndRun();
    const again = await post(`${runner.url}/`, { name: 'again' });
    assert.equal(again.status, 200, again.body);
    assert.equal(again.headers[REPLICA_HEADER], 'fragile-2');
  });
});
