import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { LABEL_OWNER } from '../../src/core/names';
import { isPortFree } from '../../src/core/ports';
import type { DockerEngine } from '../../src/engine/dockerEngine';
import { FunctionRegistry } from '../../src/services/functionRegistry';
import { identifyProcess, isProcessAlive, OrphanReaper, type ProcessIdentity } from '../../src/services/orphanReaper';
import { EngineSocketProxy, realEngine, RecordingSink, scaffold, tempWorkspace, TestGateway, type TempWorkspace, until } from './fixtures';

const HELPER = path.resolve(__dirname, '../../src/reaper.js');

/** Stands in for VS Code's process, the extension host's parent. */
function startFakeVsCode(): ChildProcess {
  return spawn('sleep', ['300'], { stdio: 'ignore' });
}

/** The helper that currently holds the owner's lock file, as the helpers themselves see it. */
function helperPid(stateDir: string, owner: string): number | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(stateDir, `reaper-${owner}.json`), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

describe('containers are removed when VS Code goes without deactivating the extension', () => {
  let engine: DockerEngine;
  let ws: TempWorkspace;
  let stateDir: string;
  const cleanups: Array<() => unknown> = [];

  before(async () => {
    engine = realEngine();
    ws = await tempWorkspace();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-global-storage-'));
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  after(async () => {
    await ws.cleanup(engine);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  /** A VS Code instance on the shared folder: its own owner id, registry and helper. */
  async function instance(name: string, vscode: ProcessIdentity, engineHost = () => engine.host) {
    const owner = ws.ownerIdFor(name);
    // Each VS Code window has a gateway of its own.
    const windowGateway = await TestGateway.start();
    cleanups.push(() => windowGateway.close());
    const registry = new FunctionRegistry(engine, owner, () => new RecordingSink(), windowGateway.handle);
    const reaper = new OrphanReaper(HELPER, registry, engineHost, stateDir, () => undefined, vscode);
    cleanups.push(async () => {
      reaper.dispose();
      reaper.stopHelper();
      await registry.disposeAsync();
    });
    await registry.connect();
    return { owner, registry, reaper, containers: () => engine.list({ [LABEL_OWNER]: owner }) };
  }

  function fakeVsCode(): ChildProcess {
    const child = startFakeVsCode();
    cleanups.push(() => child.kill('SIGKILL'));
    return child;
  }

  test('while VS Code runs its functions keep running; once its process is gone they are removed and their ports freed, and another instance\'s are not', async () => {
    const vscodeA = fakeVsCode();
    const a = await instance('a', identifyProcess(vscodeA.pid!));
    const b = await instance('b', identifyProcess(fakeVsCode().pid!));
    const spec = await scaffold(ws.root, 'node', 'orphan');
    a.registry.setSpecs([spec]);
    b.registry.setSpecs([spec]);
    await a.registry.get('orphan')!.buildAndRun();
    const urlB = await b.registry.get('orphan')!.buildAndRun();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await a.containers()).filter((c) => c.running).length, 1, 'the helper leaves containers alone while VS Code runs');
    const instancePort = (await a.containers())[0].hostPort!;

    // VS Code A is killed: no deactivate runs (the registry is never disposed here).
    vscodeA.kill('SIGKILL');
    await until('the containers to be removed', async () => (await a.containers()).length === 0, 10_000).catch(() => undefined);
    assert.deepEqual(await a.containers(), [], 'no container left');
    assert.equal(await isPortFree(instancePort), true, 'no port left bound');
    assert.equal((await b.containers()).filter((c) => c.running).length, 1, 'the other instance\'s container still runs');
    assert.equal(b.registry.get('orphan')!.url, urlB);
  });

  test('a live process that got VS Code\'s pid (another start time) does not keep the containers', async () => {
    const stranger = fakeVsCode();
    const { startTime } = identifyProcess(stranger.pid!);
    assert.ok(startTime, 'this platform gives start times');
    // The same pid as the recorded VS Code, started at another time: the pid was reused.
    const a = await instance('reused', { pid: stranger.pid!, startTime: String(Number(startTime) - 100) });
    a.registry.setSpecs([await scaffold(ws.root, 'node', 'reused')]);
    await a.registry.get('reused')!.buildAndRun();
    await until('the containers to be removed', async () => (await a.containers()).length === 0, 10_000).catch(() => undefined);
    assert.deepEqual(await a.containers(), [], 'removed although the pid is alive');
    assert.equal(isProcessAlive(stranger.pid!), true);
  });

  test('with the engine away when VS Code goes, the helper keeps trying and removes the containers once it is back', async () => {
    const proxy = new EngineSocketProxy(path.join(os.tmpdir(), `ls-reaper-engine-${process.pid}.sock`));
    cleanups.push(() => proxy.close());
    const vscode = fakeVsCode();
    // The helper reaches the engine through the proxy; the registry directly, so it can run the function meanwhile.
    const a = await instance('away', identifyProcess(vscode.pid!), () => `unix://${proxy.socketPath}`);
    a.registry.setSpecs([await scaffold(ws.root, 'node', 'away')]);
    await a.registry.get('away')!.buildAndRun();
    await until('the helper to start', () => helperPid(stateDir, a.owner) !== undefined, 5_000);
    const helper = helperPid(stateDir, a.owner)!;

    vscode.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal((await a.containers()).length, 1, 'nothing can be removed while the engine is away');
    assert.equal(isProcessAlive(helper), true, 'the helper has not given up');

    await proxy.open();
    const ms = await until('the containers to be removed', async () => (await a.containers()).length === 0, 15_000).catch(() => undefined);
    assert.deepEqual(await a.containers(), [], 'removed once the engine was back');
    console.log(`    removed ${ms} ms after the engine came back`);
    await until('the helper to exit', () => !isProcessAlive(helper), 5_000);
  });

  test('helpers never pile up: a newer helper for the same owner (an extension host restarted) makes the older one exit', async () => {
    const vscode = fakeVsCode();
    const older = await instance('piles', identifyProcess(vscode.pid!));
    const spec = await scaffold(ws.root, 'node', 'piles');
    older.registry.setSpecs([spec]);
    await older.registry.get('piles')!.buildAndRun();
    await until('the first helper to start', () => helperPid(stateDir, older.owner) !== undefined, 5_000);
    const first = helperPid(stateDir, older.owner)!;

    // The extension host restarts without stopping its helper; the new one adopts the container and starts its own.
    older.reaper.dispose();
    const newer = await instance('piles', identifyProcess(vscode.pid!));
    newer.registry.setSpecs([spec]);
    await newer.registry.connect();
    assert.equal(newer.registry.get('piles')!.state.kind, 'running', 'adopted');
    await until('a second helper to start', () => (helperPid(stateDir, newer.owner) ?? first) !== first, 5_000);
    const second = helperPid(stateDir, newer.owner)!;
    await until('the older helper to exit', () => !isProcessAlive(first), 5_000);
    assert.equal(isProcessAlive(second), true, 'the newer one keeps watching');

    vscode.kill('SIGKILL');
    await until('the containers to be removed', async () => (await newer.containers()).length === 0, 10_000).catch(() => undefined);
    assert.deepEqual(await newer.containers(), []);
  });
});
