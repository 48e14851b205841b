import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { cloudEventFromPayload, completeCloudEvent, invokePayload, type CloudEventMessage } from '../../src/core/cloudEvents';
import { buildInvokeRequest, formatInvokeResult, parsePayload, sendInvoke, showsAsJsonc, summarizeInvoke, type InvokeResult } from '../../src/core/invoke';
import type { FunctionProtocol } from '../../src/core/protocol';

const URL_BASE = 'http://127.0.0.1:4000/hello';
const POST = { method: 'POST', path: '/' };
const NOW = new Date('2024-05-01T12:00:00.000Z');

/** A saved event's text as Invoke reads it: parsed, compacted, then read as a CloudEvent for the function "hello". */
function read(savedText: string) {
  const payload = parsePayload(savedText);
  assert.ok(payload.ok);
  return cloudEventFromPayload(payload.body, 'hello');
}

function event(savedText: string): CloudEventMessage {
  const reading = read(savedText);
  assert.ok(reading.ok, reading.ok ? '' : reading.message);
  return reading.event;
}

function problem(savedText: string): string {
  const reading = read(savedText);
  assert.ok(!reading.ok, 'expected the event to be refused');
  return reading.message;
}

/** What Invoke sends for a saved event, with the id and time it fills fixed. */
function requestFor(savedText: string, method = 'POST') {
  return buildInvokeRequest(URL_BASE, { method, path: '/' }, completeCloudEvent(event(savedText), NOW, 'id-1'), 30);
}

/** A saved event as a user writes it: the big integer and 1.0 must reach the function as written. */
const ORDER = `{
  "type": "com.example.order.created",
  "source": "/shop/orders",
  "subject": "order-1",
  "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  "extensions": { "priority": 5, "urgent": true },
  "data": { "id": 12345678901234567890, "price": 1.0 }
}`;
const ORDER_BODY = (parsePayload(ORDER) as { body: string }).body;

describe('saved events for a function that takes CloudEvents', () => {
  it('reads an object with a string type and source as a CloudEvent: its attributes, extensions (top level or in "extensions") and data', () => {
    const { mode, attributes, data, wrapped } = event(ORDER);
    assert.equal(mode, 'binary', 'binary mode unless the event asks otherwise');
    assert.equal(wrapped, false);
    assert.deepEqual(attributes, {
      specversion: '1.0', source: '/shop/orders', type: 'com.example.order.created', subject: 'order-1',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', priority: 5, urgent: true,
    });
    assert.deepEqual(data, { json: '{"id":12345678901234567890,"price":1.0}' }, 'the data exactly as written');
  });

  it('sends any other payload as the data of a dev.localserverless.invoke event from /local-serverless/<function>', () => {
    for (const text of ['{"name":"x"}', '{"type":"only a type"}', '[1,2]', '"text"']) {
      const { attributes, data, wrapped, mode } = event(text);
      assert.equal(wrapped, true, text);
      assert.equal(mode, 'binary');
      assert.deepEqual(attributes, { specversion: '1.0', source: '/local-serverless/hello', type: 'dev.localserverless.invoke', datacontenttype: 'application/json' });
      assert.deepEqual(data, { json: parsePayload(text).ok ? (parsePayload(text) as { body: string }).body : '' });
    }
    const empty = event('');
    assert.equal(empty.data, undefined, 'an empty payload is an event without data');
    assert.equal(empty.attributes.datacontenttype, undefined);
  });

  it('fills id (a fresh UUID) and time (now) when the event has none, at each send, and keeps the ones it has', () => {
    const filled = completeCloudEvent(event(ORDER), NOW);
    assert.match(String(filled.attributes.id), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(filled.attributes.time, '2024-05-01T12:00:00.000Z');
    assert.notEqual(completeCloudEvent(event(ORDER)).attributes.id, filled.attributes.id, 'each send gets its own id');
    const given = completeCloudEvent(event('{"type":"t","source":"/s","id":"mine","time":"2023-01-02T03:04:05+01:00"}'), NOW, 'fresh');
    assert.equal(given.attributes.id, 'mine');
    assert.equal(given.attributes.time, '2023-01-02T03:04:05+01:00', 'the time as written, not re-formatted');
  });

  it('takes "$mode": "structured", and refuses another mode', () => {
    assert.equal(event('{"type":"t","source":"/s","$mode":"structured"}').mode, 'structured');
    assert.equal(event('{"type":"t","source":"/s","$mode":"binary"}').mode, 'binary');
    assert.match(problem('{"type":"t","source":"/s","$mode":"batch"}'), /"\$mode" is "batch": use "binary" .* or "structured"/);
  });

  it('reads data_base64 as the data\'s bytes, and refuses what is not base64 or comes with data too', () => {
    assert.deepEqual(event('{"type":"t","source":"/s","data_base64":"aGVsbG8="}').data, { base64: 'aGVsbG8=' });
    assert.match(problem('{"type":"t","source":"/s","data_base64":"not base64!"}'), /"data_base64" is "not base64!"/);
    assert.match(problem('{"type":"t","source":"/s","data":{},"data_base64":"aGVsbG8="}'), /both "data" and "data_base64"/);
  });

  it('treats an attribute that is null as absent, as the JSON event format does', () => {
    const { attributes, data } = event('{"type":"t","source":"/s","subject":null,"data":null,"extensions":{"x":null}}');
    assert.deepEqual(attributes, { specversion: '1.0', type: 't', source: '/s' });
    assert.equal(data, undefined);
  });

  it('refuses what the spec does not allow, saying what to do', () => {
    assert.match(problem('{"type":"t","source":"/s","traceParent":"x"}'), /"traceParent" is not a CloudEvents attribute name: names are lowercase letters a-z and digits 0-9 only/);
    assert.match(problem('{"type":"t","source":"/s","extensions":{"my-ext":"x"}}'), /"extensions"\."my-ext" is not a CloudEvents attribute name/);
    assert.match(problem('{"type":"t","source":"/s","meta":{"a":1}}'), /"meta" is an object: an extension attribute is a string, a whole number or true\/false/);
    assert.match(problem('{"type":"t","source":"/s","ratio":0.5}'), /"ratio" is 0\.5/);
    assert.match(problem('{"type":"t","source":"/s","x":"1","extensions":{"x":"2"}}'), /"extensions"\."x" names the attribute "x" a second time/);
    assert.match(problem('{"type":"t","source":"/s","extensions":{"subject":"s"}}'), /names the attribute "subject" a second time/);
    assert.match(problem('{"type":"t","source":"/s","specversion":"0.3"}'), /"specversion" is "0\.3": Invoke sends CloudEvents 1\.0/);
    assert.match(problem('{"type":"t","source":"/s","time":"yesterday"}'), /"time" is "yesterday", not an RFC 3339 timestamp/);
    assert.match(problem('{"type":"","source":"/s"}'), /"type" is empty/);
    assert.match(problem('{"type":"t","source":"/s","subject":3}'), /"subject" is 3: it must be a string/);
  });
});

describe('which functions get a CloudEvent', () => {
  const fn = (protocol: FunctionProtocol) => ({ name: 'hello', protocol });

  it('a plain HTTP function, and the Functions Framework\'s http and event signatures, get the JSON body unchanged', () => {
    for (const protocol of [{ kind: 'http', source: 'default' }, { kind: 'functions-framework', source: 'fn.json', signatureType: 'http' }, { kind: 'functions-framework', source: 'fn.json', signatureType: 'event' }] as FunctionProtocol[]) {
      assert.deepEqual(invokePayload(fn(protocol), ORDER_BODY), { ok: true, payload: ORDER_BODY }, protocol.kind);
    }
    // And the request is today's plain JSON POST: no ce-* header, nothing about an event.
    assert.deepEqual(buildInvokeRequest(URL_BASE, POST, ORDER_BODY, 30), {
      method: 'POST', url: 'http://127.0.0.1:4000/hello/', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: ORDER_BODY, timeoutMs: 32_000,
    });
  });

  it('protocol cloudevents and the cloudevent signature get a CloudEvent, refused with the reason when invalid', () => {
    for (const protocol of [{ kind: 'cloudevents', source: 'fn.json' }, { kind: 'functions-framework', source: 'fn.json', signatureType: 'cloudevent' }] as FunctionProtocol[]) {
      const sent = invokePayload(fn(protocol), ORDER_BODY);
      assert.ok(sent.ok && typeof sent.payload !== 'string' && sent.payload.attributes.type === 'com.example.order.created');
      assert.equal(invokePayload(fn(protocol), '{"type":"t","source":"/s","Bad":1}').ok, false);
    }
  });
});

describe('sending a CloudEvent', () => {
  it('binary mode: every attribute in a ce-* header, datacontenttype as the content type, the data exactly as written as the body', () => {
    const request = requestFor(ORDER);
    assert.deepEqual(request.headers, {
      'ce-specversion': '1.0',
      'ce-id': 'id-1',
      'ce-source': '/shop/orders',
      'ce-type': 'com.example.order.created',
      'ce-subject': 'order-1',
      'ce-time': '2024-05-01T12:00:00.000Z',
      'ce-traceparent': '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'ce-priority': '5',
      'ce-urgent': 'true',
      'content-type': 'application/json',
      accept: 'application/json',
    });
    assert.equal(request.body, '{"id":12345678901234567890,"price":1.0}');
    assert.deepEqual(request.cloudEvent, { mode: 'binary', type: 'com.example.order.created', source: '/shop/orders', id: 'id-1', wrapped: false });
  });

  it('binary mode: a string with a content type that is not JSON goes as its own text; data_base64 as its bytes', () => {
    const text = requestFor('{"type":"t","source":"/s","datacontenttype":"text/plain","data":"hello there"}');
    assert.equal(text.headers['content-type'], 'text/plain');
    assert.equal(text.body, 'hello there');
    assert.equal(text.headers['ce-datacontenttype'], undefined, 'the content type is the header for it in binary mode');
    const bytes = requestFor('{"type":"t","source":"/s","data_base64":"AAEC/w=="}');
    assert.equal(bytes.headers['content-type'], 'application/octet-stream');
    assert.deepEqual(bytes.body, Buffer.from([0, 1, 2, 255]));
    const none = requestFor('{"type":"t","source":"/s"}');
    assert.equal(none.body, undefined);
    assert.equal(none.headers['content-type'], undefined);
  });

  it('binary mode: percent-encodes what the HTTP binding says must be (space, ", %, anything beyond printable ASCII)', () => {
    const request = requestFor('{"type":"t","source":"/s","subject":"café \\"x\\" 100% ✓"}');
    assert.equal(request.headers['ce-subject'], 'caf%C3%A9%20%22x%22%20100%25%20%E2%9C%93');
  });

  it('structured mode: the whole event as one application/cloudevents+json body, the data exactly as written', () => {
    const request = requestFor(ORDER.replace('{', '{ "$mode": "structured",'));
    assert.deepEqual(request.headers, { 'content-type': 'application/cloudevents+json', accept: 'application/json' });
    assert.equal(request.body, '{"specversion":"1.0","id":"id-1","source":"/shop/orders","type":"com.example.order.created","subject":"order-1","time":"2024-05-01T12:00:00.000Z",'
      + '"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","priority":5,"urgent":true,"data":{"id":12345678901234567890,"price":1.0}}');
    const base64 = requestFor('{"type":"t","source":"/s","$mode":"structured","data_base64":"aGVsbG8="}');
    assert.equal(base64.body, '{"specversion":"1.0","id":"id-1","source":"/s","type":"t","time":"2024-05-01T12:00:00.000Z","data_base64":"aGVsbG8="}');
  });

  it('a wrapped payload goes in binary mode with the defaults, and its id and time', () => {
    const request = requestFor('{"name":"x"}');
    assert.deepEqual(request.headers, {
      'ce-specversion': '1.0', 'ce-id': 'id-1', 'ce-source': '/local-serverless/hello', 'ce-type': 'dev.localserverless.invoke', 'ce-time': '2024-05-01T12:00:00.000Z',
      'content-type': 'application/json', accept: 'application/json',
    });
    assert.equal(request.body, '{"name":"x"}');
  });
});

describe('a CloudEvent over HTTP, to a server and back', () => {
  let server: http.Server;
  let base: string;
  let received: { headers: http.IncomingHttpHeaders; body: Buffer } | undefined;
  const replies = new Map<string, (res: http.ServerResponse) => void>();

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received = { headers: req.headers, body: Buffer.concat(chunks) };
        const reply = replies.get(req.url ?? '');
        if (reply) reply(res);
        else res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const invoke = (path: string, savedText: string): Promise<InvokeResult> =>
    sendInvoke(buildInvokeRequest(base, { method: 'POST', path }, completeCloudEvent(event(savedText), NOW, 'id-1'), 5));

  it('arrives with its headers (a non-ASCII subject included) and its data bytes', async () => {
    await invoke('/plain', '{"type":"t","source":"/s","subject":"café","data_base64":"AAEC/w=="}');
    assert.equal(received?.headers['ce-subject'], 'caf%C3%A9');
    assert.deepEqual(received?.body, Buffer.from([0, 1, 2, 255]));
  });

  it('shows a binary-mode reply\'s attributes apart from its data, without inventing any', async () => {
    replies.set('/binary', (res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': 'r-1', 'ce-source': '/replier', 'ce-type': 'com.example.reply', 'ce-subject': 'caf%C3%A9', 'ce-zone': 'eu' });
      res.end('{"ok":true,"n":12345678901234567890}');
    });
    const result = await invoke('/binary', ORDER);
    const shown = formatInvokeResult(result, showsAsJsonc(result));
    assert.ok(showsAsJsonc(result));
    assert.ok(shown.includes('// CloudEvent sent in binary mode: type com.example.order.created, source /shop/orders, id id-1\n'), shown);
    assert.ok(shown.includes([
      '// CloudEvent reply, binary mode (specversion 1.0):',
      '//   type: com.example.reply',
      '//   source: /replier',
      '//   id: r-1',
      '//   subject: café',
      '//   zone: eu',
      '// data (application/json):',
      '{',
      '  "ok": true,',
      '  "n": 12345678901234567890',
      '}',
    ].join('\n')), shown);
    assert.ok(!/^\/\/ {3}time:/m.test(shown), 'a reply without a time shows none');
    assert.match(summarizeInvoke(result, '/'), /^invoke POST \/ \(CloudEvent com\.example\.order\.created, binary, id id-1\) → 200 in .*, CloudEvent reply com\.example\.reply \(binary\)$/);
  });

  it('shows a structured-mode reply\'s attributes, then only its data, values as sent', async () => {
    replies.set('/structured', (res) => {
      res.writeHead(200, { 'content-type': 'application/cloudevents+json; charset=utf-8' });
      res.end('{"specversion":"1.0","type":"com.example.reply","source":"/replier","id":"r-2","time":"2024-05-01T12:00:01Z","datacontenttype":"application/json","data":{"total":1.0,"items":[1,2]}}');
    });
    const result = await invoke('/structured', '{"type":"t","source":"/s","$mode":"structured"}');
    const shown = formatInvokeResult(result, showsAsJsonc(result));
    assert.ok(shown.includes('// CloudEvent sent in structured mode: type t, source /s, id id-1\n'), shown);
    assert.ok(shown.endsWith([
      '// CloudEvent reply, structured mode (specversion 1.0):',
      '//   type: com.example.reply',
      '//   source: /replier',
      '//   id: r-2',
      '//   time: 2024-05-01T12:00:01Z',
      '// data (application/json):',
      '{',
      '  "total": 1.0,',
      '  "items": [',
      '    1,',
      '    2',
      '  ]',
      '}',
      '',
    ].join('\n')), shown);
  });

  it('keeps every attribute of a structured reply on its own comment line, and says when it has no data', async () => {
    replies.set('/nodata', (res) => {
      res.writeHead(200, { 'content-type': 'application/cloudevents+json' });
      res.end('{"specversion":"1.0","type":"t","source":"/s","id":"r-3","note":"two\\nlines"}');
    });
    const result = await invoke('/nodata', ORDER);
    const shown = formatInvokeResult(result, showsAsJsonc(result));
    assert.ok(shown.endsWith('//   id: r-3\n//   note: "two\\nlines"\n// data: none\n'), shown);
  });

  it('shows a plain reply as before: no CloudEvent block', async () => {
    replies.set('/json', (res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'ce-id': 'only-an-id' });
      res.end('{"a":1}');
    });
    const result = await sendInvoke(buildInvokeRequest(base, { method: 'POST', path: '/json' }, '{"a":1}', 5));
    const shown = formatInvokeResult(result, true);
    assert.ok(!shown.includes('CloudEvent'), shown);
    assert.equal(received?.headers['ce-id'], undefined, 'a plain invoke sends no ce-* header');
    assert.doesNotMatch(summarizeInvoke(result), /CloudEvent/);
  });
});
