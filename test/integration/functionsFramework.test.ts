import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FunctionSpec } from '../../src/core/functionSpec';
import { imageTag } from '../../src/core/names';
import type { DockerEngine } from '../../src/engine/dockerEngine';
import type { FunctionRunner, RunnerOptions } from '../../src/services/functionRunner';
import { NpmTarballProxy, npmRegistryReachable } from '../support/npmTarballProxy';
import { post, readSpec, realEngine, RecordingSink, type Reply, scaffold, tempWorkspace, type TempWorkspace, TestGateway } from './fixtures';

/**
 * The Node.js CloudEvents template as New Function writes it, built by the template's own Dockerfile
 * (`npm install` in the image) and reached through a real gateway.
 *
 * The builds use the host's network (localServerless.buildNetwork = host). Their `npm install` gets
 * its packages from a tarball proxy on the host's 127.0.0.1 (a lockfile made on the host points there):
 * only a build in the host's network reaches it, and it needs no route from containers to the
 * registry, nor the containers' trust in a TLS-intercepting proxy's CA that only the host has. On the
 * machine this was written on both were missing: a build on either network that asked
 * registry.npmjs.org itself failed after 70 s with SELF_SIGNED_CERT_IN_CHAIN.
 */
const BUILD_NETWORK: RunnerOptions = { buildNetwork: () => 'host' };
/** Each test is bounded; the first includes the only npm install (a few seconds here). */
const BOUND = { timeout: 150_000 };
const REQUEST_TIMEOUT_MS = 15_000;


/** One POST through the gateway, bounded by REQUEST_TIMEOUT_MS. Never throws: a failed request is status 0. */
function send(url: string, headers: Record<string, string>, body: string): Promise<Reply> {
  return post(url, headers, body, REQUEST_TIMEOUT_MS);
}

function json(reply: Reply): unknown {
  assert.equal(reply.status, 200, `status ${reply.status}: ${reply.body}`);
  return JSON.parse(reply.body);
}

describe('Functions Framework functions (Node.js CloudEvents template) built in the host network, through the gateway', () => {
  let engine: DockerEngine;
  let ws: TempWorkspace;
  let gateway: TestGateway;
  let proxy: NpmTarballProxy;
  /** Why the tests cannot run here, when they cannot (said in the skip). */
  let unavailable: string | undefined;
  const runners: FunctionRunner[] = [];
  const images: string[] = [];
  let cloudEvents: { runner: FunctionRunner; out: RecordingSink; folder: string } | undefined;

  before(async () => {
    engine = realEngine();
    await engine.ping();
    ws = await tempWorkspace();
    gateway = await TestGateway.start();
    proxy = await NpmTarballProxy.start();
    if (!(await npmRegistryReachable())) unavailable = 'registry.npmjs.org does not answer from this machine: Functions Framework cannot be installed';
  });
  after(async () => {
    await Promise.all(runners.map((r) => r.disposeAsync()));
    await gateway.close();
    await proxy.close();
    await ws.cleanup(engine);
    for (const tag of images) await engine.removeImage(tag);
  });

  async function start(spec: FunctionSpec, out: RecordingSink): Promise<FunctionRunner> {
    const runner = gateway.runner(spec, engine, ws.ownerId, out, BUILD_NETWORK);
    runners.push(runner);
    images.push(imageTag(spec.name, ws.ownerId));
    await runner.buildAndRun();
    return runner;
  }

  test('the template scaffolded and built: npm install runs in the host network, and binary and structured CloudEvents reach the handler with their attributes and data', BOUND, async (t) => {
    if (unavailable) return t.skip(unavailable);
    const folder = (await scaffold(ws.root, 'node-cloudevents', 'ce')).folder;
    await proxy.lock(folder);
    const out = new RecordingSink();
    const runner = await start(await readSpec(folder), out);
    cloudEvents = { runner, out, folder };
    assert.match(out.text, /^\[build\] ce: building \S+ \(\d+ files in context, host network\)$/m);
    const tarballs = proxy.requested.filter((p) => p.endsWith('.tgz'));
    assert.ok(tarballs.some((p) => p.includes('/functions-framework-5.')), `the image's npm install fetched Functions Framework through the host: ${tarballs.length} tarballs`);
    assert.deepEqual(proxy.requested.filter((p) => !p.endsWith('.tgz')), [], 'the lockfile left npm nothing else to ask');

    const binary = json(await send(`${runner.url}/`, {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'binary-1',
      'ce-type': 'com.example.binary',
      'ce-source': '/tests/binary',
      'ce-subject': 'subject-b',
      'ce-myext': 'extension value',
    }, JSON.stringify({ name: 'Binary', list: [1, 2, 3] })));
    assert.deepEqual(binary, {
      message: 'Hello, Binary!',
      from: 'ce',
      attributes: { specversion: '1.0', id: 'binary-1', type: 'com.example.binary', source: '/tests/binary', subject: 'subject-b', myext: 'extension value' },
      data: { name: 'Binary', list: [1, 2, 3] },
    });
    await out.waitFor(/^\[ce-1\] ce: com\.example\.binary from \/tests\/binary \(id binary-1, subject subject-b\)$/m);

    const structured = json(await send(`${runner.url}/`, { 'content-type': 'application/cloudevents+json' }, JSON.stringify({
      specversion: '1.0',
      id: 'structured-1',
      type: 'com.example.structured',
      source: '/tests/structured',
      subject: 'subject-s',
      myext: 'in the body',
      datacontenttype: 'application/json',
      data: { name: 'Structured' },
    })));
    assert.deepEqual(structured, {
      message: 'Hello, Structured!',
      from: 'ce',
      attributes: { specversion: '1.0', id: 'structured-1', type: 'com.example.structured', source: '/tests/structured', subject: 'subject-s', myext: 'in the body', datacontenttype: 'application/json' },
      data: { name: 'Structured' },
    });
    await out.waitFor(/^\[ce-1\] ce: com\.example\.structured from \/tests\/structured \(id structured-1, subject subject-s\)$/m);
  });

  test('a saved index.js syncs into the running container and restarts it (Functions Framework does not reload on SIGHUP), and the new code answers', BOUND, async (t) => {
    if (unavailable) return t.skip(unavailable);
    assert.ok(cloudEvents, 'the CloudEvents function was built by the test before');
    const { runner, out, folder } = cloudEvents;
    const index = path.join(folder, 'index.js');
    await fs.writeFile(index, (await fs.readFile(index, 'utf8')).replace('`Hello, ${', '`Howdy, ${'));
    await runner.applyChanges([{ path: 'index.js', kind: 'change' }]);
    assert.match(out.text, /↻ index\.js changed → sync \(1 file\(s\) copied, container restarted\)/);
    const reply = json(await send(`${runner.url}/`, {
      'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': 'after-sync', 'ce-type': 'com.example.sync', 'ce-source': '/tests/sync',
    }, JSON.stringify({ name: 'Sync' }))) as { message: string };
    assert.equal(reply.message, 'Howdy, Sync!');
  });

  test('a Functions Framework function with the http signature (same package.json and lockfile, so the install layer is reused) replies to a plain JSON POST', BOUND, async (t) => {
    if (unavailable) return t.skip(unavailable);
    assert.ok(cloudEvents, 'the CloudEvents function was built by the test before');
    const folder = path.join(ws.root, 'ffhttp');
    await fs.mkdir(folder);
    // The dependency layer's inputs are the same bytes as the CloudEvents function's: its cache applies.
    for (const file of ['package.json', 'package-lock.json', '.dockerignore']) await fs.copyFile(path.join(cloudEvents.folder, file), path.join(folder, file));
    const dockerfile = await fs.readFile(path.join(cloudEvents.folder, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /--signature-type=cloudevent/);
    await fs.writeFile(path.join(folder, 'Dockerfile'), dockerfile.replace('--signature-type=cloudevent', '--signature-type=http'));
    await fs.writeFile(path.join(folder, 'index.js'), [
      "'use strict';",
      "const functions = require('@google-cloud/functions-framework');",
      "functions.http('handler', (req, res) => {",
      "  console.log(`ffhttp: ${req.method} ${req.path} ${req.get('content-type')}`);",
      '  res.json({ got: req.body });',
      '});',
      '',
    ].join('\n'));
    await fs.writeFile(path.join(folder, 'fn.json'), JSON.stringify({ name: 'ffhttp', port: 8080, protocol: 'functions-framework', signatureType: 'http', sync: ['**/*.js'], rebuild: ['Dockerfile', 'package*.json', '.dockerignore'] }, null, 2));

    const fetchedBefore = proxy.requested.length;
    const out = new RecordingSink();
    const runner = await start(await readSpec(folder), out);
    assert.equal(proxy.requested.length, fetchedBefore, `the install layer came from the cache: no tarball fetched again\n${out.text}`);

    const payload = { hello: 'world', nested: { n: 1, flag: true } };
    assert.deepEqual(json(await send(`${runner.url}/`, { 'content-type': 'application/json' }, JSON.stringify(payload))), { got: payload });
    await out.waitFor(/^\[ffhttp-1\] ffhttp: POST \/ application\/json$/m);
  });
});
