/**
 * Entry of dist/gatewayWorker.js, the worker thread that gatewayClient.ts starts: runs the local
 * gateway on its own event loop and relays messages both ways (calls from the extension host in,
 * the gateway's requests and stats out).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Gateway, type GatewayOptions } from './services/gateway';
import type { FromWorker, ToWorker } from './services/gatewayClient';

async function main(): Promise<void> {
  const host = parentPort;
  if (!host) throw new Error('gatewayWorker.js runs as a worker thread, started by startGateway()');
  const post = (message: FromWorker) => host.postMessage(message);
  const gateway = new Gateway(workerData as GatewayOptions);
  gateway.onMessage((message) => post({ kind: 'message', message }));
  await gateway.listen();
  host.on('message', (call: ToWorker) => {
    switch (call.op) {
      case 'setFunction': return gateway.setFunction(call.fn);
      case 'removeFunction': return gateway.removeFunction(call.name);
      case 'startFailed': return gateway.startFailed(call.name, call.count, call.reason);
      case 'startsDeclined': return gateway.startsDeclined(call.name, call.count);
      case 'close': return void gateway.close().then(() => post({ kind: 'closed' }));
    }
  });
  post({ kind: 'listening', port: gateway.port, alsoListeningOn: [...gateway.alsoListeningOn] });
}

// Thrown outside the promise, a failure to listen ends the thread with its error, which startGateway()
// rejects with, whatever the process's unhandled-rejection mode.
main().catch((error: unknown) => setImmediate(() => {
  throw error;
}));
