import * as net from 'node:net';

/** Asks the OS for a free port on 127.0.0.1. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when nothing listens on 127.0.0.1:port (so a pinned port can be published). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Probes come every 5 ms for the first second, when most servers start listening: a request held
 * for a cold start waits for the probe after the server listens, not for the server. A failed probe
 * costs a connection the proxy closes at once. Later, every 25 ms.
 */
const FAST_PROBE_MS = 5;
const FAST_PROBING_FOR_MS = 1_000;
const SLOW_PROBE_MS = 25;
/** How often the caller's isAlive (an engine call) is asked while nothing answers. */
const ALIVE_CHECK_MS = 250;

/**
 * Resolves once a server in the container accepts connections on 127.0.0.1:port, or rejects after
 * `timeoutMs`. `inContainer` (the container's own address and port, where this machine reaches it: a
 * local engine on Linux) is probed too: a connection there is the server itself, with no proxy in
 * between, so it counts at once (no hold). Only ever a connect, to tell readiness: requests go to 127.0.0.1.
 */
export async function waitForPort(port: number, timeoutMs: number, signal?: AbortSignal, isAlive?: () => Promise<boolean>, inContainer?: { host: string; port: number }): Promise<void> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let aliveCheckedAt = started;
  while (Date.now() < deadline) {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    if (inContainer && (await canConnect(inContainer.host, inContainer.port, 0))) return;
    if (await canConnect('127.0.0.1', port, PROXY_HOLD_MS)) return;
    if (isAlive && Date.now() - aliveCheckedAt >= ALIVE_CHECK_MS) {
      aliveCheckedAt = Date.now();
      if (!(await isAlive())) throw new Error('the container exited before it listened');
    }
    await new Promise((r) => setTimeout(r, Date.now() - started < FAST_PROBING_FOR_MS ? FAST_PROBE_MS : SLOW_PROBE_MS));
  }
  throw new Error(`nothing answered on 127.0.0.1:${port} within ${Math.round(timeoutMs / 1000)} s`);
}

/**
 * Docker's userland proxy accepts a connection on the published port even when nothing listens
 * in the container yet, then closes it once its own dial fails (well under a millisecond on a
 * local bridge). So a connection that is still open after a short hold reached the server.
 */
const PROXY_HOLD_MS = 40;

/** Whether a connection to host:port opens and stays open for `holdMs`. */
function canConnect(host: string, port: number, holdMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(hold);
      socket.destroy();
      resolve(ok);
    };
    let hold: NodeJS.Timeout | undefined;
    // An address this machine cannot reach (a container network inside a VM) must not slow each round.
    socket.setTimeout(holdMs ? 1000 : 100, () => done(false));
    socket.once('connect', () => { hold = setTimeout(() => done(true), holdMs); });
    socket.once('close', () => done(false));
    socket.once('end', () => done(false));
    socket.once('error', () => done(false));
  });
}
