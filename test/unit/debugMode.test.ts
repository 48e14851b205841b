import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SCALE } from '../../src/core/scaling';
import type { ContainerEngine } from '../../src/engine/engine';
import { DebugMode, type DebugTarget } from '../../src/services/debugMode';
import { Instance } from '../../src/services/instance';

/** Only what DebugMode asks of an engine: where it runs. Nothing here creates a container. */
const localEngine = { remote: undefined } as unknown as ContainerEngine;
const sink = { append: () => undefined, appendLine: () => undefined };

describe('DebugMode: one function\'s Debug Function state', () => {
  it('while on, the function runs exactly one instance, whatever its scale says; off, its own scale again', () => {
    const mode = new DebugMode(localEngine);
    const scale = { ...DEFAULT_SCALE, min: 0, max: 5, concurrency: 2 };
    assert.deepEqual(mode.scale(scale), scale);
    mode.begin({ runtime: 'node', debugpyMounts: [] });
    assert.deepEqual(mode.scale(scale), { ...scale, min: 1, max: 1 });
    mode.end();
    assert.deepEqual(mode.scale(scale), scale);
  });

  it('pauses only while on; Invoke\'s clock hears each change once, and ending it lets the clocks go on', () => {
    const mode = new DebugMode(localEngine);
    const heard: boolean[] = [];
    const stop = mode.pauses.onDidChange((paused) => heard.push(paused));
    assert.equal(mode.setPaused(true), false, 'off: nothing to pause');
    assert.equal(mode.pauses.paused, false);
    mode.begin({ runtime: 'python', debugpyMounts: [] });
    assert.equal(mode.setPaused(true), true);
    assert.equal(mode.setPaused(true), false, 'already paused');
    assert.equal(mode.pauses.paused, true);
    assert.deepEqual(mode.status, { runtime: 'python', paused: true });
    mode.end();
    assert.equal(mode.pauses.paused, false);
    assert.deepEqual(heard, [true, false]);
    stop();
    mode.begin({ runtime: 'python', debugpyMounts: [] });
    mode.setPaused(true);
    assert.deepEqual(heard, [true, false], 'a listener that stopped listening hears nothing more');
  });

  it('the target is the debugged instance once it answers; ending says there is none', () => {
    const mode = new DebugMode(localEngine);
    const instance = new Instance('abc', 31000, 'fn-1', localEngine, sink);
    instance.debug = { hostPort: 42000, restarts: 0 };
    instance.workingDir = '/app';
    assert.equal(mode.target([instance]), undefined, 'off');
    mode.begin({ runtime: 'node', debugpyMounts: [] });
    assert.equal(mode.target([instance]), undefined, 'still starting');
    instance.state = 'ready';
    assert.deepEqual(mode.target([instance]), { runtime: 'node', instanceId: 'abc', hostPort: 42000, workingDir: '/app', restarts: 0 });
    const announced: Array<DebugTarget | undefined> = [];
    mode.onDidChangeTarget((target) => announced.push(target));
    assert.equal(mode.end(), true);
    assert.equal(mode.end(), false, 'already off');
    assert.deepEqual(announced, [undefined]);
  });

  it('a failed start puts back what was on before, unless a newer Debug Function began meanwhile', () => {
    const mode = new DebugMode(localEngine);
    const first = { runtime: 'node' as const, debugpyMounts: [] };
    const second = { runtime: 'node' as const, debugpyMounts: [] };
    const beforeFirst = mode.begin(first);
    mode.restore(first, beforeFirst);
    assert.equal(mode.on, false);
    mode.begin(first);
    const beforeSecond = mode.begin(second);
    mode.restore(first, undefined); // the first one's failure arrives late
    assert.equal(mode.on, true, 'the second one stays on');
    mode.restore(second, beforeSecond);
    assert.deepEqual(mode.status, { runtime: 'node', paused: false });
  });

  it('refuses a Python function on an engine on another machine (debugpy is mounted from this one)', async () => {
    const remote = { remote: { hostname: 'build-box' } } as unknown as ContainerEngine;
    const mode = new DebugMode(remote);
    mode.begin({ runtime: 'python', debugpyMounts: [] });
    const request = { image: 'img', labels: {}, env: {}, init: true as const, containerPort: 8080, hostIp: '127.0.0.1' as const, hostPort: 1 };
    await assert.rejects(mode.planInstance(request, { name: 'fn', env: {} } as never), /needs the engine on this machine.*build-box/);
  });
});
