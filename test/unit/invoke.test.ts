import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CancelledError } from '../../src/core/errors';
import { buildInvokeRequest, formatInvokeResult, InvokeError, parsePayload, REPLY_KEEP_BYTES, sendInvoke, showsAsJsonc, summarizeInvoke, type InvokeResult } from '../../src/core/invoke';

describe('parsePayload', () => {
  it('accepts an empty or blank payload as an empty body', () => {
    assert.deepEqual(parsePayload(''), { ok: true, body: '' });
    assert.deepEqual(parsePayload('  \n '), { ok: true, body: '' });
  });

  it('accepts JSON and sends it compact', () => {
    assert.deepEqual(parsePayload('{\n  "name": "x",\n  "n": [1, 2]\n}'), { ok: true, body: '{"name":"x","n":[1,2]}' });
  });

  it('sends every value exactly as typed: big integers, 1.0, and spaces inside strings', () => {
    assert.deepEqual(parsePayload('{ "id": 12345678901234567890, "price": 1.0, "a b": " x , y " }'), { ok: true, body: '{"id":12345678901234567890,"price":1.0,"a b":" x , y "}' });
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

  it('waits timeoutSeconds plus 2 s in all, in milliseconds', () => {
    assert.equal(buildInvokeRequest('http://127.0.0.1:4000', { method: 'GET', path: '/' }, '', 30).timeoutMs, 32_000);
    assert.equal(buildInvokeRequest('http://127.0.0.1:4000', { method: 'GET', path: '/' }, '', 0.25).timeoutMs, 2_250);
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
  /** Replies by path, added by the tests below. */
  const replies = new Map<string, (res: http.ServerResponse) => void>();
  const invokePath = (p: string, timeoutSeconds = 5) => sendInvoke(buildInvokeRequest(baseUrl, { method: 'GET', path: p }, '', timeoutSeconds));

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
        const reply = replies.get(req.url ?? '');
        if (reply) {
          reply(res);
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

  it('fails with kind "timeout" after timeoutSeconds + 2 s when the function never answers', async () => {
    const started = Date.now();
    await assert.rejects(sendInvoke(buildInvokeRequest(baseUrl, { method: 'POST', path: '/hang' }, '{}', 1)), (error: unknown) => {
      assert.ok(error instanceof InvokeError);
      assert.equal(error.kind, 'timeout');
      assert.match(error.message, /^No answer from .*\/hang within 3 s \(timeoutSeconds in fn\.json, plus 2 s\)/);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 2900 && elapsed < 10_000, `took ${elapsed} ms`);
  });

  it('ends a reply that trickles on forever, past the kept 10 MB, at the same total deadline', async () => {
    replies.set('/trickle', (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(Buffer.alloc(REPLY_KEEP_BYTES + 1024 * 1024, 'a'));
      // A byte every 50 ms keeps the connection busy, so only a total deadline ends it. Bounded: after
      // 200 writes (10 s) the reply ends, so a client without a total deadline gets a result and fails.
      let writes = 0;
      const timer = setInterval(() => {
        if (++writes <= 200) res.write('a');
        else {
          clearInterval(timer);
          res.end();
        }
      }, 50);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    await assert.rejects(invokePath('/trickle', 1), (error: unknown) => {
      assert.ok(error instanceof InvokeError);
      assert.equal(error.kind, 'timeout');
      assert.match(error.message, /^The reply from .*\/trickle did not finish within 3 s .*: 11(\.\d)? MB had arrived/);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 2900 && elapsed < 10_000, `took ${elapsed} ms`);
  });

  it('rejects with CancelledError, not an invoke failure, when cancelled while waiting', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(sendInvoke(buildInvokeRequest(baseUrl, { method: 'POST', path: '/hang' }, '{}', 30), controller.signal), CancelledError);
  });

  it('sends nothing when already cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    last = { body: 'untouched' };
    await assert.rejects(sendInvoke(buildInvokeRequest(baseUrl, { method: 'POST', path: '/run' }, '{"a":1}', 5), controller.signal), CancelledError);
    assert.deepEqual(last, { body: 'untouched' });
  });

  it('keeps the body exactly as sent: a big integer, 1.0 and -0.0 survive, also in the pretty-printed view', async () => {
    const sent = '{"id":12345678901234567890,"price":1.0,"tiny":1e-400,"neg":-0.0,"s":"a, {b}: [c]","e":{},"l":[]}';
    replies.set('/exact', (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(sent);
    });
    const result = await invokePath('/exact');
    assert.equal(result.body, sent);
    assert.ok(showsAsJsonc(result));
    const shown = formatInvokeResult(result, true);
    const body = shown.split('\n').filter((l) => l && !l.startsWith('// ')).join('\n');
    assert.equal(body, [
      '{',
      '  "id": 12345678901234567890,',
      '  "price": 1.0,',
      '  "tiny": 1e-400,',
      '  "neg": -0.0,',
      '  "s": "a, {b}: [c]",',
      '  "e": {},',
      '  "l": []',
      '}',
    ].join('\n'));
  });

  it('counts the body size in bytes, not characters', async () => {
    replies.set('/accent', (res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('é');
    });
    const result = await invokePath('/accent');
    assert.equal(result.body, 'é');
    assert.equal(result.binary, false);
    assert.match(summarizeInvoke(result), /, 2 bytes$/);
  });

  it('keeps the first 10 MB of a bigger reply, counts it all, and says it was cut', async () => {
    replies.set('/big', (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(Buffer.alloc(12 * 1024 * 1024, 'x'));
    });
    const result = await invokePath('/big');
    assert.equal(result.status, 200);
    assert.equal(result.bodyBytes, 12 * 1024 * 1024);
    assert.equal(result.body.length, REPLY_KEEP_BYTES);
    assert.equal(result.truncated, true);
    const shown = formatInvokeResult(result, showsAsJsonc(result));
    const note = 'showing the first 10 MB of 12 MB: the rest was received and not kept';
    assert.ok(shown.split('\n').slice(0, 8).includes(note), 'the note is among the header lines');
    assert.ok(shown.endsWith(`\n[${note}]\n`), 'and repeated after the body');
    assert.match(summarizeInvoke(result), /, 12582912 bytes, first 10 MB kept$/);
  });

  it('cuts between characters, never inside one', async () => {
    replies.set('/accents', (res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.write('a'); // shifts the two-byte é across the 10 MB boundary
      res.end(Buffer.from('é'.repeat(REPLY_KEEP_BYTES / 2 + 10)));
    });
    const result = await invokePath('/accents');
    assert.equal(result.truncated, true);
    assert.equal(result.binary, false);
    assert.ok(!result.body.includes('\uFFFD'));
    assert.equal(Buffer.byteLength(result.body), REPLY_KEEP_BYTES - 1);
    assert.ok(result.body.endsWith('éé'));
  });

  it('pretty-prints a cut JSON reply as far as it goes, as plain text since it no longer parses', async () => {
    replies.set('/bigjson', (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const item = '{"n":12345678901234567890},';
      res.write('[');
      res.end(item.repeat(Math.ceil((11 * 1024 * 1024) / item.length)) + '{}]');
    });
    const result = await invokePath('/bigjson');
    assert.equal(result.truncated, true);
    assert.equal(result.json, undefined);
    assert.equal(showsAsJsonc(result), false);
    const shown = formatInvokeResult(result, false);
    assert.ok(shown.includes('\n[\n  {\n    "n": 12345678901234567890\n  },\n  {\n'));
  });

  it('shows a binary reply as its size and type, not its bytes', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(3000, 7)]);
    replies.set('/png', (res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(png);
    });
    const result = await invokePath('/png');
    assert.equal(result.binary, true);
    assert.equal(result.bodyBytes, png.length);
    assert.equal(result.body, '');
    assert.equal(showsAsJsonc(result), false);
    const shown = formatInvokeResult(result, false);
    assert.ok(shown.includes('\nbinary reply: 2.9 KB, type image/png\n'));
    assert.ok(!shown.includes('PNG'));
    assert.match(summarizeInvoke(result), /, 3008 bytes, binary \(image\/png\)$/);
  });

  it('tells binary from text by the bytes when the type does not say: not UTF-8, or NUL bytes', async () => {
    replies.set('/latin1', (res) => res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x21]))); // "café!" in Latin-1
    replies.set('/nul', (res) => {
      res.writeHead(200, { 'content-type': 'application/x-custom' });
      res.end(Buffer.from([0x41, 0x00, 0x42]));
    });
    replies.set('/svg', (res) => {
      res.writeHead(200, { 'content-type': 'image/svg+xml' });
      res.end('<svg xmlns="http://www.w3.org/2000/svg"/>');
    });
    const latin1 = await invokePath('/latin1');
    assert.equal(latin1.binary, true);
    assert.ok(formatInvokeResult(latin1, false).includes('\nbinary reply: 5 bytes, type not given\n'));
    assert.equal((await invokePath('/nul')).binary, true);
    const svg = await invokePath('/svg');
    assert.equal(svg.binary, false);
    assert.equal(svg.body, '<svg xmlns="http://www.w3.org/2000/svg"/>');
  });

  it('counts all of a big binary reply without keeping it', async () => {
    replies.set('/blob', (res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.alloc(20 * 1024 * 1024, 1));
    });
    const result = await invokePath('/blob');
    assert.equal(result.bodyBytes, 20 * 1024 * 1024);
    assert.equal(result.body, '');
    assert.equal(result.truncated, false);
    assert.ok(formatInvokeResult(result, false).includes('\nbinary reply: 20 MB, type application/octet-stream\n'));
  });

  it('fails with kind "reset" when the function closes the connection partway through its reply', async () => {
    replies.set('/halfway', (res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      res.write('x'.repeat(100), () => res.socket?.destroy());
    });
    await assert.rejects(invokePath('/halfway'), (error: unknown) => {
      assert.ok(error instanceof InvokeError);
      assert.equal(error.kind, 'reset');
      assert.match(error.message, /closed the connection .* after 100 bytes of its reply/);
      return true;
    });
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
    bodyBytes: 24,
    truncated: false,
    binary: false,
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
    const text = formatInvokeResult({ ...jsonResult, status: 204, statusText: 'No Content', body: '', bodyBytes: 0, json: undefined }, true);
    assert.ok(text.includes('// (empty body)'));
  });

  it('summarizes on one line with method, path, status, time and size', () => {
    const line = summarizeInvoke(jsonResult);
    assert.ok(!line.includes('\n'));
    assert.equal(line, 'invoke POST /run → 200 in 12.3 ms, 24 bytes');
  });
});
