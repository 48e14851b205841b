/**
 * The scaling contract (../shared/DESIGN.md "Scaling"): what fn.json's `scale` block means, what the
 * gateway knows of a function's instances, and the policy that decides, from that and the time
 * alone, when to start and when to release instances. Pure: no timers, no I/O; the clock is an
 * argument, so the unit tests run it as a virtual one. Meanings follow Knative Serving (min/max
 * scale, containerConcurrency, scale to zero after an idle window) so fn.json exports unchanged.
 */

export interface ScaleConfig {
  /** Instances kept running while the function is on (Knative min-scale). 0: goes to zero when idle. */
  min: number;
  /** Most instances (Knative max-scale). */
  max: number;
  /** Most requests in flight per instance (Knative containerConcurrency); 0 = no limit. */
  concurrency: number;
  /** Requests that may wait for a free instance; one more gets a 503. */
  queue: number;
  /** An instance with nothing in flight for this long is released while more than `min` run. */
  idleSeconds: number;
}

/** Which instance answered: on every reply through the gateway. */
export const REPLICA_HEADER = 'x-local-serverless-replica';
/** How long the request waited for an instance to start: on replies that waited. */
export const COLD_START_HEADER = 'x-local-serverless-cold-start-ms';

export const DEFAULT_SCALE: ScaleConfig = { min: 0, max: 1, concurrency: 0, queue: 100, idleSeconds: 300 };

/** One instance as the gateway and the policy see it. */
export interface InstanceView {
  id: string;
  /** starting: created, not yet answering; ready: takes requests; draining: finishes its in-flight requests, takes no new ones. */
  state: 'starting' | 'ready' | 'draining';
  inFlight: number;
  /** When its last request ended, or when it became ready (ms, the policy's clock). */
  lastActiveAt: number;
}

/**
 * Whether requests may start instances. `on`: Build and Run brought it up; it scales between min and
 * max, down to zero by idleness, and a request to it at zero starts one. `off`: never run in this
 * window, or stopped by the user: requests get a 503 saying so and nothing starts.
 */
export type FunctionMode = 'on' | 'off';

export interface PoolView {
  mode: FunctionMode;
  instances: InstanceView[];
  /** Starts asked for and not yet seen as instances. */
  pendingStarts: number;
  /** Requests waiting to be placed. */
  queued: number;
}

export interface ScaleDecision {
  /** How many more instances to start now. */
  start: number;
  /** Instances to release (stop and remove) now, idlest first. */
  release: string[];
}

/**
 * Decides starts and releases. Demand is in-flight plus queued requests; with a concurrency limit it
 * needs ceil(demand / concurrency) instances, without one a single instance takes everything. The
 * target is that need, never below `min` (when on), never above `max`. Instances idle for
 * `idleSeconds` are released, idlest first, while more than the target would remain (counting
 * instances that exist, not starts still asked for).
 */
export function decideScale(config: ScaleConfig, view: PoolView, now: number): ScaleDecision {
  if (view.mode === 'off') return { start: 0, release: [] };
  const live = view.instances.filter((i) => i.state !== 'draining');
  const inFlight = live.reduce((sum, i) => sum + i.inFlight, 0);
  const demand = inFlight + view.queued;
  const needed = demand === 0 ? 0 : config.concurrency > 0 ? Math.ceil(demand / config.concurrency) : 1;
  const max = Math.max(config.max, 1);
  const target = Math.min(Math.max(needed, config.min), max);
  const have = live.length + view.pendingStarts;
  const start = Math.max(target - have, 0);
  const release: string[] = [];
  if (start === 0) {
    const idleMs = config.idleSeconds * 1000;
    const idle = live
      .filter((i) => i.state === 'ready' && i.inFlight === 0 && now - i.lastActiveAt >= idleMs)
      .sort((a, b) => a.lastActiveAt - b.lastActiveAt);
    // Only instances that exist count here: releasing a running instance because a start was asked
    // for would leave nothing but a promise, and a start may fail.
    let remaining = live.length;
    for (const instance of idle) {
      if (remaining <= target) break;
      release.push(instance.id);
      remaining--;
    }
  }
  return { start, release };
}

/**
 * The ready instance with the fewest requests in flight that still has room under `concurrency`;
 * ties go to the one idle longest (spreads load, and keeps every instance warm). Undefined: none has room.
 */
export function pickInstance<T extends InstanceView>(instances: readonly T[], concurrency: number): T | undefined {
  let best: T | undefined;
  for (const instance of instances) {
    if (instance.state !== 'ready') continue;
    if (concurrency > 0 && instance.inFlight >= concurrency) continue;
    if (!best || instance.inFlight < best.inFlight || (instance.inFlight === best.inFlight && instance.lastActiveAt < best.lastActiveAt)) best = instance;
  }
  return best;
}
