import assert from 'node:assert/strict';
import * as http from 'node:http';
import type * as net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { DEFAULT_SCALE } from '../../src/core/scaling';
import { startGatewayInThread } from '../../src/services/gatewayClient';
import { FunctionPool } from '../../src/services/functionPool';
import type { GatewayFunction, GatewayInstance } from '../../src/services/gatewayTypes';
import { poll } from '../support/poll';

// While a debugger holds a function at a breakpoint, the host sets `paused` on it: its requests'
// deadlines (timeoutSeconds) stand still, so a request being stepped through does not end in 504.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function fn(instances: GatewayInstance[], options: { timeoutSeconds?: number; paused?: boolean } = {}): GatewayFunction {
  return {
    name: 'hello',
    mode: 'on',
    scale: { ...DEFAULT_SCALE },
    timeoutSeconds: options.timeoutSeconds ?? 10,
    paused: options.paused,
    instances,
  };
}

/** A deadline of the pool, with when it fired. */
function deadlineOf(pool: FunctionPool, ms: number): { firedAt: () => number | undefined; clear(): void } {
  let firedAt: number | undefined;
  const deadline = pool.deadline(ms, () => (firedAt = performance.now()));
  cleanups.push(() => deadline.clear());
  return { firedAt: () => firedAt, clear: () => deadline.clear() };
}

describe('FunctionPool.deadline: paused while a debugger holds the function', { timeout: 20_000 }, () => {
  function pool(paused?: boolean): FunctionPool {
    return new FunctionPool(fn([], { paused }), () => undefined, () => performance.now());
  }

  it('fires after its time when the function is not paused', async () => {
    const startedAt = performance.now();
    const deadline = deadlineOf(pool(), 50);
    const firedAt = await poll('the deadline to fire', deadline.firedAt, { timeoutMs: 5_000 });
    assert.ok(firedAt - startedAt >= 45, `fired after ${firedAt - startedAt} ms`);
  });

  it('stops when the function is updated with paused: true, and goes on with paused: false', async () => {
    const functionPool = pool();
    const startedAt = performance.now();
    const deadline = deadlineOf(functionPool, 100);
    await delay(20);
    functionPool.update(fn([], { paused: true }));
    const counted = performance.now() - startedAt;
    assert.equal(functionPool.paused, true);
    await delay(300);
    assert.equal(deadline.firedAt(), undefined, 'a 100 ms deadline did not fire during a 300 ms pause');
    // Another update while paused (an instance changes state) keeps it paused.
    functionPool.update(fn([], { paused: true }));
    await delay(150);
    assert.equal(deadline.firedAt(), undefined);

    const resumedAt = performance.now();
    functionPool.update(fn([], { paused: false }));
    const firedAt = await poll('the deadline to fire after the pause', deadline.firedAt, { timeoutMs: 5_000 });
    assert.ok(firedAt - resumedAt >= 100 - counted - 2, `fired ${firedAt - resumedAt} ms after resuming, ${counted} ms having counted before`);
  });

  it('starts a deadline paused when it is set while the function is paused', async () => {
    const functionPool = pool(true);
    const deadline = deadlineOf(functionPool, 50);
    await delay(250);
    assert.equal(deadline.firedAt(), undefined);
    functionPool.update(fn([]));
    await poll('the deadline to fire once the function goes on', deadline.firedAt, { timeoutMs: 5_000 });
  });

  it('does not fire a cleared deadline when the function goes on', async () => {
    const functionPool = pool();
    const deadline = deadlineOf(functionPool, 50);
    functionPool.update(fn([], { paused: true }));
    deadline.clear();
    functionPool.update(fn([], { paused: false }));
    await delay(200);
    assert.equal(deadline.firedAt(), undefined);
  });
});

// ---- The same through the gateway: a slow local server as the function's instance ----

interface Slow {
  port: number;
  requests: number;
}

/** A local server that answers each request after `ms`. */
async function slowUpstream(ms: number): Promise<Slow> {
  const slow: Slow = { port: 0, requests: 0 };
  const server = http.createServer((_req, res) => {
    slow.requests++;
    const timer = setTimeout(() => res.end('done'), ms);
    res.once('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  slow.port = (server.address() as net.AddressInfo).port;
  cleanups.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return slow;
}

function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

async function gatewayWith(upstream: Slow, options: { timeoutSeconds: number; paused?: boolean }) {
  const gateway = await startGatewayInThread();
  cleanups.push(() => gateway.close());
  const instance: GatewayInstance = { id: 'id-hello-1', hostPort: upstream.port, state: 'ready', label: 'hello-1' };
  const set = (paused?: boolean) => gateway.setFunction(fn([instance], { timeoutSeconds: options.timeoutSeconds, paused }));
  set(options.paused);
  return { gateway, set };
}

describe('gateway: timeoutSeconds while the function is paused in a debugger', { timeout: 20_000 }, () => {
  it('answers 504 from a slow instance when the function is not paused', async () => {
    const upstream = await slowUpstream(800);
    const { gateway } = await gatewayWith(upstream, { timeoutSeconds: 0.2 });
    const reply = await get(gateway.port, '/hello/');
    assert.equal(reply.status, 504);
    assert.equal(gateway.stats()[0].timedOut, 1);
  });

  it('waits for the same slow instance and answers 200 when the function is paused', async () => {
    const upstream = await slowUpstream(800);
    const { gateway } = await gatewayWith(upstream, { timeoutSeconds: 0.2, paused: true });
    const reply = await get(gateway.port, '/hello/');
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'done');
    assert.equal(gateway.stats()[0].timedOut, 0);
  });

  it('stops the clock of a request already in flight when a breakpoint is hit, and starts it again after', async () => {
    const upstream = await slowUpstream(60_000); // never answers within the test
    const { gateway, set } = await gatewayWith(upstream, { timeoutSeconds: 0.5 });
    let settled = false;
    const reply = get(gateway.port, '/hello/').finally(() => (settled = true));
    await poll('the request to reach the instance', () => upstream.requests === 1, { timeoutMs: 5_000 });
    set(true); // at a breakpoint
    await delay(900);
    assert.equal(settled, false, 'no 504 while paused, though timeoutSeconds passed');
    set(false);
    assert.equal((await reply).status, 504, 'the deadline runs again once the debugger goes on');
  });
});
