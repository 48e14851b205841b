import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { poll } from '../support/poll';
import { after, before, describe, test } from 'node:test';
import { imageTag, workspaceId } from '../../src/core/names';
import type { BuildRequest } from '../../src/core/plan';
import { DockerEngine } from '../../src/engine/dockerEngine';
import { ON_PODMAN, realEngine } from './fixtures';

/** This process's open file descriptors on files under `folder` (Linux: /proc/self/fd). */
async function openFilesUnder(folder: string): Promise<string[]> {
  const open: string[] = [];
  for (const fd of await fs.readdir('/proc/self/fd')) {
    const target = await fs.readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(folder + path.sep)) open.push(target);
  }
  return open;
}

/** Closing a file is asynchronous: give it a moment, then say which are still open. */
async function assertNoneOpenUnder(folder: string): Promise<void> {
  let open: string[] = [];
  await poll('build-context files to close', async () => (open = await openFilesUnder(folder)).length === 0, { timeoutMs: 2_000, intervalMs: 50 }).catch(() => undefined);
  assert.deepEqual(open, [], `${open.length} descriptor(s) on build-context files left open`);
}

/**
 * The real engine behind a unix socket that answers BuildKit's `/session` with 404, as Podman's
 * Docker-compatible API and engines without BuildKit do; everything else is passed through.
 */
async function engineWithoutBuildKit(socketPath: string): Promise<http.Server> {
  await fs.rm(socketPath, { force: true });
  const server = http.createServer((req, res) => {
    if (/^(\/v[\d.]+)?\/session\b/.test(req.url ?? '')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"page not found"}\n');
      return;
    }
    const upstream = http.request({ socketPath: '/var/run/docker.sock', method: req.method, path: req.url, headers: req.headers }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return server;
}

/**
 * The build context and the files a sync copies are tar streams read from the function's folder.
 * Whatever way a build or copy ends, their files must be closed: a long session of failing saves
 * must not run the extension host out of file descriptors, nor keep deleted files alive.
 */
describe('engine: build-context and copy streams are closed on every path', () => {
  let root: string;
  let engine: DockerEngine;
  // Bigger than what a tar stream buffers before someone reads it, so an unread stream holds a file open.
  const files = ['Dockerfile', 'big-1.bin', 'big-2.bin'];
  let tag: string;

  /** A context folder of its own for each test, so one test's leak is not counted against another. */
  async function contextFolder(name: string): Promise<string> {
    const folder = path.join(root, name);
    await fs.mkdir(folder);
    await fs.writeFile(path.join(folder, 'Dockerfile'), 'FROM scratch\nCOPY big-1.bin /\n');
    await fs.writeFile(path.join(folder, 'Dockerfile.fails'), 'FROM scratch\nCOPY missing.txt /\n');
    for (const file of ['big-1.bin', 'big-2.bin']) await fs.writeFile(path.join(folder, file), Buffer.alloc(4 * 1024 * 1024, 7));
    return folder;
  }
  const LABELS = { 'local-serverless.test': 'streams' };
  const request = (folder: string, dockerfile: string, imageTag = tag): BuildRequest => ({ contextDir: folder, files, dockerfile, tag: imageTag, labels: LABELS });

  before(async () => {
    root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'ls-streams-')));
    tag = imageTag('streams', workspaceId(root));
    engine = realEngine();
  });

  after(async () => {
    await engine.removeImage(tag);
    await fs.rm(root, { recursive: true, force: true });
  });

  test('a build the engine refuses (BuildKit, then the classic builder) leaves no file open', async () => {
    const folder = await contextFolder('refused');
    for (let i = 0; i < 10; i++) {
      // An invalid tag is refused before the engine reads the context, by both builders.
      await assert.rejects(realEngine().build(request(folder, 'Dockerfile', 'Not A Valid:Tag'), () => undefined));
    }
    await assertNoneOpenUnder(folder);
  });

  test('builds while the engine is away leave no file open', async () => {
    const folder = await contextFolder('away');
    const away = new DockerEngine({ host: 'unix:///nonexistent/docker.sock', source: 'test' });
    for (let i = 0; i < 10; i++) {
      await assert.rejects(away.build(request(folder, 'Dockerfile'), () => undefined), /not reachable|ENOENT/i);
    }
    await assertNoneOpenUnder(folder);
  });

  test('a build on an engine without BuildKit (refused, then the classic builder) leaves no file open', async () => {
    const folder = await contextFolder('no-buildkit');
    const socketPath = path.join(os.tmpdir(), `ls-nobuildkit-${process.pid}.sock`);
    const server = await engineWithoutBuildKit(socketPath);
    try {
      const output: string[] = [];
      const noBuildKit = new DockerEngine({ host: `unix://${socketPath}`, source: 'test proxy' });
      await noBuildKit.build(request(folder, 'Dockerfile'), (text) => output.push(text));
      assert.match(output.join(''), /BuildKit is not available on this engine/);
      // Podman 4.3: the image built through this proxy shows no labels (not investigated yet), so
      // there the content-digest label is missing and Push Image rebuilds before each push.
      if (!ON_PODMAN) assert.equal((await engine.imageLabels(tag))?.['local-serverless.test'], 'streams', 'the classic builder sets the build\'s labels');
      await assertNoneOpenUnder(folder);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a failing build, an aborted build and a successful build leave no file open', async () => {
    const folder = await contextFolder('builds');
    await assert.rejects(engine.build(request(folder, 'Dockerfile.fails'), () => undefined));
    for (const delayMs of [0, 5, 20]) {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), delayMs);
      await engine.build(request(folder, 'Dockerfile'), () => undefined, controller.signal).catch(() => undefined);
    }
    await engine.removeImage(tag);
    await engine.build(request(folder, 'Dockerfile'), () => undefined);
    assert.equal((await engine.imageLabels(tag))?.['local-serverless.test'], 'streams', 'the build sets its labels');
    await assertNoneOpenUnder(folder);
  });

  test('a copy into a container that is gone, or while the engine is away, leaves no file open', async () => {
    const folder = await contextFolder('copy');
    for (let i = 0; i < 10; i++) {
      await assert.rejects(engine.copyInto('0000000000000000000000000000000000000000000000000000000000000000', folder, files, '/'));
    }
    const away = new DockerEngine({ host: 'unix:///nonexistent/docker.sock', source: 'test' });
    for (let i = 0; i < 10; i++) await assert.rejects(away.copyInto('0000', folder, files, '/'));
    await assertNoneOpenUnder(folder);
  });
});
