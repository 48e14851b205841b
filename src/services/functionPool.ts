import { RecentRequests } from '../core/recentRequests';
import { decideScale, pickInstance, type InstanceView, type PoolView } from '../core/scaling';
import { PausableTimer } from '../core/pausableTimer';
import { functionOff, notPlaced, queueFull, startFailed, type ErrorReply } from './gatewayReplies';
import type { FunctionStats, GatewayFunction, GatewayInstance, GatewayToHost, InstanceStats } from './gatewayTypes';

/** A request as the pool sees it: it waits, then gets an instance or a refusal. */
export interface Waiting {
  /** When it arrived, on the pool's clock. */
  readonly arrivedAt: number;
  /** Set by the pool when it was placed on an instance that became ready after it arrived: its wait, ms. */
  coldStartMs?: number;
  place(instance: PoolInstance): void;
  refuse(reply: ErrorReply): void;
}

/** An instance refused a connection: it is not picked for this long (it may be restarting, or dead until the host says so). */
const UNREACHABLE_MS = 1_000;
/** After the host could not start instances, no new start is asked for this long, and requests to a function with none get the failure at once. */
const START_RETRY_DELAY_MS = 5_000;
/** At most one log line a second per function: a refused load test must not flood its output channel. */
const LOG_INTERVAL_MS = 1_000;

/** One instance as the gateway tracks it: the host's view of it plus the requests the gateway put on it. */
export class PoolInstance implements InstanceView {
  inFlight = 0;
  served = 0;
  lastActiveAt: number;
  /** When it was first seen ready: a request that arrived before then waited for it to start. */
  readyAt?: number;
  /** The gateway asked the host to release it: it takes no new requests. */
  releasing = false;
  unreachableUntil = 0;

  constructor(public spec: GatewayInstance, now: number) {
    this.lastActiveAt = now;
    this.update(spec, now);
  }

  get id(): string {
    return this.spec.id;
  }

  get state(): InstanceView['state'] {
    return this.releasing ? 'draining' : this.spec.state;
  }

  update(spec: GatewayInstance, now: number): void {
    if (spec.state === 'ready' && this.readyAt === undefined) {
      this.readyAt = now;
      this.lastActiveAt = now;
    }
    this.spec = spec;
  }

  stats(): InstanceStats {
    return { id: this.id, label: this.spec.label, state: this.state, inFlight: this.inFlight, served: this.served };
  }
}

/**
 * One function's instances and waiting requests: places requests on the instance with the fewest in
 * flight, queues the rest in arrival order, and asks the host (through `send`) to start or release
 * instances as decideScale says. Knows nothing of HTTP: requests are `Waiting`s.
 */
export class FunctionPool {
  private instances = new Map<string, PoolInstance>();
  private queue: Waiting[] = [];
  private pendingStarts = 0;
  private startFailure?: { reason: string; until: number };
  private readonly recent = new RecentRequests();
  private readonly counts = { served: 0, refused: 0, timedOut: 0, failed: 0, coldStarts: 0 };
  private lastColdStartMs?: number;
  private lastLogAt = -Infinity;
  private unlogged = 0;
  /** The deadlines of this function's requests: they stop while a debugger holds the function. */
  private readonly clocks = new Set<PausableTimer>();

  constructor(
    private fn: GatewayFunction,
    private readonly send: (message: GatewayToHost) => void,
    private readonly now: () => number,
  ) {
    this.update(fn);
  }

  get name(): string {
    return this.fn.name;
  }

  get timeoutSeconds(): number {
    return this.fn.timeoutSeconds;
  }

  /** Whether a debugger holds the function at a breakpoint: request deadlines stand still meanwhile. */
  get paused(): boolean {
    return this.fn.paused === true;
  }

  /** A request's deadline, paused while the debugger is (DESIGN.md "Timeouts"); cleared by its caller. */
  deadline(ms: number, fire: () => void): { clear(): void } {
    const clock = new PausableTimer(ms, () => {
      this.clocks.delete(clock);
      fire();
    });
    if (this.paused) clock.pause();
    this.clocks.add(clock);
    return {
      clear: () => {
        clock.clear();
        this.clocks.delete(clock);
      },
    };
  }

  /** Takes the host's new view of the function; instance ids not seen before answer earlier starts. */
  update(fn: GatewayFunction): void {
    const now = this.now();
    for (const clock of this.clocks) {
      if (fn.paused) clock.pause();
      else clock.resume();
    }
    const next = new Map<string, PoolInstance>();
    let appeared = 0;
    for (const spec of fn.instances) {
      const known = this.instances.get(spec.id);
      if (known) known.update(spec, now);
      else appeared++;
      next.set(spec.id, known ?? new PoolInstance(spec, now));
    }
    this.instances = next;
    this.fn = fn;
    this.pendingStarts = Math.max(this.pendingStarts - appeared, 0);
    if (appeared > 0) this.startFailure = undefined;
    if (fn.mode === 'off') {
      // Nothing will start: waiting would only end in a timeout.
      this.pendingStarts = 0;
      this.refuseAll(functionOff(fn.name, fn.offReason));
    }
    this.settle();
  }

  /** Places the request now or queues it; returns why it cannot wait, if so. */
  admit(request: Waiting): ErrorReply | undefined {
    if (this.fn.mode === 'off') return functionOff(this.fn.name, this.fn.offReason);
    // Arrivals never overtake queued requests: an instance with room takes the queue's head first.
    const instance = this.queue.length === 0 ? this.pick() : undefined;
    if (instance) {
      this.placeOn(request, instance);
    } else {
      const failure = this.failedStart();
      if (failure && !this.hasLiveInstances()) return startFailed(this.fn.name, failure);
      if (this.queue.length >= this.fn.scale.queue) return queueFull(this.fn.name, this.fn.scale);
      this.queue.push(request);
    }
    this.rescale();
    return undefined;
  }

  /** Puts back a request whose instance failed before it was sent, ahead of later arrivals. */
  requeue(request: Waiting): void {
    this.queue.unshift(request);
    this.settle();
  }

  /** Takes a request out of the queue (its client left, or its deadline passed); false when it was not queued. */
  withdraw(request: Waiting): boolean {
    const index = this.queue.indexOf(request);
    if (index < 0) return false;
    this.queue.splice(index, 1);
    this.rescale();
    return true;
  }

  /** A request left its instance, answered by it or not: its place goes to the queue's head. */
  leave(instance: PoolInstance, answered: boolean): void {
    instance.inFlight--;
    if (answered) instance.served++;
    instance.lastActiveAt = this.now();
    this.settle();
  }

  markUnreachable(instance: PoolInstance): void {
    instance.unreachableUntil = this.now() + UNREACHABLE_MS;
  }

  /** The host will not start `count` of the starts asked for (see GatewayHandle.startsDeclined). */
  startsDeclined(count: number): void {
    this.pendingStarts = Math.max(this.pendingStarts - count, 0);
  }

  /** The host could not start `count` of the instances asked for. */
  startFailed(count: number, reason: string): void {
    this.pendingStarts = Math.max(this.pendingStarts - count, 0);
    this.startFailure = { reason, until: this.now() + START_RETRY_DELAY_MS };
    if (!this.hasLiveInstances()) this.refuseAll(startFailed(this.fn.name, reason));
  }

  /** Places what can be placed and rescales: after any change, and on the gateway's tick (idleness, unreachable instances coming back). */
  settle(): void {
    this.drain();
    this.rescale();
  }

  /** Refuses every queued request with `reply` (the function was turned off or removed, the gateway is closing). */
  refuseAll(reply: ErrorReply): void {
    const refused = this.queue;
    this.queue = [];
    for (const request of refused) request.refuse(reply);
  }

  /** The 503 for a request whose deadline passed in the queue. */
  notPlacedReply(): ErrorReply {
    const busy = [...this.instances.values()].filter((i) => i.state === 'ready').length;
    return notPlaced(this.fn.name, this.fn.timeoutSeconds, busy, this.fn.scale);
  }

  recordServed(durationMs: number): void {
    this.counts.served++;
    this.recent.record(this.now(), durationMs);
  }

  count(outcome: 'refused' | 'timedOut' | 'failed'): void {
    this.counts[outcome]++;
  }

  /** A line for the function's output channel, at most one a second (the next one says how many were left out). */
  log(line: string): void {
    const now = this.now();
    if (now - this.lastLogAt < LOG_INTERVAL_MS) {
      this.unlogged++;
      return;
    }
    const more = this.unlogged > 0 ? ` (${this.unlogged} more such lines left out since the last one)` : '';
    this.lastLogAt = now;
    this.unlogged = 0;
    this.send({ kind: 'log', name: this.fn.name, line: `gateway: ${line}${more}` });
  }

  stats(time: number): FunctionStats {
    const now = this.now();
    const [p50Ms, p95Ms] = this.recent.percentiles(now, [50, 95]);
    return {
      name: this.fn.name,
      time,
      instances: [...this.instances.values()].map((i) => i.stats()),
      queued: this.queue.length,
      requestsPerSecond: this.recent.perSecond(now),
      p50Ms,
      p95Ms,
      ...this.counts,
      lastColdStartMs: this.lastColdStartMs,
    };
  }

  private drain(): void {
    for (let instance = this.pick(); instance && this.queue.length > 0; instance = this.pick()) {
      this.placeOn(this.queue.shift() as Waiting, instance);
    }
  }

  private pick(): PoolInstance | undefined {
    const now = this.now();
    const reachable = [...this.instances.values()].filter((i) => i.unreachableUntil <= now);
    return pickInstance(reachable, this.fn.scale.concurrency);
  }

  private placeOn(request: Waiting, instance: PoolInstance): void {
    instance.inFlight++;
    if (request.coldStartMs === undefined && instance.readyAt !== undefined && instance.readyAt > request.arrivedAt) {
      request.coldStartMs = this.now() - request.arrivedAt;
      this.counts.coldStarts++;
      this.lastColdStartMs = request.coldStartMs;
    }
    request.place(instance);
  }

  private rescale(): void {
    const decision = decideScale(this.fn.scale, this.view(), this.now());
    if (decision.start > 0 && this.failedStart() === undefined) {
      this.pendingStarts += decision.start;
      this.send({ kind: 'scaleUp', name: this.fn.name, count: decision.start });
    }
    for (const id of decision.release) {
      const instance = this.instances.get(id);
      if (!instance) continue;
      instance.releasing = true;
      this.send({ kind: 'release', name: this.fn.name, instanceId: id });
    }
  }

  private view(): PoolView {
    return { mode: this.fn.mode, instances: [...this.instances.values()], pendingStarts: this.pendingStarts, queued: this.queue.length };
  }

  /** Whether an instance runs or is coming that queued requests may still get. */
  private hasLiveInstances(): boolean {
    return [...this.instances.values()].some((i) => i.state !== 'draining') || this.pendingStarts > 0;
  }

  /** The reason of a recent start failure, while starts are held back. */
  private failedStart(): string | undefined {
    return this.startFailure && this.now() < this.startFailure.until ? this.startFailure.reason : undefined;
  }
}
