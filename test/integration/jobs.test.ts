import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { listContextFiles } from '../../src/core/buildContext';
import { CancelledError } from '../../src/core/errors';
import type { FunctionSpec } from '../../src/core/functionSpec';
import { describeJobResult, mayBeJob } from '../../src/core/jobs';
import { imageTag, LABEL_KIND, LABEL_OWNER } from '../../src/core/names';
import { contentDigest } from '../../src/core/contentDigest';
import { planBuild, planJob, planRun } from '../../src/core/plan';
import type { DockerEngine } from '../../src/engine/dockerEngine';
import type { ContainerInfo } from '../../src/engine/engine';
import { runJob } from '../../src/services/jobRunner';
import { readSpec, realEngine, RecordingSink, tempWorkspace, type TempWorkspace } from './fixtures';

/** Each test is bounded; none asserts a time. */
const BOUND = { timeout: 60_000 };

describe('one-shot jobs on the real engine', () => {
  let engine: DockerEngine;
  let ws: TempWorkspace;
  const built: string[] = [];

  before(async () => {
    engine = realEngine();
    ws = await tempWorkspace();
  });
  after(async () => {
    await ws.cleanup(engine);
    for (const tag of built) await engine.removeImage(tag);
  });

  /** Writes a function folder with `dockerfile` (and `files`), builds its image as Build and Run does, and describes it. */
  async function buildFunction(name: string, dockerfile: string, files: Record<string, string> = {}): Promise<FunctionSpec> {
    const folder = path.join(ws.root, name);
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, 'Dockerfile'), dockerfile);
    for (const [file, content] of Object.entries(files)) await fs.writeFile(path.join(folder, file), content);
    const spec = await readSpec(folder);
    const context = await listContextFiles(folder, 'Dockerfile');
    await engine.build(planBuild(spec, ws.ownerId, context, await contentDigest({ folder, files: context, dockerfile: 'Dockerfile' })), () => undefined);
    built.push(imageTag(spec.name, ws.ownerId));
    return spec;
  }

  const containersOfJobs = () => engine.list({ [LABEL_OWNER]: ws.ownerId, [LABEL_KIND]: 'job' });
  const containersOfWorkspace = () => engine.list({ [LABEL_OWNER]: ws.ownerId });

  test('a job that prints and exits 0: exit code 0, its output (stdout and stderr) in the channel, its container gone', BOUND, async () => {
    const spec = await buildFunction('hello-job', 'FROM python:3.11-slim\n'
      + 'CMD ["python", "-c", "import sys; print(\'hello from the job\'); print(\'a warning\', file=sys.stderr)"]\n');
    assert.equal(mayBeJob(spec), true, 'no EXPOSE, no fn.json port');
    const sink = new RecordingSink();
    const result = await runJob(engine, planJob(spec, ws.ownerId), sink, { prefix: '[job] ' });
    assert.equal(result.exitCode, 0);
    assert.match(describeJobResult(result), /^completed in .+ \(exit 0\)$/);
    // Printed at once, before anyone could attach after the start: attached before start, nothing lost.
    assert.match(sink.text, /^\[job\] hello from the job$/m);
    assert.match(sink.text, /^\[job\] a warning$/m);
    assert.match(result.output, /^hello from the job$/m, 'the result keeps the output, without the prefix');
    assert.deepEqual(await containersOfWorkspace(), [], 'a finished job leaves no container behind');
  });

  test('a job that exits 3: exit code 3, "failed (exit 3)", its last words in the channel, its container gone', BOUND, async () => {
    const spec = await buildFunction('failing-job', 'FROM python:3.11-slim\n'
      + 'CMD ["python", "-c", "print(\'giving up\'); raise SystemExit(3)"]\n');
    const sink = new RecordingSink();
    const result = await runJob(engine, planJob(spec, ws.ownerId), sink);
    assert.equal(result.exitCode, 3);
    assert.equal(describeJobResult(result), 'failed (exit 3)');
    assert.match(sink.text, /giving up/);
    assert.deepEqual(await containersOfJobs(), []);
  });

  test('Invoke\'s payload reaches the job on stdin byte for byte, large or small; without one, stdin is empty at once', BOUND, async () => {
    const spec = await buildFunction('echo-job', 'FROM node:20-bookworm-slim\nWORKDIR /app\nCOPY echo.js .\nCMD ["node", "echo.js"]\n', {
      'echo.js': [
        'const chunks = [];',
        "process.stdin.on('data', (c) => chunks.push(c)).on('end', () => {",
        '  const data = Buffer.concat(chunks);',
        "  const digest = require('node:crypto').createHash('sha256').update(data).digest('hex');",
        "  console.log(`got ${data.length} bytes sha256 ${digest}`);",
        '  if (data.length < 1000) process.stdout.write(data);',
        '});',
      ].join('\n'),
    });
    const small = '{"greeting":"héllo ✓","n":12345678901234567890}';
    const smallRun = await runJob(engine, planJob(spec, ws.ownerId), new RecordingSink(), { payload: small });
    assert.equal(smallRun.exitCode, 0);
    assert.equal(smallRun.output, `got ${Buffer.byteLength(small)} bytes sha256 ${sha256(small)}\n${small}`, 'echoed exactly: no HTTP framing, nothing added or lost');

    // Well past Linux's 128 KiB limit for one environment variable and a pipe's 64 KiB buffer.
    const large = JSON.stringify({ items: Array.from({ length: 20_000 }, (_, i) => ({ i, text: `item ${i} ✓` })) });
    assert.ok(Buffer.byteLength(large) > 400_000);
    const largeRun = await runJob(engine, planJob(spec, ws.ownerId), new RecordingSink(), { payload: Buffer.from(large) });
    assert.equal(largeRun.output, `got ${Buffer.byteLength(large)} bytes sha256 ${sha256(large)}\n`);

    const noPayload = await runJob(engine, planJob(spec, ws.ownerId), new RecordingSink());
    assert.equal(noPayload.output, `got 0 bytes sha256 ${sha256('')}\n`, 'a job reading stdin gets end of file, it does not wait');
    assert.deepEqual(await containersOfJobs(), []);
  });

  test('cancelling a job midway removes its container at once, without waiting for the job to end', BOUND, async () => {
    const spec = await buildFunction('sleepy-job', 'FROM python:3.11-slim\n'
      + 'CMD ["python", "-c", "import time; print(\'started\', flush=True); time.sleep(30); print(\'finished\')"]\n');
    const sink = new RecordingSink();
    const controller = new AbortController();
    const running = runJob(engine, planJob(spec, ws.ownerId), sink, { signal: controller.signal });
    await sink.waitFor(/started/, 20_000);
    assert.equal((await containersOfJobs()).filter((c) => c.running).length, 1, 'the job runs in its own container');
    controller.abort();
    // It settles long before the job's 30 s sleep would end (the test's bound would fail it otherwise).
    await assert.rejects(running, CancelledError);
    assert.deepEqual(await containersOfJobs(), [], 'removed, not left stopped');
    assert.doesNotMatch(sink.text, /finished/);
  });

  test('a service\'s run request run as a job publishes no port', BOUND, async () => {
    const spec = await buildFunction('port-job', 'FROM python:3.11-slim\nCMD ["python", "-c", "import time; print(\'up\', flush=True); time.sleep(3)"]\n');
    // Looks at the job's container while it runs: as soon as it prints.
    let seen: Promise<ContainerInfo[]> | undefined;
    const sink = new RecordingSink();
    const append = sink.append.bind(sink);
    sink.append = (text) => {
      append(text);
      seen ??= containersOfWorkspace();
    };
    const result = await runJob(engine, planRun(spec, ws.ownerId, 59_999), sink);
    assert.equal(result.exitCode, 0);
    const running = await seen;
    assert.equal(running?.length, 1, 'seen while it ran');
    assert.equal(running[0].hostPort, undefined, 'no port published');
    assert.deepEqual(await containersOfWorkspace(), []);
  });
});

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
