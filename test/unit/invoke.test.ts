import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { buildInvokeRequest, formatInvokeResult, InvokeError, parsePayload, sendInvoke, summarizeInvoke, type InvokeResult } from '../../src/core/invoke';

describe('parsePayload', () => {
  it('accepts an empty or blank payload as an empty body', () => {
    assert.deepEqual(parsePayload(''), { ok: true, body: '' });
    assert.deepEqual(parsePayload('  \n '), { ok: true, body: '' });
  });

  it('accepts JSON and sends it compact', () => {
    assert.deepEqual(parsePayload('{\n  "name": "x",\n  "n": [1, 2]\n}'), { ok: true, body: '{"name":"x","n":[1,2]}' });
  });

  it('refuses invalid JSON with a message saying it is not JSON', () => {
    const result = parsePayload('{ name: x }');
    assert.equal(result.ok, false);
    assert.match((result as { message: string }).message, /JSON/);
  });
});

describe('buildInvokeRequest', () => {
  it('joins the base URL and the invoke path', () => {
    const request = buildInvokeRequest('http://127.0.0.1:4000', { method: 'POST', path: '/api/run?x=1' }, '', 30);
    assert.equal(request.url, 'http://127.0.0.1:4000/api/run?x=1');
  });

  it('sends a JSON body with a JSON content type', () => {
    const request = buildInvokeRequest('http://127.0.0.1:4000', { method: 'POST', path: '/' }, '{"a":1}', 30);
    assert.equal(request.method, 'POST');
    assert.equal(request.body, '{"a":1}');
    assert.equal(request.headers['content-type'], 'application/json');
  });

  it('sends no body and no content type for GET and HEAD, even with a payload', () => {
    for (const method of ['GET', 'HEAD']) {
      const request = buildInvokeRequest('http://127.0.0.1:4000', { method, path: '/' }, '{"a":1}', 30);
      assert.equal(request.body, undefined);
      assert.equal(request.headers['content-type'], undefined);
    }
  });

  it('sends no content type without a body', () => {
    const request = buildInvokeRequest('http://127.0.0.1:4000', { method: 'POST', path: '/' }, '', 30);
    assert.equal(request.body, undefined);
    assert.equal(request.headers['content-type'], undefined);
  });

  it('converts the timeout from seconds to milliseconds', () => {
    assert.equal(buildInvokeRequest('http://127.0.0.1:4000', { method: 'GET', path: '/' }, '', 30).timeoutMs, 30_000);
    assert.equal(buildInvokeRequest('http://127.0.0.1:4000', { method: 'GET', path: '/' }, '', 0.25).timeoutMs, 250);
  });
});

interface Received {
  method?: string;
  url?: string;
  contentType?: string;
  body: string;
}

describe('sendInvoke against a local server', () => {
  let server: http.Server;
  let baseUrl: string;
  let last: Received = { body: '' };
  const hanging = new Set<http.ServerResponse>();

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        last = { method: req.method, url: req.url, contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') };
        if (req.url === '/hang') {
          hanging.add(res);
          return;
        }
        if (req.url === '/text') {
          res.writeHead(500, { 'content-type': 'text/plain', 'x-custom': 'yes' });
          res.end('Internal <b>oops</b>');
          return;
        }
        if (req.url === '/empty') {
          res.writeHead(204);
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-path': req.url ?? '' });
        res.end(JSON.stringify({ echo: last.body ? JSON.parse(last.body) : null, method: req.method }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });

  after(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('returns the status, headers, body, parsed JSON and a positive duration', async () => {
    const request = buildInvokeRequest(baseUrl, { method: 'POST', path: '/run' }, '{"name":"x"}', 5);
    const result = await sendInvoke(request);
    assert.equal(result.status, 200);
    assert.equal(result.statusText, 'OK');
    assert.deepEqual(result.json, { echo: { name: 'x' }, method: 'POST' });
    assert.equal(result.body, JSON.stringify({ echo: { name: 'x' }, method: 'POST' }));
    assert.equal(result.headers['content-type'], 'application/json');
    assert.equal(result.headers['x-request-path'], '/run');
    assert.ok(result.durationMs > 0);
    assert.equal(result.request, request);
  });

  it('delivers the payload, method, path and content type to the function', async () => {
    await sendInvoke(buildInvokeRequest(baseUrl, { method: 'PUT', path: '/items?id=7' }, '{"a":[1,2]}', 5));
    assert.deepEqual(last, { method: 'PUT', url: '/items?id=7', contentType: 'application/json', body: '{"a":[1,2]}' });
  });

  it('reports an error status as a result, not as a failure, and leaves json undefined for text', async () => {
    const result = await sendInvoke(buildInvokeRequest(baseUrl, { method: 'GET', path: '/text' }, '', 5));
    assert.equal(result.status, 500);
    assert.equal(result.body, 'Internal <b>oops</b>');
    assert.equal(result.json, undefined);
    assert.equal(result.headers['x-custom'], 'yes');
  });

  it('handles an empty reply', async () => {
    const result = await sendInvoke(buildInvokeRequest(baseUrl, { method: 'DELETE', path: '/empty' }, '', 5));
    assert.equal(result.status, 204);
    assert.equal(result.body, '');
    assert.equal(result.json, undefined);
  });

  it('fails with kind "timeout" when the function never answers', async () => {
    const started = Date.now();
    await assert.rejects(sendInvoke(buildInvokeRequest(baseUrl, { method: 'POST', path: '/hang' }, '{}', 0.2)), (error: unknown) => {
      assert.ok(error instanceof InvokeError);
      assert.equal(error.kind, 'timeout');
      assert.match(error.message, /timeoutSeconds/);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 150 && elapsed < 2000, `took ${elapsed} ms`);
  });

  it('fails with kind "refused" when nothing listens on the port', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await assert.rejects(sendInvoke(buildInvokeRequest(`http://127.0.0.1:${port}`, { method: 'GET', path: '/' }, '', 2)), (error: unknown) => {
      assert.ok(error instanceof InvokeError);
      assert.equal(error.kind, 'refused');
      assert.match(error.message, /Build and Run/);
      return true;
    });
  });

  it('fails with kind "reset" when the connection closes without an answer', async () => {
    const rude = net.createServer((socket) => socket.once('data', () => socket.destroy()));
    await new Promise<void>((resolve) => rude.listen(0, '127.0.0.1', resolve));
    const port = (rude.address() as net.AddressInfo).port;
    try {
      await assert.rejects(sendInvoke(buildInvokeRequest(`http://127.0.0.1:${port}`, { method: 'POST', path: '/' }, '{}', 2)), (error: unknown) => {
        assert.ok(error instanceof InvokeError);
        assert.equal(error.kind, 'reset');
        return true;
      });
    } finally {
      await new Promise((resolve) => rude.close(resolve));
    }
  });
});

describe('formatInvokeResult and summarizeInvoke', () => {
  const request = buildInvokeRequest('http://127.0.0.1:4000', { method: 'POST', path: '/run' }, '{}', 5);
  const jsonResult: InvokeResult = {
    request,
    status: 200,
    statusText: 'OK',
    durationMs: 12.345,
    headers: { 'content-type': 'application/json' },
    body: '{"message":"hi","n":[1]}',
    json: { message: 'hi', n: [1] },
  };

  it('as JSONC: comments the request, status and header lines and pretty-prints the body', () => {
    const text = formatInvokeResult(jsonResult, true);
    const lines = text.split('\n');
    assert.equal(lines[0], '// POST http://127.0.0.1:4000/run');
    assert.equal(lines[1], '// 200 OK in 12.3 ms');
    assert.ok(lines.includes('// content-type: application/json'));
    assert.ok(text.includes(JSON.stringify(jsonResult.json, null, 2)));
    // What is not a comment is the body alone, so the text is valid JSONC.
    const uncommented = lines.filter((l) => !l.startsWith('// ')).join('\n');
    assert.deepEqual(JSON.parse(uncommented), jsonResult.json);
  });

  it('as plain text: no comment markers and the raw body when it is not JSON', () => {
    const result: InvokeResult = { ...jsonResult, status: 500, statusText: 'Internal Server Error', headers: {}, body: 'boom', json: undefined };
    const text = formatInvokeResult(result, false);
    assert.ok(!text.includes('// '));
    assert.ok(text.startsWith('POST http://127.0.0.1:4000/run\n500 Internal Server Error in 12.3 ms\n'));
    assert.ok(text.includes('\nboom\n'));
  });

  it('says when the body is empty', () => {
    const text = formatInvokeResult({ ...jsonResult, status: 204, statusText: 'No Content', body: '', json: undefined }, true);
    assert.ok(text.includes('// (empty body)'));
  });

  it('summarizes on one line with method, path, status, time and size', () => {
    const line = summarizeInvoke(jsonResult);
    assert.ok(!line.includes('\n'));
    assert.equal(line, `invoke POST /run → 200 in 12.3 ms, ${Buffer.byteLength(jsonResult.body)} bytes`);
  });

  it('counts the body size in bytes, not characters', () => {
    assert.match(summarizeInvoke({ ...jsonResult, body: 'é' }), /, 2 bytes$/);
  });
});
