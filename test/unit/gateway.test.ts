import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { findFreePort } from '../../src/core/ports';
import { DEFAULT_SCALE, type ScaleConfig } from '../../src/core/scaling';
import { startGateway, startGatewayInThread } from '../../src/services/gatewayClient';
import { COLD_START_HEADER, REPLICA_HEADER, type GatewayFunction, type GatewayHandle, type GatewayInstance, type GatewayToHost } from '../../src/services/gatewayTypes';
import { poll } from '../support/poll';

// Unit tests of the proxy: the instances are local Node HTTP servers on 127.0.0.1, and the test plays
// the extension host's part (answering scaleUp, release). The Docker-backed tests are integration tests.

// Compiled to out/test/unit/, so the repository root is three levels up.
const WORKER_SCRIPT = path.resolve(__dirname, '..', '..', '..', 'dist', 'gatewayWorker.js');

const cleanups: (() => Promise<void> | void)[] = [];
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- Instances: local servers that count what reaches them ----

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

const echo: Handler = (req, res, body) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ url: req.url, host: req.headers.host, body }));
};

interface Upstream {
  port: number;
  /** Requests that reached it. */
  requests: number;
  inFlight: number;
  /** The most requests it ever had in flight at once. */
  maxInFlight: number;
  close(): Promise<void>;
}

function listen(server: net.Server, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

async function startUpstream(handler: Handler = echo): Promise<Upstream> {
  const upstream: Upstream = { port: 0, requests: 0, inFlight: 0, maxInFlight: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    upstream.requests++;
    upstream.inFlight++;
    upstream.maxInFlight = Math.max(upstream.maxInFlight, upstream.inFlight);
    res.once('close', () => upstream.inFlight--);
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => handler(req, res, body));
  });
  upstream.port = await listen(server);
  upstream.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  cleanups.push(upstream.close);
  return upstream;
}

/** A port nothing listens on: an instance that died. */
async function deadPort(): Promise<number> {
  const server = http.createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Answers every request only when `release()` is called (or at once after it was). */
function heldHandler(): { handler: Handler; held: () => number; release: () => void } {
  const waiting: (() => void)[] = [];
  let released = false;
  return {
    handler: (req, res, body) => {
      if (released) echo(req, res, body);
      else waiting.push(() => echo(req, res, body));
    },
    held: () => waiting.length,
    release: () => {
      released = true;
      for (const answer of waiting.splice(0)) answer();
    },
  };
}

// ---- The gateway and the host's part ----

async function startInThread(): Promise<{ gateway: Awaited<ReturnType<typeof startGatewayInThread>>; messages: GatewayToHost[] }> {
  const gateway = await startGatewayInThread();
  cleanups.push(() => gateway.close());
  const messages: GatewayToHost[] = [];
  gateway.onMessage((message) => messages.push(message));
  return { gateway, messages };
}

interface FunctionOptions {
  scale?: Partial<ScaleConfig>;
  timeoutSeconds?: number;
  mode?: GatewayFunction['mode'];
  offReason?: string;
}

function fn(name: string, instances: GatewayInstance[], options: FunctionOptions = {}): GatewayFunction {
  return {
    name,
    mode: options.mode ?? 'on',
    offReason: options.offReason,
    scale: { ...DEFAULT_SCALE, ...options.scale },
    timeoutSeconds: options.timeoutSeconds ?? 10,
    instances,
  };
}

const instanceOn = (port: number, label: string, state: GatewayInstance['state'] = 'ready'): GatewayInstance => ({ id: `id-${label}`, hostPort: port, state, label });

/**
 * Plays the extension host: answers scaleUp by starting a local server after `startDelayMs` and
 * telling the gateway, and release by removing the instance and stopping its server.
 */
class FakeHost {
  private readonly instances: GatewayInstance[] = [];
  private readonly upstreams = new Map<string, Upstream>();
  private started = 0;
  peak = 0;

  constructor(private readonly gateway: GatewayHandle, private readonly base: GatewayFunction, private readonly handler: Handler = echo, private readonly startDelayMs = 0) {
    // Listening first: a function with min > 0 asks for its instances as soon as it is set.
    gateway.onMessage((message) => {
      if (message.kind === 'stats' || message.name !== base.name) return;
      if (message.kind === 'scaleUp') for (let i = 0; i < message.count; i++) void this.startOne();
      if (message.kind === 'release') void this.release(message.instanceId);
    });
    gateway.setFunction(base);
  }

  get count(): number {
    return this.instances.length;
  }

  upstreamsSeen(): Upstream[] {
    return [...this.upstreams.values()];
  }

  private async startOne(): Promise<void> {
    await delay(this.startDelayMs);
    const upstream = await startUpstream(this.handler);
    const instance = instanceOn(upstream.port, `${this.base.name}-${++this.started}`);
    this.upstreams.set(instance.id, upstream);
    this.instances.push(instance);
    this.peak = Math.max(this.peak, this.instances.length);
    this.gateway.setFunction({ ...this.base, instances: [...this.instances] });
  }

  private async release(id: string): Promise<void> {
    this.instances.splice(this.instances.findIndex((i) => i.id === id), 1);
    this.gateway.setFunction({ ...this.base, instances: [...this.instances] });
    await this.upstreams.get(id)?.close();
  }
}

// ---- A client ----

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface RequestOptions {
  host?: string;
  method?: string;
  body?: string;
  headers?: http.OutgoingHttpHeaders;
  signal?: AbortSignal;
}

/** One request to the gateway on 127.0.0.1, on a connection of its own. */
function send(port: number, urlPath: string, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: '127.0.0.1',
      port,
      path: urlPath,
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: { host: options.host ?? `127.0.0.1:${port}`, ...options.headers },
      agent: false,
      signal: options.signal,
    }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

const json = (reply: Reply) => JSON.parse(reply.body) as Record<string, unknown>;

const messagesOf = <K extends GatewayToHost['kind']>(messages: GatewayToHost[], kind: K) => messages.filter((m): m is Extract<GatewayToHost, { kind: K }> => m.kind === kind);

// ---- Tests ----

describe('gateway: routing', { timeout: 20_000 }, () => {
  afterEach(cleanUp);

  it('forwards /<name>/… with the prefix removed, /<name> as /, and <name>.localhost with the path kept', async () => {
    const { gateway } = await startInThread();
    const upstream = await startUpstream();
    gateway.setFunction(fn('hello', [instanceOn(upstream.port, 'hello-1')]));

    const byPath = await send(gateway.port, '/hello/rest/items?q=1');
    assert.equal(byPath.status, 200);
    assert.equal(json(byPath).url, '/rest/items?q=1');
    assert.equal(byPath.headers[REPLICA_HEADER], 'hello-1');
    assert.equal(json(await send(gateway.port, '/hello')).url, '/');
    assert.equal(json(await send(gateway.port, '/hello?x=1')).url, '/?x=1');

    const byHost = await send(gateway.port, '/other/rest?q', { host: `hello.localhost:${gateway.port}` });
    assert.equal(byHost.status, 200);
    assert.equal(json(byHost).url, '/other/rest?q');
    assert.equal(json(byHost).host, `hello.localhost:${gateway.port}`, 'the Host the client used reaches the function');
  });

  it('forwards the request body and the reply as they are', async () => {
    const { gateway } = await startInThread();
    const upstream = await startUpstream((_req, res, body) => {
      res.writeHead(201, { 'content-type': 'text/plain', 'x-custom': 'yes' });
      res.end(`got ${body}`);
    });
    gateway.setFunction(fn('hello', [instanceOn(upstream.port, 'hello-1')]));
    const reply = await send(gateway.port, '/hello/', { body: '{"name":"Ada"}', headers: { 'content-type': 'application/json' } });
    assert.equal(reply.status, 201);
    assert.equal(reply.headers['x-custom'], 'yes');
    assert.equal(reply.body, 'got {"name":"Ada"}');
  });

  it('answers 404 JSON naming the functions that exist for an unknown one, and for "/"', async () => {
    const { gateway } = await startInThread();
    const upstream = await startUpstream();
    gateway.setFunction(fn('hello', [instanceOn(upstream.port, 'hello-1')]));
    for (const urlPath of ['/nope/x', '/']) {
      const reply = await send(gateway.port, urlPath);
      assert.equal(reply.status, 404);
      assert.equal(reply.headers['content-type'], 'application/json; charset=utf-8');
      assert.deepEqual(json(reply).functions, ['hello']);
      assert.match(String(json(reply).reason), new RegExp(`http://127\\.0\\.0\\.1:${gateway.port}/hello/`));
    }
    assert.equal((await send(gateway.port, '/x', { host: `nope.localhost:${gateway.port}` })).status, 404);
    assert.equal(upstream.requests, 0);
  });

  it('refuses a Host that is not a loopback name, before forwarding anything (no DNS rebinding)', async () => {
    const { gateway } = await startInThread();
    const upstream = await startUpstream();
    gateway.setFunction(fn('hello', [instanceOn(upstream.port, 'hello-1')]));
    for (const host of ['evil.example', `evil.example:${gateway.port}`, 'localhost.evil.example', `host.docker.internal:${gateway.port}`]) {
      const reply = await send(gateway.port, '/hello/', { host });
      assert.equal(reply.status, 403, host);
      assert.equal(json(reply).error, 'host_refused');
      assert.equal(reply.headers[REPLICA_HEADER], undefined);
    }
    assert.equal(upstream.requests, 0, 'no refused request reached the function');
    for (const host of [`localhost:${gateway.port}`, `[::1]:${gateway.port}`, 'hello.localhost']) {
      assert.equal((await send(gateway.port, '/hello/', { host })).status, 200, host);
    }
  });

  it('answers a WebSocket upgrade with 501 JSON instead of forwarding it', async () => {
    const { gateway } = await startInThread();
    const upstream = await startUpstream();
    gateway.setFunction(fn('hello', [instanceOn(upstream.port, 'hello-1')]));
    const reply = await send(gateway.port, '/hello/socket', { headers: { connection: 'Upgrade', upgrade: 'websocket' } });
    assert.equal(reply.status, 501);
    assert.equal(json(reply).error, 'websocket_unsupported');
    assert.equal(upstream.requests, 0);
  });
});

describe('gateway: scaling', { timeout: 20_000 }, () => {
  afterEach(cleanUp);

  it('holds a request while an instance starts from zero, then serves it with the cold-start header', async () => {
    const { gateway, messages } = await startInThread();
    const host = new FakeHost(gateway, fn('hello', []), echo, 300);
    const reply = await send(gateway.port, '/hello/ping');
    assert.equal(reply.status, 200);
    assert.equal(json(reply).url, '/ping');
    assert.equal(reply.headers[REPLICA_HEADER], 'hello-1');
    const coldStartMs = Number(reply.headers[COLD_START_HEADER]);
    assert.ok(Number.isFinite(coldStartMs) && coldStartMs > 0, `cold-start header: ${reply.headers[COLD_START_HEADER]}`);
    assert.deepEqual(messagesOf(messages, 'scaleUp'), [{ kind: 'scaleUp', name: 'hello', count: 1 }]);
    assert.equal(host.count, 1);

    const warm = await send(gateway.port, '/hello/ping');
    assert.equal(warm.headers[COLD_START_HEADER], undefined, 'a request served at once carries no cold-start header');
    const [stats] = gateway.stats();
    assert.equal(stats.coldStarts, 1);
    assert.equal(stats.lastColdStartMs !== undefined && stats.lastColdStartMs > 0, true);
  });

  it('with concurrency 1, never puts two requests on one instance, and scales out to max', async () => {
    const { gateway } = await startInThread();
    const slow: Handler = (req, res, body) => void delay(100).then(() => echo(req, res, body));
    const host = new FakeHost(gateway, fn('hello', [], { scale: { max: 3, concurrency: 1 } }), slow, 200);
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => send(gateway.port, `/hello/${i}`)));
    assert.deepEqual(replies.map((r) => r.status), Array(12).fill(200));
    assert.equal(host.peak, 3);
    for (const upstream of host.upstreamsSeen()) assert.equal(upstream.maxInFlight, 1);
    assert.equal(host.upstreamsSeen().reduce((sum, u) => sum + u.requests, 0), 12);
    assert.equal(new Set(replies.map((r) => r.headers[REPLICA_HEADER])).size, 3, 'every instance served');
  });

  it('sends a request to the ready instance with the fewest in flight', async () => {
    const { gateway } = await startInThread();
    const busy = heldHandler();
    const a = await startUpstream(busy.handler);
    const b = await startUpstream();
    gateway.setFunction(fn('hello', [instanceOn(a.port, 'hello-1'), instanceOn(b.port, 'hello-2')]));
    const first = send(gateway.port, '/hello/');
    await poll('the first request to reach an instance', () => a.requests + b.requests === 1);
    // Whichever took the first, the next goes to the other.
    const firstOn = a.requests === 1 ? 'hello-1' : 'hello-2';
    const second = await send(gateway.port, '/hello/');
    assert.notEqual(second.headers[REPLICA_HEADER], firstOn);
    busy.release();
    assert.equal((await first).status, 200);
  });

  it('answers 503 with Retry-After at once when the queue is full, and serves the queued ones', async () => {
    const { gateway } = await startInThread();
    const busy = heldHandler();
    const upstream = await startUpstream(busy.handler);
    gateway.setFunction(fn('hello', [instanceOn(upstream.port, 'hello-1')], { scale: { max: 1, concurrency: 1, queue: 1 } }));
    const placed = send(gateway.port, '/hello/a');
    await poll('the first request to reach the instance', () => busy.held() === 1);
    const queued = send(gateway.port, '/hello/b');
    await poll('the second request to be queued', () => gateway.stats()[0].queued === 1);

    const refused = await send(gateway.port, '/hello/c');
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(json(refused).error, 'queue_full');
    assert.match(String(json(refused).reason), /scale\.queue/);

    busy.release();
    assert.deepEqual([(await placed).status, (await queued).status], [200, 200]);
    assert.equal(upstream.requests, 2);
    assert.equal(gateway.stats()[0].refused, 1);
  });

  it('answers 503 saying why when the function is off, and starts nothing', async () => {
    const { gateway, messages } = await startInThread();
    const offReason = 'hello is stopped: run Build and Run to start it';
    gateway.setFunction(fn('hello', [], { mode: 'off', offReason }));
    const reply = await send(gateway.port, '/hello/');
    assert.equal(reply.status, 503);
    assert.deepEqual(json(reply), { error: 'function_off', reason: offReason });
    assert.deepEqual(messagesOf(messages, 'scaleUp'), []);
  });

  it('answers 503 with Retry-After and logs when no instance came up within timeoutSeconds', async () => {
    const { gateway, messages } = await startInThread();
    gateway.setFunction(fn('hello', [], { timeoutSeconds: 0.3 }));
    const reply = await send(gateway.port, '/hello/');
    assert.equal(reply.status, 503);
    assert.equal(reply.headers['retry-after'], '1');
    assert.equal(json(reply).error, 'not_placed');
    assert.match(String(json(reply).reason), /timeoutSeconds/);
    assert.equal(messagesOf(messages, 'scaleUp').length, 1, 'it asked for an instance');
    const logs = messagesOf(messages, 'log');
    assert.equal(logs.length, 1);
    assert.equal(logs[0].name, 'hello');
    assert.match(logs[0].line, /503 GET \/: no instance of hello was ready/);
  });

  it('answers 503 with the host\'s reason when the instance could not start', async () => {
    const { gateway } = await startInThread();
    gateway.setFunction(fn('hello', []));
    gateway.onMessage((message) => {
      if (message.kind === 'scaleUp') gateway.startFailed('hello', message.count, 'the image did not build: see the output');
    });
    const reply = await send(gateway.port, '/hello/');
    assert.equal(reply.status, 503);
    assert.deepEqual(json(reply), { error: 'start_failed', reason: 'hello could not start: the image did not build: see the output' });
  });

  it('answers 504 when the instance sends no reply within timeoutSeconds, and cuts its request', async () => {
    const { gateway } = await startInThread();
    const never = heldHandler();
    const upstream = await startUpstream(never.handler);
    gateway.setFunction(fn('hello', [instanceOn(upstream.port, 'hello-1')], { timeoutSeconds: 0.3 }));
    const reply = await send(gateway.port, '/hello/');
    assert.equal(reply.status, 504);
    assert.equal(json(reply).error, 'timed_out');
    assert.match(String(json(reply).reason), /hello-1 of hello sent no reply within 0\.3 s/);
    await poll('the instance to see its request cut', () => upstream.inFlight === 0);
    const [stats] = gateway.stats();
    assert.equal(stats.timedOut, 1);
    assert.equal(stats.instances[0].inFlight, 0);
  });

  it('asks to release an instance idle for idleSeconds, down to zero with min 0', async () => {
    const { gateway, messages } = await startInThread();
    const host = new FakeHost(gateway, fn('hello', [], { scale: { min: 0, idleSeconds: 0.3 } }));
    assert.equal((await send(gateway.port, '/hello/')).status, 200);
    await poll('a release message', () => messagesOf(messages, 'release').length > 0, { timeoutMs: 5_000 });
    assert.deepEqual(messagesOf(messages, 'release'), [{ kind: 'release', name: 'hello', instanceId: 'id-hello-1' }]);
    await poll('the host to have removed it', () => host.count === 0 && gateway.stats()[0].instances.length === 0);
  });

  it('keeps min instances: asks to start them and never releases below min', async () => {
    const { gateway, messages } = await startInThread();
    const host = new FakeHost(gateway, fn('hello', [], { scale: { min: 1, max: 2, idleSeconds: 0.1 } }));
    await poll('min instances to run', () => host.count === 1);
    // Several ticks past idleSeconds.
    await delay(600);
    assert.deepEqual(messagesOf(messages, 'release'), []);
    assert.equal(host.count, 1);
  });

  it('sends no new request to a draining instance, and lets its request in flight finish', async () => {
    const { gateway } = await startInThread();
    const busy = heldHandler();
    const old = await startUpstream(busy.handler);
    const fresh = await startUpstream();
    gateway.setFunction(fn('hello', [instanceOn(old.port, 'hello-1')]));
    const inFlight = send(gateway.port, '/hello/');
    await poll('the request to reach the old instance', () => busy.held() === 1);

    gateway.setFunction(fn('hello', [instanceOn(old.port, 'hello-1', 'draining'), instanceOn(fresh.port, 'hello-2')]));
    for (let i = 0; i < 3; i++) assert.equal((await send(gateway.port, '/hello/')).headers[REPLICA_HEADER], 'hello-2');
    busy.release();
    const finished = await inFlight;
    assert.equal(finished.status, 200);
    assert.equal(finished.headers[REPLICA_HEADER], 'hello-1');
    assert.equal(old.requests, 1);
  });

  it('drops a request from the queue when its client goes away', async () => {
    const { gateway } = await startInThread();
    gateway.setFunction(fn('hello', []));
    const abort = new AbortController();
    const abandoned = send(gateway.port, '/hello/', { signal: abort.signal }).catch((error: Error) => error);
    await poll('the request to be queued', () => gateway.stats()[0].queued === 1);
    abort.abort();
    assert.equal(((await abandoned) as Error).name, 'AbortError');
    await poll('the queue to be empty', () => gateway.stats()[0].queued === 0);

    // An instance coming up later gets nothing: the request is gone, not just hidden.
    const upstream = await startUpstream();
    gateway.setFunction(fn('hello', [instanceOn(upstream.port, 'hello-1')]));
    assert.equal(gateway.stats()[0].instances[0].inFlight, 0);
    assert.equal((await send(gateway.port, '/hello/')).status, 200);
    assert.equal(upstream.requests, 1);
  });
});

describe('gateway: failing instances', { timeout: 20_000 }, () => {
  afterEach(cleanUp);

  it('sends a request an instance refused to another one, body included, and logs it', async () => {
    const { gateway, messages } = await startInThread();
    const alive = await startUpstream();
    // The dead one comes first, so the first pick (a tie) takes it.
    gateway.setFunction(fn('hello', [instanceOn(await deadPort(), 'hello-1'), instanceOn(alive.port, 'hello-2')]));
    const reply = await send(gateway.port, '/hello/echo', { body: 'payload' });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers[REPLICA_HEADER], 'hello-2');
    assert.deepEqual(json(reply), { url: '/echo', host: `127.0.0.1:${gateway.port}`, body: 'payload' });
    assert.ok(messagesOf(messages, 'log').some((m) => /hello-1 refused a connection/.test(m.line)));
    // Benched: the next requests go straight to the live one.
    assert.equal((await send(gateway.port, '/hello/')).headers[REPLICA_HEADER], 'hello-2');
  });

  it('answers 502 JSON when the instance closes the connection mid-request', async () => {
    const { gateway } = await startInThread();
    const upstream = await startUpstream((req) => req.socket.destroy());
    gateway.setFunction(fn('hello', [instanceOn(upstream.port, 'hello-1')]));
    const reply = await send(gateway.port, '/hello/');
    assert.equal(reply.status, 502);
    assert.equal(json(reply).error, 'instance_failed');
    assert.equal(upstream.requests, 1, 'not retried: the instance may have acted on it');
    assert.equal(gateway.stats()[0].failed, 1);
  });
});

describe('gateway: stats, ports and closing', { timeout: 20_000 }, () => {
  afterEach(cleanUp);

  it('counts served requests per function and instance, with latency percentiles, and sends stats while they change', async () => {
    const { gateway, messages } = await startInThread();
    const upstream = await startUpstream();
    gateway.setFunction(fn('hello', [instanceOn(upstream.port, 'hello-1')]));
    for (let i = 0; i < 5; i++) assert.equal((await send(gateway.port, '/hello/')).status, 200);
    const [stats] = gateway.stats();
    assert.equal(stats.name, 'hello');
    assert.equal(stats.served, 5);
    assert.deepEqual(stats.instances, [{ id: 'id-hello-1', label: 'hello-1', state: 'ready', inFlight: 0, served: 5 }]);
    assert.ok(stats.p50Ms !== undefined && stats.p95Ms !== undefined && stats.p50Ms <= stats.p95Ms);
    assert.ok(stats.requestsPerSecond > 0);

    await poll('a stats message with the served requests', () => messagesOf(messages, 'stats').some((m) => m.stats[0]?.served === 5));
    // Once the last second's rate has gone back to 0, nothing changes: no more stats messages.
    await poll('the rate to settle at 0', () => messagesOf(messages, 'stats').at(-1)?.stats[0].requestsPerSecond === 0, { timeoutMs: 5_000 });
    const settled = messagesOf(messages, 'stats').length;
    await delay(1_200);
    assert.equal(messagesOf(messages, 'stats').length, settled, 'an idle gateway sends no stats');
  });

  it('takes the preferred port when free, another when it is taken', async () => {
    const preferred = await findFreePort();
    const first = await startGatewayInThread({ preferredPort: preferred });
    cleanups.push(() => first.close());
    assert.equal(first.port, preferred);
    assert.equal(first.origin, `http://127.0.0.1:${preferred}`);
    const second = await startGatewayInThread({ preferredPort: preferred });
    cleanups.push(() => second.close());
    assert.notEqual(second.port, preferred);
    assert.equal((await send(second.port, '/')).status, 404);
  });

  it('leaves out an extra address it cannot listen on, and still serves on 127.0.0.1', async () => {
    // 192.0.2.1 is a documentation address (TEST-NET-1) no machine has: binding fails, nothing is sent.
    const gateway = await startGatewayInThread({ alsoListenOn: ['192.0.2.1'] });
    cleanups.push(() => gateway.close());
    assert.deepEqual(gateway.alsoListeningOn, []);
    assert.equal((await send(gateway.port, '/')).status, 404);
  });

  it('close() answers queued requests with 503, stops listening and leaves no timer behind', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const timersBefore = timers();
    const gateway = await startGatewayInThread();
    gateway.setFunction(fn('hello', []));
    const queued = send(gateway.port, '/hello/');
    await poll('the request to be queued', () => gateway.stats()[0].queued === 1);
    await gateway.close();
    const reply = await queued;
    assert.equal(reply.status, 503);
    assert.equal(json(reply).error, 'gateway_closing');
    await assert.rejects(send(gateway.port, '/'), /ECONNREFUSED/);
    assert.equal(timers(), timersBefore);
  });
});

describe('gateway: in a worker thread', { timeout: 30_000 }, () => {
  afterEach(cleanUp);
  const missing = !fs.existsSync(WORKER_SCRIPT) && `${WORKER_SCRIPT} is missing: run \`npm run build\` first`;

  it('routes, relays scaleUp to the host and serves a held request with the cold-start header', { skip: missing }, async () => {
    const gateway = await startGateway({ workerScript: WORKER_SCRIPT });
    cleanups.push(() => gateway.close());
    assert.match(gateway.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    const host = new FakeHost(gateway, fn('hello', []), echo, 300);
    const reply = await send(gateway.port, '/hello/ping?x=1');
    assert.equal(reply.status, 200);
    assert.equal(json(reply).url, '/ping?x=1');
    assert.equal(reply.headers[REPLICA_HEADER], 'hello-1');
    assert.ok(Number(reply.headers[COLD_START_HEADER]) > 0);
    assert.equal(host.count, 1);
    assert.equal((await send(gateway.port, '/hello/', { host: 'evil.example' })).status, 403);
    await gateway.close();
    await assert.rejects(send(gateway.port, '/'), /ECONNREFUSED/);
  });

  /** A stand-in worker script (plain CommonJS) for the client's handling of a thread that fails. */
  function fakeWorker(source: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-worker-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'worker.js');
    fs.writeFileSync(file, `const { parentPort } = require('node:worker_threads');\n${source}`);
    return file;
  }

  it('rejects when the worker thread fails before it listens', async () => {
    const workerScript = fakeWorker(`throw new Error('listen EACCES');`);
    await assert.rejects(startGateway({ workerScript }), /listen EACCES/);
  });

  it('tells each function\'s output when the worker thread dies', async () => {
    const workerScript = fakeWorker(`
      parentPort.postMessage({ kind: 'listening', port: 1, alsoListeningOn: [] });
      parentPort.on('message', (call) => { if (call.op === 'setFunction') throw new Error('a bug in the gateway'); });
    `);
    const gateway = await startGateway({ workerScript });
    const messages: GatewayToHost[] = [];
    gateway.onMessage((message) => messages.push(message));
    gateway.setFunction(fn('hello', []));
    const [log] = await poll('a log line', () => messagesOf(messages, 'log').length > 0 && messagesOf(messages, 'log'));
    assert.equal(log.name, 'hello');
    assert.match(log.line, /the local gateway stopped \(a bug in the gateway\)/);
    await gateway.close();
  });
});
