import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeFunction, type FunctionSpec } from '../../src/core/functionSpec';
import { LABEL_OWNER, ownerId } from '../../src/core/names';
import { loadTemplate, renderTemplate } from '../../src/core/scaffold';
import { DockerEngine } from '../../src/engine/dockerEngine';
import { defaultEndpointInputs, resolveEndpoint } from '../../src/engine/endpoint';
import { FunctionRunner, type OutputSink, type RunnerOptions } from '../../src/services/functionRunner';
import { bridgeAddress, instanceEnvFor } from '../../src/services/gatewayAddress';
import { startGatewayInThread } from '../../src/services/gatewayClient';
import type { GatewayHandle } from '../../src/services/gatewayTypes';
import { GatewayRouting } from '../../src/services/routing';
import { poll } from '../support/poll';

export const TEMPLATES = path.resolve(__dirname, '../../../templates');

export function realEngine(): DockerEngine {
  return new DockerEngine(resolveEndpoint(defaultEndpointInputs(undefined)));
}

/**
 * The tier runs against Podman's Docker-compatible socket too (scripts/test.sh, integration-podman):
 * tests about dockerd itself skip there, saying so.
 */
export const ON_PODMAN = /podman/i.test(resolveEndpoint(defaultEndpointInputs(undefined)).host);

export interface TempWorkspace {
  root: string;
  /** The owner id of one VS Code instance on this folder. */
  ownerId: string;
  /** The owner id of another instance on the same folder (Insiders, code-server, a dev container): `instance` tells them apart. */
  ownerIdFor(instance: string): string;
  /** Removes the containers of every owner handed out, and the folder. */
  cleanup(engine: DockerEngine): Promise<void>;
}

/** A throwaway workspace folder whose containers are removed by `cleanup`. */
export async function tempWorkspace(): Promise<TempWorkspace> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-it-'));
  const owners = new Set<string>();
  const ownerIdFor = (instance: string) => {
    const id = ownerId({ folder: root, uriScheme: 'vscode', remoteName: '', globalStoragePath: path.join(os.tmpdir(), instance, 'globalStorage'), host: '' });
    owners.add(id);
    return id;
  };
  return {
    root,
    ownerId: ownerIdFor('first'),
    ownerIdFor,
    cleanup: async (engine) => {
      for (const owner of owners) {
        for (const c of await engine.list({ [LABEL_OWNER]: owner })) await engine.remove(c.id);
      }
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}


/** Writes a function from a real template into the workspace and describes it as discovery would. */
export async function scaffold(root: string, runtime: 'node' | 'node-cloudevents' | 'python', name: string): Promise<FunctionSpec> {
  const folder = path.join(root, name);
  for (const file of renderTemplate(await loadTemplate(TEMPLATES, runtime), { name, port: 8080 })) {
    await fs.mkdir(path.dirname(path.join(folder, file.relativePath)), { recursive: true });
    await fs.writeFile(path.join(folder, file.relativePath), file.content);
  }
  return readSpec(folder);
}

/**
 * A Node function from the template whose handler sleeps `sleepMs` before answering (0: the template's
 * handler as it is), with `scale` in fn.json.
 */
export async function scaledFunction(root: string, name: string, scale: object, sleepMs: number): Promise<string> {
  const spec = await scaffold(root, 'node', name);
  const handler = path.join(spec.folder, 'handler.js');
  if (sleepMs > 0) await fs.writeFile(handler, (await fs.readFile(handler, 'utf8')).replace('exports.handler = async (event, context) => {', `exports.handler = async (event, context) => {\n  await new Promise((r) => setTimeout(r, ${sleepMs}));`));
  const config = JSON.parse(await fs.readFile(path.join(spec.folder, 'fn.json'), 'utf8')) as Record<string, unknown>;
  await fs.writeFile(path.join(spec.folder, 'fn.json'), JSON.stringify({ ...config, scale, timeoutSeconds: 20 }));
  return spec.folder;
}

export async function readSpec(folder: string): Promise<FunctionSpec> {
  const dockerfileText = await fs.readFile(path.join(folder, 'Dockerfile'), 'utf8');
  const configText = await fs.readFile(path.join(folder, 'fn.json'), 'utf8').catch(() => undefined);
  return describeFunction({ folder, dockerfileText, configText });
}

/** Collects what a function writes to its output channel. */
export class RecordingSink implements OutputSink {
  text = '';
  append(text: string): void {
    this.text += text;
  }
  appendLine(text: string): void {
    this.text += text + '\n';
  }
  /** Resolves when `pattern` has appeared, or rejects after `timeoutMs` with what was seen. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    await poll(`output matching ${pattern}`, () => pattern.test(this.text), { timeoutMs, lastSeen: () => this.text });
  }
}

/** Polls `probe` every 20 ms until it holds; resolves with the ms it took, rejects after `timeoutMs`. */
export async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await poll(what, probe, { timeoutMs });
  return Date.now() - started;
}

/**
 * A unix socket that forwards to the real engine's socket: closing it is the engine going away
 * for whoever uses it, opening it again is the engine coming back. The engine itself keeps running.
 */
function engineSocketPath(): string {
  const { host } = resolveEndpoint(defaultEndpointInputs(undefined));
  if (!host.startsWith('unix://')) throw new Error(`the engine socket proxy needs a unix socket engine, not ${host}`);
  return host.slice('unix://'.length);
}

export class EngineSocketProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  /** `target`: the socket of the engine this tier runs against (Docker's, or Podman's in integration-podman). */
  constructor(readonly socketPath: string, private readonly target = engineSocketPath()) {}

  async open(): Promise<void> {
    await fs.rm(this.socketPath, { force: true });
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(this.socketPath, r));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }
}

/**
 * A real gateway (in this thread) for a test file, and runners that publish through it: every
 * request a test sends goes to the function's gateway URL, as a user's does.
 */
export class TestGateway {
  readonly routing: GatewayRouting;
  private readonly runners = new Map<string, FunctionRunner>();

  private constructor(readonly handle: GatewayHandle) {
    this.routing = new GatewayRouting(handle, (name) => this.runners.get(name), instanceEnvFor(handle.alsoListeningOn));
  }

  /** `forContainers`: also on the Docker bridge address, as in VS Code, so functions can call each other. */
  static async start(options: { forContainers?: boolean } = {}): Promise<TestGateway> {
    const bridge = options.forContainers ? bridgeAddress() : undefined;
    return new TestGateway(await startGatewayInThread({ alsoListenOn: bridge ? [bridge] : [] }));
  }

  /** A runner of `spec` whose instances this gateway routes to. */
  runner(spec: FunctionSpec, engine: DockerEngine, owner: string, out: OutputSink, options?: RunnerOptions): FunctionRunner {
    const runner = new FunctionRunner(spec, engine, owner, () => out, this.routing, options);
    this.runners.set(spec.name, runner);
    return runner;
  }

  async close(): Promise<void> {
    this.routing.dispose();
    await this.handle.close();
  }
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One POST, bounded by `timeoutMs`. Never throws: a failed request is status 0, with its error as the body. */
export function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve) => {
    const request = http.request(url, { method: 'POST', headers, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', (error) => resolve({ status: 0, headers: {}, body: String(error) }));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (error) => resolve({ status: 0, headers: {}, body: String(error) }));
    request.end(body);
  });
}

/** A JSON POST (see post). */
export function postJson(url: string, value: unknown, timeoutMs: number): Promise<Reply> {
  return post(url, { 'content-type': 'application/json' }, JSON.stringify(value), timeoutMs);
}
