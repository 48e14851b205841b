import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { CancelledError } from '../../src/core/errors';
import type { BuildRequest } from '../../src/core/plan';
import { DockerEngine, demuxDockerStream, jsonLines, readBuildStream, registryError } from '../../src/engine/dockerEngine';
import { BuildFailedError, type LogChunk } from '../../src/engine/engine';

/** One frame of Docker's multiplexed attach/logs stream: type, 3 zero bytes, big-endian size, payload. */
function frame(type: 1 | 2, text: string | Buffer): Buffer {
  const payload = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Splits a buffer into chunks of `size` bytes, as a socket may deliver it. */
function chunks(buffer: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += size) out.push(buffer.subarray(i, i + size));
  return out;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('demuxDockerStream', () => {
  // An empty frame carries nothing to show: it yields no chunk.
  const frames = [frame(1, 'listening on 8080\n'), frame(2, 'warning: deprecated\n'), frame(1, 'héllo ✓\n'), frame(1, '')];
  const expected: LogChunk[] = [
    { stream: 'stdout', text: 'listening on 8080\n' },
    { stream: 'stderr', text: 'warning: deprecated\n' },
    { stream: 'stdout', text: 'héllo ✓\n' },
  ];

  it('separates stdout (type 1) and stderr (type 2) frames', async () => {
    assert.deepEqual(await collect(demuxDockerStream(Readable.from(frames))), expected);
  });

  it('reassembles frames arriving in one chunk', async () => {
    assert.deepEqual(await collect(demuxDockerStream(Readable.from([Buffer.concat(frames)]))), expected);
  });

  for (const size of [1, 3, 7, 8, 9, 13]) {
    it(`reassembles frames split across ${size}-byte chunks, including inside headers and characters`, async () => {
      assert.deepEqual(await collect(demuxDockerStream(Readable.from(chunks(Buffer.concat(frames), size)))), expected);
    });
  }

  // A program's writes (and so Docker's frames) may end inside a multi-byte character, e.g. where a
  // buffered writer flushes at 4096 bytes. Each stream keeps its own decoder state across frames.
  for (const text of ['café\n', 'done ✓\n', 'shipped 🚀 today\n']) {
    const bytes = Buffer.from(text, 'utf8');
    const firstMultiByte = [...bytes].findIndex((b) => b >= 0x80);
    const lastMultiByte = bytes.length - 1 - [...bytes].reverse().findIndex((b) => b >= 0x80);
    for (let cut = firstMultiByte + 1; cut <= lastMultiByte; cut++) {
      it(`decodes ${JSON.stringify(text)} split across two frames at byte ${cut}, inside a character`, async () => {
        const split = [frame(1, bytes.subarray(0, cut)), frame(1, bytes.subarray(cut))];
        const out = await collect(demuxDockerStream(Readable.from(split)));
        assert.equal(out.map((c) => c.text).join(''), text);
        assert.ok(out.every((c) => c.stream === 'stdout'));
      });
    }
  }

  it('keeps stdout and stderr decoding apart when their frames interleave mid-character', async () => {
    const tick = Buffer.from('✓', 'utf8');
    const cross = Buffer.from('✗', 'utf8');
    const interleaved = [
      frame(1, Buffer.concat([Buffer.from('ok '), tick.subarray(0, 1)])),
      frame(2, Buffer.concat([Buffer.from('bad '), cross.subarray(0, 2)])),
      frame(1, Buffer.concat([tick.subarray(1), Buffer.from('\n')])),
      frame(2, Buffer.concat([cross.subarray(2), Buffer.from('\n')])),
    ];
    const out = await collect(demuxDockerStream(Readable.from(interleaved)));
    const text = (stream: string) => out.filter((c) => c.stream === stream).map((c) => c.text).join('');
    assert.equal(text('stdout'), 'ok ✓\n');
    assert.equal(text('stderr'), 'bad ✗\n');
  });

  it('drops an incomplete trailing frame instead of emitting half a line', async () => {
    const whole = frame(1, 'complete\n');
    const partial = frame(2, 'cut off here\n').subarray(0, 12);
    assert.deepEqual(await collect(demuxDockerStream(Readable.from([Buffer.concat([whole, partial])]))), [{ stream: 'stdout', text: 'complete\n' }]);
  });

  it('ends quietly when the stream is destroyed mid-way (container removed)', async () => {
    const stream = new Readable({ read() {} });
    stream.push(frame(1, 'before\n'));
    setTimeout(() => stream.destroy(), 20);
    assert.deepEqual(await collect(demuxDockerStream(stream)), [{ stream: 'stdout', text: 'before\n' }]);
  });
});

/** A classic-builder JSON stream, one object per line. */
function buildStream(events: object[], chunkSize?: number): Readable {
  const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n';
  return Readable.from(chunkSize ? chunks(Buffer.from(text), chunkSize) : [text]);
}

describe('readBuildStream', () => {
  const failing = [
    { stream: 'Step 1/3 : FROM x\n' },
    { stream: ' ---> 1234abcd\n' },
    { stream: 'Step 2/3 : RUN false\n' },
    { stream: ' ---> Running in 5678\n' },
    { stream: 'some output\n' },
    { errorDetail: { code: 1, message: "The command '/bin/sh -c false' returned a non-zero code: 1" }, error: "The command '/bin/sh -c false' returned a non-zero code: 1" },
  ];

  it('rejects a failed step with BuildFailedError naming the step, the reason and its output', async () => {
    const output: string[] = [];
    await assert.rejects(readBuildStream(buildStream(failing), (t) => output.push(t)), (error: unknown) => {
      assert.ok(error instanceof BuildFailedError);
      assert.equal(error.step, 'RUN false');
      assert.equal(error.reason, "The command '/bin/sh -c false' returned a non-zero code: 1");
      assert.ok(error.stepOutput.includes('some output'));
      assert.ok(!error.stepOutput.includes('1234abcd'), 'output of earlier steps is not blamed on the failing one');
      assert.match(error.message, /Build failed at "RUN false"/);
      return true;
    });
    assert.ok(output.join('').includes('some output'));
    assert.match(output[output.length - 1], /^ERROR: The command/);
  });

  it("names the failing step of Podman's builder (Buildah), as its compat API streams it", async () => {
    const podman = [
      { stream: 'STEP 1/3: FROM node:20-bookworm-slim\n' },
      { stream: 'STEP 2/3: RUN echo "about to fail" && exit 9\n' },
      { stream: 'about to fail\n' },
      { error: 'building at STEP "RUN echo "about to fail" && exit 9": while running runtime: exit status 9', errorDetail: { message: 'building at STEP "RUN echo "about to fail" && exit 9": while running runtime: exit status 9' } },
    ];
    await assert.rejects(readBuildStream(buildStream(podman), () => {}), (error: unknown) => {
      assert.ok(error instanceof BuildFailedError);
      assert.equal(error.step, 'RUN echo "about to fail" && exit 9');
      assert.equal(error.stepOutput, 'about to fail\n');
      assert.equal(error.message, 'Build failed at "RUN echo "about to fail" && exit 9": while running runtime: exit status 9');
      return true;
    });
  });

  it('finds the failure when JSON lines are split across chunks', async () => {
    await assert.rejects(readBuildStream(buildStream(failing, 5), () => {}), (error: unknown) => {
      assert.ok(error instanceof BuildFailedError);
      assert.equal(error.step, 'RUN false');
      assert.ok(error.stepOutput.includes('some output'));
      return true;
    });
  });

  it('rejects an error before any step without a step name', async () => {
    await assert.rejects(readBuildStream(buildStream([{ error: 'dockerfile parse error line 1: unknown instruction: FORM' }]), () => {}), (error: unknown) => {
      assert.ok(error instanceof BuildFailedError);
      assert.equal(error.step, undefined);
      assert.match(error.message, /^Build failed: dockerfile parse error/);
      return true;
    });
  });

  it('resolves a successful build and passes its text, including pull status, to onOutput', async () => {
    const output: string[] = [];
    await readBuildStream(buildStream([
      { stream: 'Step 1/2 : FROM node:20\n' },
      { status: 'Pulling from library/node' },
      { stream: 'Step 2/2 : COPY . .\n' },
      { aux: { ID: 'sha256:abc' } },
      { stream: 'Successfully built abc\n' },
    ]), (t) => output.push(t));
    assert.equal(output.join(''), 'Step 1/2 : FROM node:20\nPulling from library/node\nStep 2/2 : COPY . .\nSuccessfully built abc\n');
  });

  it('reports cancellation, not a failure, when the signal aborted the build', async () => {
    const controller = new AbortController();
    const stream = new Readable({ read() {} });
    stream.push(JSON.stringify({ stream: 'Step 1/2 : FROM x\n' }) + '\n');
    const reading = readBuildStream(stream, () => {
      controller.abort();
      stream.destroy(new Error('aborted by client'));
    }, controller.signal);
    await assert.rejects(reading, CancelledError);
  });
});

describe('jsonLines', () => {
  it('yields one object per line, ignoring blank lines and a missing final newline', async () => {
    const stream = Readable.from(['{"a":1}\n\n{"b"', ':2}\n  \n{"c":3}']);
    assert.deepEqual(await collect(jsonLines(stream)), [{ a: 1 }, { b: 2 }, { c: 3 }]);
  });
});

describe('registryError', () => {
  it('sorts what dockerd says about a registry (its words, as seen from 20.10 and the reference registry)', () => {
    const reasons = (message: string) => registryError('r.io', new Error(message)).reason;
    assert.equal(reasons('no basic auth credentials'), 'unauthorized');
    assert.equal(reasons('unauthorized: authentication required'), 'unauthorized');
    assert.equal(reasons('denied: requested access to the resource is denied'), 'unauthorized');
    assert.equal(reasons('Get "http://127.0.0.1:5009/v2/": dial tcp 127.0.0.1:5009: connect: connection refused'), 'unreachable');
    assert.equal(reasons('Get "https://nowhere.invalid/v2/": dial tcp: lookup nowhere.invalid: no such host'), 'unreachable');
    assert.equal(reasons('manifest for r.io/x:nope not found: manifest unknown: manifest unknown'), 'failed');
    const error = registryError('r.io', new Error('  unauthorized: authentication required\n'));
    assert.equal(error.registry, 'r.io');
    assert.equal(error.detail, 'unauthorized: authentication required');
  });
});

describe('DockerEngine.build', () => {
  // A stand-in Engine API that records each build's query and answers like the classic builder.
  let server: http.Server;
  let context: string;
  const queries: URLSearchParams[] = [];
  before(async () => {
    context = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-build-query-'));
    await fs.writeFile(path.join(context, 'Dockerfile'), 'FROM scratch\n');
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://engine');
      if (url.pathname.endsWith('/build')) queries.push(url.searchParams);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`${JSON.stringify({ stream: 'Step 1/1 : FROM scratch\n' })}\n${JSON.stringify({ stream: 'Successfully built 0123456789ab\n' })}\n`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await fs.rm(context, { recursive: true, force: true });
  });

  async function buildWith(network: BuildRequest['network']): Promise<URLSearchParams> {
    // The classic builder: BuildKit would first open a session, which this stand-in does not speak.
    const previous = process.env.LOCAL_SERVERLESS_BUILDER;
    process.env.LOCAL_SERVERLESS_BUILDER = 'classic';
    const engine = new DockerEngine({ host: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`, source: 'test' });
    if (previous === undefined) delete process.env.LOCAL_SERVERLESS_BUILDER;
    else process.env.LOCAL_SERVERLESS_BUILDER = previous;
    try {
      const request: BuildRequest = { contextDir: context, files: ['Dockerfile'], dockerfile: 'Dockerfile', tag: 'local-serverless/q:dev', labels: {}, ...(network ? { network } : {}) };
      await engine.build(request, () => undefined);
      return queries[queries.length - 1];
    } finally {
      engine.dispose();
    }
  }

  it("asks for the host's network as the build's networkmode", async () => {
    assert.equal((await buildWith('host')).get('networkmode'), 'host');
  });

  it('leaves networkmode out when no network is asked for (the engine default)', async () => {
    const query = await buildWith(undefined);
    assert.equal(query.get('t'), 'local-serverless/q:dev');
    assert.equal(query.has('networkmode'), false);
  });
});
