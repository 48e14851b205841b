import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { describeFunction } from '../../src/core/functionSpec';
import { DockerEngine } from '../../src/engine/dockerEngine';
import type { GatewayHandle } from '../../src/services/gatewayTypes';
import { FunctionRegistry } from '../../src/services/functionRegistry';
import type { OutputSink } from '../../src/services/functionRunner';

/** Behaves as a VS Code OutputChannel does after dispose: writing to it throws "Channel has been closed". */
class Channel implements OutputSink {
  text = '';
  disposed = false;
  constructor(readonly name: string) {}
  append(text: string): void {
    if (this.disposed) throw new Error('Channel has been closed');
    this.text += text;
  }
  appendLine(text: string): void {
    this.append(text + '\n');
  }
  dispose(): void {
    this.disposed = true;
  }
}

/** Stands in for FunctionOutputChannels (which needs VS Code): one channel per name, made on first use. */
class Channels {
  readonly made: Channel[] = [];
  private readonly open = new Map<string, Channel>();
  get(name: string): Channel {
    let channel = this.open.get(name);
    if (!channel) this.made.push(channel = new Channel(name));
    this.open.set(name, channel);
    return channel;
  }
  release(name: string): void {
    this.open.get(name)?.dispose();
    this.open.delete(name);
  }
}

const ROOT = path.resolve('/workspace');
const spec = (folder: string, name?: string) => describeFunction({
  folder: path.join(ROOT, folder),
  dockerfileText: 'FROM node:20\n',
  configText: name ? JSON.stringify({ name }) : undefined,
});

function registryWith(channels: Channels): FunctionRegistry {
  // Nothing here reaches an engine: no function was built or run.
  const engine = new DockerEngine({ host: 'unix:///nonexistent/docker.sock', source: 'unit test' });
  // Nor does anything reach the gateway: it routes nothing that was never run.
  const gateway: GatewayHandle = {
    origin: 'http://127.0.0.1:1', port: 1, alsoListeningOn: [], setFunction: () => undefined, removeFunction: () => undefined, startFailed: () => undefined, startsDeclined: () => undefined,
    onMessage: () => ({ dispose: () => undefined }), close: async () => undefined,
  };
  return new FunctionRegistry(engine, 'ws', (name) => channels.get(name), gateway, { releaseOutput: (name) => channels.release(name) });
}

describe('FunctionRegistry: output channels of removed functions', () => {
  it('disposes the channel of a function that is gone, and keeps the others', () => {
    const channels = new Channels();
    const registry = registryWith(channels);
    registry.setSpecs([spec('a'), spec('b')]);
    channels.get('a').appendLine('log of a');
    channels.get('b').appendLine('log of b');
    registry.setSpecs([spec('b')]);
    assert.equal(registry.get('a'), undefined);
    assert.deepEqual(channels.made.map((c) => [c.name, c.disposed]), [['a', true], ['b', false]]);
    registry.dispose();
  });

  it('disposes the old name\'s channel when a function is renamed in fn.json', () => {
    const channels = new Channels();
    const registry = registryWith(channels);
    registry.setSpecs([spec('a', 'before')]);
    channels.get('before').appendLine('log');
    registry.setSpecs([spec('a', 'after')]);
    assert.deepEqual(registry.functions.map((r) => r.spec.name), ['after']);
    assert.equal(channels.made.find((c) => c.name === 'before')?.disposed, true);
    registry.dispose();
  });

  it('keeps the channel of a function that is still there, across any number of discoveries', () => {
    const channels = new Channels();
    const registry = registryWith(channels);
    registry.setSpecs([spec('a')]);
    const channel = channels.get('a');
    registry.setSpecs([spec('a')]);
    registry.setSpecs([spec('a')]);
    assert.equal(channel.disposed, false);
    assert.equal(channels.get('a'), channel);
    registry.dispose();
  });
});
