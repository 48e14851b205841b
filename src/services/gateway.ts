import * as http from 'node:http';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { createProxyServer } from 'http-proxy-3';
import { Emitter } from '../core/emitter';
import { hostLiteral, hostNameOf, hostRuleFor, routeOf } from '../core/gatewayRoute';
import { FunctionPool } from './functionPool';
import { Exchange, type ExchangeContext } from './gatewayExchange';
import { functionRemoved, gatewayClosing, hostRefused, internalError, sendError, unknownFunction, websocketUnsupported } from './gatewayReplies';
import type { FunctionStats, GatewayFunction, GatewayHandle, GatewayToHost } from './gatewayTypes';

export interface GatewayOptions {
  /** The port to take when free (the one kept for the workspace); else a free one is taken. */
  preferredPort?: number;
  /** More addresses to listen on, on the same port (e.g. the Docker bridge's gateway address, for containers). */
  alsoListenOn?: readonly string[];
}

/** Scaling is re-decided this often (idleness is a matter of time alone), besides on every arrival and completion. */
const TICK_MS = 250;
/** Stats go out every other tick (about twice a second), and only when they changed. */
const STATS_EVERY_TICKS = 2;

/**
 * The local gateway (DESIGN.md "Scaling"): one HTTP listener on 127.0.0.1 that routes
 * `/<name>/…` and `<name>.localhost` to the function's instances (ports published on 127.0.0.1),
 * holds requests while instances start, and asks the host to start and release instances.
 * vscode-free: it runs in a worker thread (gatewayClient.ts) or, for tests, in the caller's thread.
 */
export class Gateway implements GatewayHandle {
  private readonly pools = new Map<string, FunctionPool>();
  private readonly exchanges = new Map<http.IncomingMessage, Exchange>();
  private readonly servers: http.Server[] = [];
  private readonly messages = new Emitter<GatewayToHost>();
  readonly onMessage = this.messages.event;
  private readonly context: ExchangeContext = {
    proxy: createProxyServer({}),
    agent: new http.Agent({ keepAlive: true }),
    now: () => performance.now(),
  };
  private listeningPort = 0;
  private readonly extraOrigins: string[] = [];
  private ticker?: NodeJS.Timeout;
  private ticks = 0;
  private lastStats = '';
  private closing?: Promise<void>;

  constructor(private readonly options: GatewayOptions = {}) {
    // One proxy serves every request; its events reach the request's exchange.
    this.context.proxy.on('proxyReq', (upstream, req) => this.exchanges.get(req)?.onUpstreamRequest(upstream));
    this.context.proxy.on('proxyRes', (reply, req) => this.exchanges.get(req)?.onReplyHeaders(reply));
  }

  get port(): number {
    return this.listeningPort;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.listeningPort}`;
  }

  get alsoListeningOn(): readonly string[] {
    return this.extraOrigins;
  }

  /** Listens on 127.0.0.1 (then on the extra addresses, best effort) and starts the scaling tick. */
  async listen(): Promise<void> {
    const main = this.createServer(hostRuleFor('127.0.0.1'));
    this.listeningPort = await listenPreferring(main, '127.0.0.1', this.options.preferredPort);
    for (const address of this.options.alsoListenOn ?? []) await this.listenAlsoOn(address);
    this.ticker = setInterval(() => this.tick(), TICK_MS);
  }

  setFunction(fn: GatewayFunction): void {
    const pool = this.pools.get(fn.name);
    if (pool) pool.update(fn);
    else this.pools.set(fn.name, new FunctionPool(fn, (message) => this.messages.fire(message), this.context.now));
  }

  removeFunction(name: string): void {
    this.pools.get(name)?.refuseAll(functionRemoved(name));
    this.pools.delete(name);
  }

  startsDeclined(name: string, count: number): void {
    this.pools.get(name)?.startsDeclined(count);
  }

  startFailed(name: string, count: number, reason: string): void {
    this.pools.get(name)?.startFailed(count, reason);
  }

  /** Each function's live figures now (what the `stats` messages carry). */
  stats(): FunctionStats[] {
    const time = Date.now();
    return [...this.pools.values()].map((pool) => pool.stats(time));
  }

  /** Stops listening: queued requests get a 503, requests being forwarded are cut; no timer is left. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    clearInterval(this.ticker);
    for (const pool of this.pools.values()) pool.refuseAll(gatewayClosing());
    for (const exchange of this.exchanges.values()) exchange.abort();
    await Promise.all(this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    this.context.agent.destroy();
    this.messages.dispose();
  }

  private async listenAlsoOn(address: string): Promise<void> {
    const server = this.createServer(hostRuleFor(address));
    try {
      await listenOn(server, address, this.listeningPort);
      this.extraOrigins.push(`http://${hostLiteral(address)}:${this.listeningPort}`);
    } catch {
      // Best effort (no such interface, port taken there): the host sees it missing from alsoListeningOn.
      this.servers.splice(this.servers.indexOf(server), 1);
    }
  }

  private createServer(acceptsHost: (name: string) => boolean): http.Server {
    const server = http.createServer((req, res) => {
      try {
        this.handle(req, res, acceptsHost);
      } catch (error) {
        sendError(res, internalError(error instanceof Error ? error.message : String(error)));
      }
    });
    this.servers.push(server);
    return server;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, acceptsHost: (name: string) => boolean): void {
    if (this.closing) return sendError(res, gatewayClosing());
    const host = hostNameOf(req.headers.host);
    // Checked before anything else: a refused request reaches no function, not even a 404 listing them.
    if (host === undefined || !acceptsHost(host)) return sendError(res, hostRefused(req.headers.host, this.listeningPort));
    // Without an 'upgrade' listener Node hands upgrade requests here as plain requests.
    if (req.headers.upgrade?.toLowerCase() === 'websocket') return sendError(res, websocketUnsupported());
    const route = routeOf(host, req.url ?? '/');
    const pool = route && this.pools.get(route.name);
    if (!route || !pool) return sendError(res, unknownFunction(route?.name, [...this.pools.keys()], this.listeningPort));
    const exchange = new Exchange(req, res, route.path, pool, this.context);
    this.exchanges.set(req, exchange);
    res.once('close', () => this.exchanges.delete(req));
    exchange.start();
  }

  private tick(): void {
    for (const pool of this.pools.values()) pool.settle();
    if (++this.ticks % STATS_EVERY_TICKS === 0) this.sendStatsIfChanged();
  }

  private sendStatsIfChanged(): void {
    const stats = this.stats();
    const figures = JSON.stringify(stats.map(({ time: _time, ...rest }) => rest));
    if (figures === this.lastStats) return;
    this.lastStats = figures;
    this.messages.fire({ kind: 'stats', stats });
  }
}

function listenOn(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** The preferred port when it can be had, else any free one. */
async function listenPreferring(server: http.Server, host: string, preferred: number | undefined): Promise<number> {
  if (preferred) {
    try {
      return await listenOn(server, host, preferred);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
    }
  }
  return listenOn(server, host, 0);
}
