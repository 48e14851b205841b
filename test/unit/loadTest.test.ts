import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildLoadRequest, concurrencyProblem, countProblem, formatLoadLine, formatLoadReport, LOAD_TIME_LIMIT_SECONDS, parseWholeNumber, percentile, RunFigures, summarizeLoad,
  type LoadCounts, type LoadRun,
} from '../../src/core/loadTest';
import { cloudEventFromPayload, completeCloudEvent } from '../../src/core/cloudEvents';
import type { FunctionStats } from '../../src/services/gatewayTypes';

const spec = { functionUrl: 'http://127.0.0.1:4100/hello/', invoke: { method: 'POST', path: '/' }, timeoutSeconds: 30 };

function stats(time: number, coldStarts: number, live: number, draining = 0, name = 'hello'): FunctionStats {
  const instances = [
    ...Array.from({ length: live }, (_, i) => ({ id: `c${i}`, label: `${name}-${i}`, state: 'ready' as const, inFlight: 1, served: 0 })),
    ...Array.from({ length: draining }, (_, i) => ({ id: `d${i}`, label: `${name}-d${i}`, state: 'draining' as const, inFlight: 0, served: 0 })),
  ];
  return { name, time, instances, queued: 0, requestsPerSecond: 10, served: 0, refused: 0, timedOut: 0, failed: 0, coldStarts };
}

function counts(over: Partial<LoadCounts> = {}): LoadCounts {
  return { errors: 0, timeouts: 0, non2xx: 0, '2xx': 0, statusCodeStats: {}, duration: 1, ...over };
}

describe('load test input', () => {
  it('a request count is a whole number from 1 to 100000, and the message says so', () => {
    for (const ok of ['1', '200', ' 100000 ', '10_000', '10,000']) assert.equal(countProblem(ok), undefined, ok);
    for (const bad of ['0', '100001', '-5', '1.5', '', 'abc', '1e3', '0x10']) assert.equal(countProblem(bad), 'Enter a whole number from 1 to 100000 (requests to send).', bad);
    assert.equal(parseWholeNumber(' 10,000 '), 10_000);
  });

  it('a concurrency is a whole number from 1 to 1000', () => {
    assert.equal(concurrencyProblem('1000'), undefined);
    assert.equal(concurrencyProblem('1'), undefined);
    assert.equal(concurrencyProblem('1001'), 'Enter a whole number from 1 to 1000 (requests in flight at once).');
    assert.match(concurrencyProblem('0') ?? '', /1 to 1000/);
  });
});

describe('buildLoadRequest', () => {
  it('sends the invoke method and path under the function URL, keeping the gateway prefix', () => {
    const { options, timeLimitSeconds } = buildLoadRequest({ ...spec, invoke: { method: 'PUT', path: '/api/run?x=1' } }, '{"a":1}', 200, 10);
    assert.deepEqual(options, {
      url: 'http://127.0.0.1:4100/hello/api/run?x=1',
      method: 'PUT',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: '{"a":1}',
      amount: 200,
      connections: 10,
      timeout: 32,
    });
    assert.equal(timeLimitSeconds, LOAD_TIME_LIMIT_SECONDS);
  });

  it('the path / is the function URL itself, with or without its trailing slash', () => {
    assert.equal(buildLoadRequest(spec, '', 5, 1).options.url, 'http://127.0.0.1:4100/hello/');
    assert.equal(buildLoadRequest({ ...spec, functionUrl: 'http://127.0.0.1:4100/hello' }, '', 5, 1).options.url, 'http://127.0.0.1:4100/hello/');
  });

  it('an empty body or a GET sends no body and no content type', () => {
    const empty = buildLoadRequest(spec, '', 5, 1).options;
    assert.equal(empty.body, undefined);
    assert.equal('body' in empty, false);
    assert.deepEqual(empty.headers, { accept: 'application/json' });
    const get = buildLoadRequest({ ...spec, invoke: { method: 'GET', path: '/' } }, '{"a":1}', 5, 1).options;
    assert.equal(get.body, undefined);
  });

  it('a CloudEvent goes with the headers and body Invoke sends', () => {
    const reading = cloudEventFromPayload('{"type":"com.example.tick","source":"/clock","data":{"n":1}}', 'hello');
    assert.ok(reading.ok);
    const { options } = buildLoadRequest(spec, completeCloudEvent(reading.event, new Date('2024-05-01T12:00:00Z'), 'id-1'), 5, 1);
    assert.deepEqual(options.headers, {
      'ce-specversion': '1.0', 'ce-id': 'id-1', 'ce-source': '/clock', 'ce-type': 'com.example.tick', 'ce-time': '2024-05-01T12:00:00.000Z',
      'content-type': 'application/json', accept: 'application/json',
    });
    assert.equal(options.body, '{"n":1}');
  });

  it('never opens more connections than requests (autocannon refuses that)', () => {
    assert.equal(buildLoadRequest(spec, '', 3, 10).options.connections, 3);
  });

  it('a path cannot lead away from the function URL', () => {
    assert.equal(buildLoadRequest({ ...spec, invoke: { method: 'GET', path: '//evil.example/x' } }, '', 5, 1).options.url, 'http://127.0.0.1:4100/hello//evil.example/x');
    assert.throws(() => buildLoadRequest({ ...spec, invoke: { method: 'GET', path: '/../other/' } }, '', 5, 1), /leads out of the function's URL/);
  });

  it('refuses HEAD, which the load tool cannot read, and says what to do', () => {
    assert.throws(() => buildLoadRequest({ ...spec, invoke: { method: 'HEAD', path: '/' } }, '', 5, 1), /cannot send HEAD.*GET/);
  });

  it('each request waits as long as Invoke would: timeoutSeconds + 2 s', () => {
    assert.equal(buildLoadRequest({ ...spec, timeoutSeconds: 0.5 }, '', 5, 1).options.timeout, 2.5);
  });
});

describe('gateway figures during a run', () => {
  it('counts cold starts from the figures before the run and the peak of live instances', () => {
    const figures = new RunFigures('hello', stats(0, 4, 1));
    assert.equal(figures.add([stats(1, 99, 9, 0, 'other')]), false, 'another function');
    figures.add([stats(500, 6, 2), stats(500, 50, 7, 0, 'other')]);
    figures.add([stats(1000, 7, 3, 2)]);
    figures.add([stats(1500, 7, 1, 2)]);
    assert.deepEqual(figures.coldStarts, { count: 3, exact: true });
    assert.equal(figures.peakInstances, 3);
  });

  it('without figures from before, growth from the first of the run is a lower bound', () => {
    const figures = new RunFigures('hello');
    assert.equal(figures.coldStarts, undefined);
    assert.equal(figures.peakInstances, undefined);
    figures.add([stats(500, 2, 1)]);
    figures.add([stats(1000, 5, 2)]);
    assert.deepEqual(figures.coldStarts, { count: 3, exact: false });
    assert.equal(figures.peakInstances, 2);
  });

  it('a gateway that started again counts from zero', () => {
    const figures = new RunFigures('hello', stats(0, 40, 0));
    figures.add([stats(500, 2, 1)]);
    assert.deepEqual(figures.coldStarts, { count: 2, exact: true });
  });

  it('with no figures during the run, the instances before stand as the peak', () => {
    const figures = new RunFigures('hello', stats(0, 4, 2));
    assert.equal(figures.peakInstances, 2);
    assert.equal(figures.coldStarts, undefined);
  });
});

describe('the load test summary', () => {
  it('percentiles are nearest-rank', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(sorted, 50), 50);
    assert.equal(percentile(sorted, 95), 95);
    assert.equal(percentile(sorted, 99), 99);
    assert.equal(percentile(sorted, 100), 100);
    assert.equal(percentile([7], 50), 7);
    assert.equal(percentile([1, 2], 1), 1);
  });

  it('turns the run and the gateway figures into throughput, percentiles, non-2xx, errors, cold starts and peak instances', () => {
    const request = buildLoadRequest(spec, '{"a":1}', 200, 10);
    const latenciesMs = Array.from({ length: 198 }, (_, i) => 200 - i); // 3 … 200 ms, in no order
    const run: LoadRun = {
      counts: counts({ '2xx': 195, non2xx: 3, errors: 2, timeouts: 1, statusCodeStats: { 200: { count: 195 }, 503: { count: 2 }, 404: { count: 1 } } }),
      latenciesMs,
      activeMs: 2000,
      completed: 200,
    };
    const figures = new RunFigures('hello', stats(0, 0, 0));
    figures.add([stats(500, 10, 3)]);
    const summary = summarizeLoad('hello', request, 'events/order.json', run, figures);
    assert.deepEqual(summary, {
      functionName: 'hello', method: 'POST', url: 'http://127.0.0.1:4100/hello/', eventLabel: 'events/order.json',
      requested: 200, connections: 10, completed: 200, replies: 198, ok: 195, non2xx: 3,
      otherStatuses: [{ status: '503', count: 2 }, { status: '404', count: 1 }],
      errors: 2, timeouts: 1, seconds: 2, repliesPerSecond: 99,
      latencyMs: { p50: 101, p95: 191, p99: 199, max: 200 },
      coldStarts: { count: 10, exact: true }, peakInstances: 3, stoppedBy: undefined,
    });
    assert.equal(formatLoadLine(summary),
      'load test POST /hello/ × 200 (concurrency 10, events/order.json) → 200 requests in 2.0 s, 99 req/s, p50 101 ms, p95 191 ms, p99 199 ms, 3 non-2xx, 2 errors, 10 cold starts, peak 3 instances');
    const report = formatLoadReport(summary);
    assert.match(report, /^Load test of hello\nPOST http:\/\/127\.0\.0\.1:4100\/hello\/\n/);
    assert.match(report, /throughput +99 req\/s/);
    assert.match(report, /latency +p50 101 ms +p95 191 ms +p99 199 ms +max 200 ms/);
    assert.match(report, /replies +198: 2xx 195, non-2xx 3 \(503 ×2, 404 ×1\)/);
    assert.match(report, /errors +2 without a reply \(timeouts 1\)/);
    assert.match(report, /cold starts +10 \(requests that waited/);
    assert.match(report, /instances +peak 3 \(ready or starting\)/);
  });

  it('a cancelled run says how far it got, sub-millisecond latencies keep their decimals, and missing gateway figures say so', () => {
    const request = buildLoadRequest(spec, '', 200, 10);
    const run: LoadRun = { counts: counts({ '2xx': 87, statusCodeStats: { 200: { count: 87 } } }), latenciesMs: Array(87).fill(0.42), activeMs: 500, completed: 87, stoppedBy: 'cancel' };
    const summary = summarizeLoad('hello', request, 'empty body', run, new RunFigures('hello'));
    assert.equal(formatLoadLine(summary),
      'load test POST /hello/ × 200 (concurrency 10, empty body) → cancelled after 87 of 200 requests in 0.5 s, 174 req/s, p50 0.4 ms, p95 0.4 ms, p99 0.4 ms, 0 non-2xx, 0 errors, cold starts –, peak instances –');
    assert.match(formatLoadReport(summary), /cold starts +no figures from the gateway during the run/);
    const limited = summarizeLoad('hello', request, 'empty body', { ...run, stoppedBy: 'timeLimit' }, new RunFigures('hello'));
    assert.match(formatLoadLine(limited), /stopped at the time limit after 87 of 200 requests/);
  });

  it('a run with no reply at all has no percentiles and a zero rate', () => {
    const request = buildLoadRequest(spec, '', 5, 1);
    const summary = summarizeLoad('hello', request, 'empty body', { counts: counts({ errors: 5 }), latenciesMs: [], activeMs: 0, completed: 5 }, new RunFigures('hello'));
    assert.equal(summary.latencyMs, undefined);
    assert.equal(summary.seconds, 1, "autocannon's duration when nothing was timed");
    assert.equal(summary.repliesPerSecond, 0);
    assert.match(formatLoadLine(summary), /no replies, 0 non-2xx, 5 errors/);
  });

  it('lower-bound cold starts read as such', () => {
    const figures = new RunFigures('hello');
    figures.add([stats(500, 1, 1)]);
    figures.add([stats(900, 2, 1)]);
    const summary = summarizeLoad('hello', buildLoadRequest(spec, '', 5, 1), 'empty body', { counts: counts({ '2xx': 5 }), latenciesMs: [1, 1, 1, 1, 1], activeMs: 10, completed: 5 }, figures);
    assert.match(formatLoadLine(summary), /≥1 cold start, peak 1 instance$/);
    assert.match(formatLoadReport(summary), /cold starts +at least 1 /);
  });
});
