import assert from 'node:assert/strict';
import * as net from 'node:net';
import { describe, it } from 'node:test';
import { findFreePort, isPortFree, waitForPort } from '../../src/core/ports';

function listen(server: net.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port that nothing listens on: bound once by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await close(server);
  return port;
}

describe('findFreePort', () => {
  it('returns a port that isPortFree reports as free', async () => {
    const port = await findFreePort();
    assert.ok(Number.isInteger(port) && port > 0 && port < 65536);
    assert.equal(await isPortFree(port), true);
  });

  it('returns a port a server can then listen on', async () => {
    const port = await findFreePort();
    const server = net.createServer();
    assert.equal(await listen(server, port), port);
    await close(server);
  });
});

describe('isPortFree', () => {
  it('is false while a server listens on 127.0.0.1 at that port, and true after it closes', async () => {
    const server = net.createServer();
    const port = await listen(server);
    try {
      assert.equal(await isPortFree(port), false);
    } finally {
      await close(server);
    }
    assert.equal(await isPortFree(port), true);
  });
});

describe('waitForPort', () => {
  it('resolves for a port where a server accepts connections', async () => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => sockets.add(socket));
    const port = await listen(server);
    try {
      await waitForPort(port, 2000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await close(server);
    }
  });

  it('resolves once a server starts listening after the wait began', async () => {
    const port = await closedPort();
    const server = net.createServer((socket) => socket.on('error', () => {}));
    const waiting = waitForPort(port, 3000);
    setTimeout(() => void listen(server, port), 150);
    try {
      await waiting;
    } finally {
      server.close();
    }
  });

  it('rejects within its timeout when nothing listens', async () => {
    const port = await closedPort();
    const started = Date.now();
    await assert.rejects(waitForPort(port, 300), new RegExp(`nothing answered on 127\\.0\\.0\\.1:${port}`));
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 1500, `took ${elapsed} ms`);
  });

  it('does not count a server that accepts and closes at once as listening', async () => {
    // What Docker's userland proxy does while nothing listens in the container yet.
    const server = net.createServer((socket) => socket.destroy());
    const port = await listen(server);
    try {
      await assert.rejects(waitForPort(port, 300), /nothing answered/);
    } finally {
      await close(server);
    }
  });

  it('stops waiting when the container has exited', async () => {
    const port = await closedPort();
    await assert.rejects(waitForPort(port, 5000, undefined, async () => false), /exited before it listened/);
  });

  it('stops waiting when aborted', async () => {
    const port = await closedPort();
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    await assert.rejects(waitForPort(port, 5000, controller.signal), /user cancelled/);
  });
});
