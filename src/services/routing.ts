import type { Disposable } from '../core/emitter';
import type { Routing } from './functionRunner';
import type { FunctionStats, GatewayFunction, GatewayHandle, GatewayToHost } from './gatewayTypes';

/** What the gateway asks of one function: FunctionRunner answers these. */
export interface GatewayClientOf {
  scaleUp(count: number): void;
  release(instanceId: string): void;
  gatewayLog(line: string): void;
  updateStats(stats: FunctionStats): void;
}

/**
 * The extension host's side of the gateway: runners publish their instances through it, and the
 * gateway's requests (start more, release one, a log line, live figures) reach the runner they name.
 */
export class GatewayRouting implements Routing, Disposable {
  private readonly subscription: Disposable;
  private readonly latest = new Map<string, FunctionStats>();
  private readonly statsWaiters = new Set<() => void>();
  private readonly statsListeners = new Set<(stats: FunctionStats[]) => void>();

  constructor(
    private readonly gateway: GatewayHandle,
    private readonly runnerFor: (name: string) => GatewayClientOf | undefined,
    readonly instanceEnv: Record<string, string> = {},
  ) {
    this.subscription = gateway.onMessage((message) => this.handle(message));
  }

  get origin(): string {
    return this.gateway.origin;
  }

  get port(): number {
    return this.gateway.port;
  }

  /** Live figures of every function, as the gateway sends them. */
  onStats(listener: (stats: FunctionStats[]) => void): Disposable {
    this.statsListeners.add(listener);
    return { dispose: () => this.statsListeners.delete(listener) };
  }

  statsOf(name: string): FunctionStats | undefined {
    return this.latest.get(name);
  }

  publish(fn: GatewayFunction): void {
    this.gateway.setFunction(fn);
  }

  remove(name: string): void {
    this.gateway.removeFunction(name);
    this.latest.delete(name);
  }

  startFailed(name: string, count: number, reason: string): void {
    this.gateway.startFailed(name, count, reason);
  }

  startsDeclined(name: string, count: number): void {
    this.gateway.startsDeclined(name, count);
  }

  /**
   * Resolves once figures sent after this call show the instance with nothing in flight (or gone),
   * or after `limitMs`. Figures from before the call may predate its last request, so they do not count.
   */
  drained(name: string, instanceId: string, limitMs: number): Promise<void> {
    const asked = Date.now();
    return new Promise<void>((resolve) => {
      const check = () => {
        const stats = this.latest.get(name);
        if (!stats || stats.time < asked) return;
        const instance = stats.instances.find((i) => i.id === instanceId);
        if (!instance || instance.inFlight === 0) finish();
      };
      const finish = () => {
        clearTimeout(timer);
        this.statsWaiters.delete(check);
        resolve();
      };
      const timer = setTimeout(finish, limitMs);
      this.statsWaiters.add(check);
    });
  }

  private handle(message: GatewayToHost): void {
    switch (message.kind) {
      case 'scaleUp':
        // A function removed meanwhile was taken off the gateway too (see FunctionRegistry.setSpecs).
        this.runnerFor(message.name)?.scaleUp(message.count);
        return;
      case 'release':
        this.runnerFor(message.name)?.release(message.instanceId);
        return;
      case 'log':
        this.runnerFor(message.name)?.gatewayLog(message.line);
        return;
      case 'stats':
        for (const stats of message.stats) {
          this.latest.set(stats.name, stats);
          this.runnerFor(stats.name)?.updateStats(stats);
        }
        for (const check of [...this.statsWaiters]) check();
        for (const listener of [...this.statsListeners]) listener(message.stats);
    }
  }

  dispose(): void {
    this.subscription.dispose();
    for (const check of [...this.statsWaiters]) check();
  }
}
