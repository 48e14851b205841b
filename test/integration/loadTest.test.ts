import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CancelledError } from '../../src/core/errors';
import { buildLoadRequest, RunFigures, summarizeLoad } from '../../src/core/loadTest';
import { runLoad, type LoadProgress } from '../../src/services/loadRunner';

/**
 * The load runner (autocannon) against a local HTTP server on 127.0.0.1 standing in for the gateway:
 * no Docker. Routes: /fn/ok answers 200 with the body it got; /fn/slow after 20 ms; /fn/flaky answers
 * every third request with 503; /fn/silent never answers.
 */
describe('load runner against a local server', () => {
  let server: http.Server;
  let base: string;
  const seen: Array<{ method: string; url: string; contentType?: string; body: string }> = [];

  before(async () => {
    let flaky = 0;
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body });
        const reply = (status: number) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ got: body }));
        };
        if (req.url?.startsWith('/fn/slow')) setTimeout(() => reply(200), 20);
        else if (req.url?.startsWith('/fn/flaky')) reply(++flaky % 3 === 0 ? 503 : 200);
        else if (req.url?.startsWith('/fn/silent')) return;
        else reply(200);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fn/`;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('sends exactly the count asked for, with the invoke method, path, headers and body, and reports progress up to all of them', async () => {
    seen.length = 0;
    const request = buildLoadRequest({ functionUrl: base, invoke: { method: 'POST', path: '/ok?x=1' }, timeoutSeconds: 5 }, '{"n":1}', 120, 8);
    const progress: LoadProgress[] = [];
    const started = performance.now();
    const run = await runLoad(request, (p) => progress.push(p));
    const elapsed = performance.now() - started;

    assert.equal(seen.length, 120);
    assert.ok(seen.every((r) => r.method === 'POST' && r.url === '/fn/ok?x=1' && r.contentType === 'application/json' && r.body === '{"n":1}'));
    assert.equal(run.completed, 120);
    assert.equal(run.counts['2xx'], 120);
    assert.equal(run.counts.non2xx, 0);
    assert.equal(run.counts.errors, 0);
    assert.equal(run.latenciesMs.length, 120);
    assert.ok(Array.from(run.latenciesMs).every((ms) => ms > 0 && ms < 5000));
    assert.equal(run.stoppedBy, undefined);
    assert.deepEqual(progress.at(-1), { completed: 120, total: 120 });
    assert.ok(progress.every((p, i) => i === 0 || p.completed > progress[i - 1].completed), 'progress only moves on');
    assert.ok(progress.length <= 101, 'at most one report per whole percent');
    assert.ok(elapsed < 5000, `a 120-request run on loopback ends promptly (${elapsed.toFixed(0)} ms)`);

    const summary = summarizeLoad('fn', request, 'events/n.json', run, new RunFigures('fn'));
    assert.equal(summary.replies, 120);
    assert.ok(summary.repliesPerSecond > 0);
    assert.ok(summary.latencyMs && summary.latencyMs.p50 <= summary.latencyMs.p95 && summary.latencyMs.p95 <= summary.latencyMs.p99);
  });

  it('Cancel stops autocannon midway: the run ends soon with fewer requests and says it was cancelled', async () => {
    seen.length = 0;
    const request = buildLoadRequest({ functionUrl: base, invoke: { method: 'GET', path: '/slow' }, timeoutSeconds: 5 }, '', 5000, 4);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = performance.now();
    const run = await runLoad(request, undefined, controller.signal);
    const elapsed = performance.now() - started;

    assert.equal(run.stoppedBy, 'cancel');
    assert.ok(run.completed > 0 && run.completed < 5000, `completed ${run.completed}`);
    assert.ok(run.counts['2xx'] <= run.completed);
    assert.ok(elapsed < 3000, `stopped within ${elapsed.toFixed(0)} ms`);
    // Requests written just before the connections closed may still land: let them, then count.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sentAtStop = seen.length;
    assert.ok(sentAtStop <= run.completed + 4, `at most one request per connection beyond those completed (${sentAtStop} seen, ${run.completed} completed)`);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(seen.length, sentAtStop, 'nothing more is sent after the run ends');
  });

  it('the time limit stops a run that would go on, and says so', async () => {
    const request = buildLoadRequest({ functionUrl: base, invoke: { method: 'GET', path: '/slow' }, timeoutSeconds: 5 }, '', 5000, 2, 0.3);
    const run = await runLoad(request);
    assert.equal(run.stoppedBy, 'timeLimit');
    assert.ok(run.completed < 5000);
  });

  it('counts non-2xx replies by status, and requests that get no reply in time as errors (timeouts)', async () => {
    const flaky = await runLoad(buildLoadRequest({ functionUrl: base, invoke: { method: 'GET', path: '/flaky' }, timeoutSeconds: 5 }, '', 30, 3));
    assert.equal(flaky.counts['2xx'], 20);
    assert.equal(flaky.counts.non2xx, 10);
    assert.equal(flaky.counts.statusCodeStats?.['503']?.count, 10);

    // timeoutSeconds 0.1 → each request may take 2.1 s (Invoke's grace): two in a row on one connection.
    const silent = await runLoad(buildLoadRequest({ functionUrl: base, invoke: { method: 'GET', path: '/silent' }, timeoutSeconds: 0.1 }, '', 2, 1));
    assert.equal(silent.counts.timeouts, 2);
    assert.equal(silent.counts.errors, 2);
    assert.equal(silent.completed, 2);
    assert.equal(silent.latenciesMs.length, 0);
  });

  it('a refused connection is an error per request, not an endless retry', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const run = await runLoad(buildLoadRequest({ functionUrl: `http://127.0.0.1:${port}/fn/`, invoke: { method: 'GET', path: '/' }, timeoutSeconds: 1 }, '', 10, 2, 10));
    assert.equal(run.counts['2xx'], 0);
    assert.equal(run.counts.errors, 10, "each connection gives up after its share of the count");
    assert.equal(run.completed, 10);
    assert.equal(run.stoppedBy, undefined);
  });

  it('a signal cancelled before the start sends nothing', async () => {
    seen.length = 0;
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(runLoad(buildLoadRequest({ functionUrl: base, invoke: { method: 'GET', path: '/ok' }, timeoutSeconds: 5 }, '', 10, 1), undefined, controller.signal), CancelledError);
    assert.equal(seen.length, 0);
  });
});
