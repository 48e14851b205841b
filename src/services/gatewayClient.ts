import { Worker } from 'node:worker_threads';
import { Emitter } from '../core/emitter';
import type { Gateway, GatewayOptions } from './gateway';
import type { GatewayFunction, GatewayHandle, GatewayToHost } from './gatewayTypes';

/**
 * Starting the gateway. It runs in a worker thread of the extension host: its own event loop, so a
 * busy extension host (a build's output, a big tree refresh) never delays a proxied request, while
 * builds, containers and logs stay in the host. The worker's messages are plain data both ways.
 */

export interface GatewayStartOptions {
  /** The port kept for the workspace: taken when free, else another free one (see GatewayHandle.port). */
  preferredPort?: number;
  /** More addresses to listen on, on the same port (e.g. the Docker bridge's gateway address, for containers). */
  alsoListenOn?: readonly string[];
}

/** The host's calls, as the worker receives them. */
export type ToWorker =
  | { op: 'setFunction'; fn: GatewayFunction }
  | { op: 'removeFunction'; name: string }
  | { op: 'startFailed'; name: string; count: number; reason: string }
  | { op: 'startsDeclined'; name: string; count: number }
  | { op: 'close' };

/** What the worker reports. */
export type FromWorker =
  | { kind: 'listening'; port: number; alsoListeningOn: string[] }
  | { kind: 'message'; message: GatewayToHost }
  | { kind: 'closed' };

/** Starts the gateway in a worker thread running `workerScript` (dist/gatewayWorker.js); resolves once it listens. */
export async function startGateway(options: GatewayStartOptions & { workerScript: string }): Promise<GatewayHandle> {
  const { workerScript, ...gatewayOptions } = options;
  const { worker, listening } = await spawn(workerScript, gatewayOptions);
  return new WorkerGateway(worker, listening);
}

/** The same gateway in the caller's thread, for tests: a GatewayHandle that also gives its stats() on demand. */
export async function startGatewayInThread(options: GatewayStartOptions = {}): Promise<Gateway> {
  // Loaded on demand: the extension host itself only needs the worker's script path.
  const { Gateway } = await import('./gateway');
  const gateway = new Gateway(options);
  await gateway.listen();
  return gateway;
}

type Listening = Extract<FromWorker, { kind: 'listening' }>;

function spawn(workerScript: string, options: GatewayOptions): Promise<{ worker: Worker; listening: Listening }> {
  const worker = new Worker(workerScript, { workerData: options });
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromWorker) => {
      if (message.kind !== 'listening') return;
      stopWaiting();
      resolve({ worker, listening: message });
    };
    const onError = (error: Error) => {
      stopWaiting();
      reject(error);
    };
    const onExit = (code: number) => {
      stopWaiting();
      reject(new Error(`the gateway's worker thread exited (code ${code}) before it listened`));
    };
    const stopWaiting = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/** The handle on a gateway in a worker thread: calls go in by postMessage, the gateway's messages come out. */
class WorkerGateway implements GatewayHandle {
  readonly port: number;
  readonly origin: string;
  readonly alsoListeningOn: readonly string[];
  private readonly messages = new Emitter<GatewayToHost>();
  readonly onMessage = this.messages.event;
  /** The functions set: their output channels hear it should the gateway's thread die. */
  private readonly names = new Set<string>();
  private closing?: Promise<void>;

  constructor(private readonly worker: Worker, started: Listening) {
    this.port = started.port;
    this.origin = `http://127.0.0.1:${started.port}`;
    this.alsoListeningOn = started.alsoListeningOn;
    worker.on('message', (message: FromWorker) => {
      if (message.kind === 'message') this.messages.fire(message.message);
      // Its servers and timers are gone: the thread itself ends here.
      else if (message.kind === 'closed') void worker.terminate();
    });
    // Without a listener a worker's error would be thrown in the extension host; 'exit' follows it.
    worker.on('error', (error) => this.onDeath(error.message));
    worker.on('exit', (code) => this.onDeath(`its thread exited with code ${code}`));
  }

  setFunction(fn: GatewayFunction): void {
    this.names.add(fn.name);
    this.post({ op: 'setFunction', fn });
  }

  removeFunction(name: string): void {
    this.names.delete(name);
    this.post({ op: 'removeFunction', name });
  }

  startsDeclined(name: string, count: number): void {
    this.post({ op: 'startsDeclined', name, count });
  }

  startFailed(name: string, count: number, reason: string): void {
    this.post({ op: 'startFailed', name, count, reason });
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.post({ op: 'close' });
    await exited;
    this.messages.dispose();
  }

  private post(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  /**
   * The gateway died (a bug in it): its URLs answer nothing. The host's only channel to the user here
   * is each function's output, which says so once.
   */
  private onDeath(why: string): void {
    if (this.closing) return;
    this.closing = Promise.resolve();
    for (const name of this.names) {
      this.messages.fire({ kind: 'log', name, line: `gateway: the local gateway stopped (${why}); its URLs answer nothing until the window is reloaded` });
    }
  }
}
