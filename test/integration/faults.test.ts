import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildInvokeRequest, sendInvoke } from '../../src/core/invoke';
import { imageTag, LABEL_OWNER } from '../../src/core/names';

import { DockerEngine } from '../../src/engine/dockerEngine';
import { EngineUnavailableError } from '../../src/engine/engine';
import { withEngineAdvice } from '../../src/ui/engineAdvice';
import { english } from '../support/english';
import { FunctionRegistry } from '../../src/services/functionRegistry';
import { isProcessAlive } from '../../src/services/orphanReaper';
import { EngineSocketProxy, ON_PODMAN, readSpec, realEngine, RecordingSink, scaffold, tempWorkspace, TestGateway, until } from './fixtures';

/** Every function in this file is reached through a real gateway, as in VS Code. */
let gateway: TestGateway;
before(async () => {
  gateway = await TestGateway.start();
});
after(() => gateway.close());

/** The pid of the dockerd that scripts/setup-docker.sh started, when it runs. */
function dockerdOfOurs(): number | undefined {
  try {
    const pid = Number(readFileSync('/var/run/local-serverless-dockerd.pid', 'utf8').trim());
    return pid && isProcessAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function startDockerd(): void {
  execFileSync('bash', [path.resolve(__dirname, '../../../scripts/setup-docker.sh')], { stdio: 'ignore', timeout: 60_000 });
}

describe('faults against the real Docker engine', () => {
  let engine: DockerEngine;
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;

  before(async () => {
    engine = realEngine();
    ws = await tempWorkspace();
  });
  after(async () => {
    await ws.cleanup(engine);
  });

  test('an engine that goes away shows as unreachable, naming the socket, and the view recovers when it is back', async () => {
    const proxy = new EngineSocketProxy(path.join(os.tmpdir(), `ls-engine-${process.pid}.sock`));
    await proxy.open();
    const proxied = new DockerEngine({ host: `unix://${proxy.socketPath}`, source: 'test proxy' });
    const registry = new FunctionRegistry(proxied, ws.ownerId, () => new RecordingSink(), gateway.handle);
    try {
      assert.equal((await registry.connect()).kind, 'available');
      await proxy.close();
      const noticed = await until('the unavailable status', () => registry.engineStatus.kind === 'unavailable', 5_000);
      const status = registry.engineStatus;
      assert.ok(status.kind === 'unavailable' && status.message.includes(proxy.socketPath), `message names the socket: ${JSON.stringify(status)}`);
      assert.equal(status.kind === 'unavailable' && status.reason, 'unreachable', 'the view adds its advice (Start Docker, Retry) for this reason');
      console.log(`    engine loss noticed after ${noticed} ms`);
      await proxy.open();
      const recovered = await until('the engine to be available again', () => registry.engineStatus.kind === 'available', 10_000);
      console.log(`    recovered ${recovered} ms after the engine came back`);
    } finally {
      await registry.disposeAsync();
      await proxy.close();
    }
  });

  test('the real dockerd stopped and started again: the view says so, recovers by itself, and the function runs again', { skip: ON_PODMAN ? 'runs against Podman: stopping dockerd says nothing about this engine' : dockerdOfOurs() ? false : 'dockerd was not started by scripts/setup-docker.sh, so the test may not stop it' }, async () => {
    const out = new RecordingSink();
    const registry = new FunctionRegistry(engine, ws.ownerId, () => out, gateway.handle);
    try {
      registry.setSpecs([await scaffold(ws.root, 'node', 'survivor')]);
      await registry.connect();
      const runner = registry.get('survivor')!;
      await runner.buildAndRun();

      const pid = dockerdOfOurs()!;
      process.kill(pid, 'SIGTERM');
      await until('dockerd to exit', () => !isProcessAlive(pid), 30_000);
      await until('the unavailable status', () => registry.engineStatus.kind === 'unavailable', 5_000);
      const status = registry.engineStatus;
      assert.ok(status.kind === 'unavailable' && status.message.includes('/var/run/docker.sock'), `names the socket: ${JSON.stringify(status)}`);
      assert.notEqual(runner.state.kind, 'running', 'the function is not shown as running while its engine is gone');

      startDockerd();
      const recovered = await until('the engine to be available again', () => registry.engineStatus.kind === 'available', 15_000);
      console.log(`    view recovered ${recovered} ms after dockerd answered again`);
      const url = await runner.buildAndRun();
      assert.equal((await sendInvoke(buildInvokeRequest(url, { method: 'POST', path: '/' }, '{"name":"back"}', 5))).status, 200);
      assert.equal((await engine.list({ [LABEL_OWNER]: ws.ownerId })).filter((c) => c.labels['local-serverless.function'] === 'survivor').length, 1, 'one container, not a duplicate');
    } finally {
      await registry.disposeAsync();
      // Whatever failed above, the tests after this one need their engine.
      if (!dockerdOfOurs()) startDockerd();
    }
  });

  test('a missing socket fails fast with a message saying where and what to do', async () => {
    const missing = new DockerEngine({ host: 'unix:///nonexistent/docker.sock', source: 'test' });
    const started = Date.now();
    await assert.rejects(missing.ping(), (error: Error) => {
      assert.ok(error instanceof EngineUnavailableError && error.reason === 'unreachable');
      // The engine says what happened; the UI adds what to do.
      assert.match(withEngineAdvice(error, english), /^No Docker engine answered at unix:\/\/\/nonexistent\/docker\.sock \(test\) \(ENOENT\)\. Start Docker .*then Retry\.$/);
      return true;
    });
    assert.ok(Date.now() - started < 1000);
  });

  test('a container removed outside VS Code shows as stopped within a second', async () => {
    const registry = new FunctionRegistry(engine, ws.ownerId, () => new RecordingSink(), gateway.handle);
    try {
      registry.setSpecs([await scaffold(ws.root, 'node', 'removed-outside')]);
      await registry.connect();
      const runner = registry.get('removed-outside')!;
      await runner.buildAndRun();
      const id = runner.state.kind === 'running' ? runner.state.containerId : '';
      execFileSync('docker', ['rm', '-f', id]);
      const ms = await until('the stopped state', () => runner.state.kind === 'stopped', 1_000);
      console.log(`    shown as stopped ${ms} ms after docker rm -f returned`);
    } finally {
      await registry.disposeAsync();
    }
  });

  test('after a reload (a new registry), running containers are adopted by label, not duplicated', async () => {
    const first = new FunctionRegistry(engine, ws.ownerId, () => new RecordingSink(), gateway.handle);
    const spec = await scaffold(ws.root, 'python', 'adopted');
    first.setSpecs([spec]);
    await first.connect();
    const url = await first.get('adopted')!.buildAndRun();
    // A quiet function: nothing printed from here on. (Podman answers a log follow only once the
    // container prints, so adoption must not wait for that answer.)
    await new Promise((r) => setTimeout(r, 1_500));
    // Simulate a crash: the old registry goes without removing its containers.
    const out = new RecordingSink();
    const second = new FunctionRegistry(engine, ws.ownerId, () => out, gateway.handle);
    try {
      second.setSpecs([spec]);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([second.connect(), new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('connecting hung while adopting a quiet container')), 10_000); })]);
      clearTimeout(timer);
      const runner = second.get('adopted')!;
      assert.equal(runner.state.kind, 'running');
      assert.equal(runner.url, url);
      assert.equal((await engine.list({ [LABEL_OWNER]: ws.ownerId })).filter((c) => c.labels['local-serverless.function'] === 'adopted').length, 1);
      await sendInvoke(buildInvokeRequest(url, { method: 'POST', path: '/' }, '{"name":"again"}', 5));
      await out.waitFor(/adopted: POST \//); // logs flow into the new channel
    } finally {
      await second.disposeAsync();
      await first.disposeAsync(); // its container is already gone; this stops its event stream
    }
  });

  test('a hostPort left in fn.json is ignored with a warning: the function runs at its gateway URL, and the port stays free', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const folder = (await scaffold(ws.root, 'node', 'pinned')).folder;
      const config = JSON.parse(await fs.readFile(path.join(folder, 'fn.json'), 'utf8')) as object;
      await fs.writeFile(path.join(folder, 'fn.json'), JSON.stringify({ ...config, hostPort: port }));
      const spec = await readSpec(folder);
      assert.match(spec.warnings[0]?.message ?? '', /"hostPort" is ignored/);
      const runner = gateway.runner(spec, engine, ws.ownerId, new RecordingSink());
      const url = await runner.buildAndRun();
      assert.equal(url, `${gateway.handle.origin}/pinned`);
      assert.equal((await sendInvoke(buildInvokeRequest(url, { method: 'POST', path: '/' }, '{"name":"p"}', 5))).status, 200);
      await runner.stop();
    } finally {
      blocker.close();
    }
  });

  test('env and envFile reach the container; envFile values never appear in the output', async () => {
    const spec = await scaffold(ws.root, 'node', 'secretive');
    await fs.writeFile(path.join(spec.folder, '.env'), 'API_TOKEN="tok-7f3a9c2e-do-not-log" # from the vault\n');
    await fs.writeFile(path.join(spec.folder, 'fn.json'), JSON.stringify({ envFile: '.env', env: { GREETING: 'hi' }, memoryMb: 128, cpus: 0.5 }));
    await fs.writeFile(path.join(spec.folder, 'handler.js'), 'exports.handler = async () => ({ token: process.env.API_TOKEN, greeting: process.env.GREETING });\n');
    const out = new RecordingSink();
    const runner = gateway.runner(await readSpec(spec.folder), engine, ws.ownerId, out);
    const url = await runner.buildAndRun();
    const reply = await sendInvoke(buildInvokeRequest(url, { method: 'POST', path: '/' }, '{}', 5));
    assert.deepEqual(reply.json, { token: 'tok-7f3a9c2e-do-not-log', greeting: 'hi' });
    const info = execFileSync('docker', ['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}', runner.state.kind === 'running' ? runner.state.containerId : ''], { encoding: 'utf8' });
    assert.equal(info.trim(), `${128 * 1024 * 1024} ${0.5e9}`);
    assert.ok(!out.text.includes('tok-7f3a9c2e-do-not-log'), 'the secret is not in the output channel');
    assert.match(out.text, /env .*API_TOKEN/, 'names are shown, values are not');
    await runner.stop();
  });

  test('an envFile outside the workspace (a path, or a committed link) is refused before anything builds or runs', async () => {
    const spec = await scaffold(ws.root, 'node', 'exfiltrate');
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-outside-'));
    try {
      await fs.writeFile(path.join(outside, 'credentials'), 'AWS_SECRET_ACCESS_KEY=outside-7c1d\n');
      await fs.symlink(path.join(outside, 'credentials'), path.join(spec.folder, '.env'));
      for (const envFile of [path.join(outside, 'credentials'), '.env']) {
        await fs.writeFile(path.join(spec.folder, 'fn.json'), JSON.stringify({ envFile }));
        const out = new RecordingSink();
        const runner = gateway.runner({ ...(await readSpec(spec.folder)), workspaceFolder: ws.root }, engine, ws.ownerId, out);
        await assert.rejects(runner.buildAndRun(), /outside the workspace folder \(after following links\): move the file into the workspace/);
        assert.deepEqual(await engine.list({ [LABEL_OWNER]: ws.ownerId, 'local-serverless.function': 'exfiltrate' }), [], `nothing runs for envFile ${envFile}`);
        assert.equal(await engine.imageLabels(imageTag('exfiltrate', ws.ownerId)), undefined, 'nothing was built');
        assert.ok(!out.text.includes('outside-7c1d'));
      }
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });

  test('the env file is never baked into the image, even when .dockerignore does not list it and the Dockerfile copies everything', async () => {
    const spec = await scaffold(ws.root, 'node', 'baked');
    await fs.writeFile(path.join(spec.folder, 'secrets.env'), 'API_TOKEN=tok-in-layer\n');
    await fs.writeFile(path.join(spec.folder, 'fn.json'), JSON.stringify({ envFile: 'secrets.env' }));
    const runner = gateway.runner(await readSpec(spec.folder), engine, ws.ownerId, new RecordingSink());
    const url = await runner.buildAndRun();
    assert.equal((await sendInvoke(buildInvokeRequest(url, { method: 'POST', path: '/' }, '{}', 5))).status, 200);
    const files = execFileSync('docker', ['run', '--rm', '--entrypoint', 'ls', imageTag('baked', ws.ownerId), '-a', '/app'], { encoding: 'utf8' });
    assert.match(files, /handler\.js/, 'COPY . . did copy the code');
    assert.doesNotMatch(files, /secrets\.env/);
    await runner.stop();
  });

  test('an existing project with no fn.json runs on the port its EXPOSE names, and a one-shot job shows its exit code and output', async () => {
    const app = path.join(ws.root, 'existing');
    await fs.cp(path.resolve(__dirname, '../../../examples/existing-python-app'), app, { recursive: true });
    const spec = await readSpec(app);
    assert.equal(spec.port, 8000);
    const runner = gateway.runner(spec, engine, ws.ownerId, new RecordingSink());
    const url = await runner.buildAndRun();
    assert.deepEqual((await sendInvoke(buildInvokeRequest(url, { method: 'POST', path: '/' }, '{"a":1}', 5))).json, { echo: { a: 1 }, service: 'existing-python-app' });
    await runner.stop();

    const job = path.join(ws.root, 'job');
    await fs.mkdir(job);
    await fs.writeFile(path.join(job, 'Dockerfile'), 'FROM python:3.11-slim\nCMD ["python", "-c", "print(\'job done\'); raise SystemExit(3)"]\n');
    const out = new RecordingSink();
    const jobRunner = gateway.runner(await readSpec(job), engine, ws.ownerId, out);
    await assert.rejects(jobRunner.buildAndRun(), /job failed \(exit 3\)/);
    assert.deepEqual(jobRunner.state.kind === 'job' && jobRunner.state.last?.exitCode, 3, 'a job that failed, not a broken server');
    await out.waitFor(/job done/);
    assert.deepEqual(await engine.list({ [LABEL_OWNER]: ws.ownerId, 'local-serverless.function': 'job' }), [], 'its container is removed once its output is in the channel');
  });

  test('Clean Up removes every container and image tag of the workspace', async () => {
    const registry = new FunctionRegistry(engine, ws.ownerId, () => new RecordingSink(), gateway.handle);
    try {
      registry.setSpecs([await scaffold(ws.root, 'node', 'to-clean')]);
      await registry.connect();
      await registry.get('to-clean')!.buildAndRun();
      const removed = await registry.cleanUp();
      assert.ok(removed.containers >= 1 && removed.images >= 1, JSON.stringify(removed));
      assert.deepEqual(await engine.list({ [LABEL_OWNER]: ws.ownerId }), []);
      assert.equal(await engine.imageLabels(imageTag('to-clean', ws.ownerId)), undefined);
      assert.equal(registry.get('to-clean')!.state.kind, 'notBuilt');
    } finally {
      await registry.disposeAsync();
    }
  });

});
