import * as fs from 'node:fs/promises';
import { formatMs } from '../core/activitySeries';
import { linePrefixer } from '../core/outputText';
import { listContextFiles } from '../core/buildContext';
import { contentDigest, LABEL_DIGEST } from '../core/contentDigest';
import { Emitter, type Disposable } from '../core/emitter';
import { CancelledError, errorMessage, isCancellation, throwIfAborted, UserFacingError } from '../core/errors';
import { resolveEnvFile } from '../core/envFile';
import { parseEnvFile } from '../core/fnConfig';
import type { FunctionSpec } from '../core/functionSpec';
import type { PauseSource } from '../core/invoke';
import { imageTag, LABEL_DEBUG_PORT, LABEL_INSTANCE, LABEL_KIND } from '../core/names';
import { describeJobResult, mayBeJob } from '../core/jobs';
import { describeRun, planBuild, planJob, planRun, type BuildNetwork } from '../core/plan';
import { findFreePort, waitForPort } from '../core/ports';
import type { FunctionMode } from '../core/scaling';
import { planUpdate, type FileChange } from '../core/updatePlan';
import { epochNow, type UpdateTimings } from '../core/updateTimings';
import { remotePublishNotice } from '../engine/endpoint';
import { BuildFailedError, type ContainerEngine, type ContainerInfo, type EngineEvent } from '../engine/engine';
import { DebugMode, type DebugOptions, type DebugStatus, type DebugTarget } from './debugMode';
import type { FunctionStats, GatewayFunction } from './gatewayTypes';
import { Instance } from './instance';
import { runJob, type JobResult } from './jobRunner';
import type { OutputSink } from './logFollower';
import { OwnEvents } from './ownEvents';
import { explainStartFailure, StartFailedError } from './startFailure';

export type { OutputSink } from './logFollower';

/** One instance, as the tree shows it. */
export interface InstanceSummary {
  id: string;
  label: string;
  state: Instance['state'];
  inFlight: number;
  served: number;
}

/** What the function is doing, as the tree, the code lens and the commands see it. */
export type ContainerState =
  | { kind: 'notBuilt' }
  | { kind: 'building'; step: 'build' | 'start' }
  /** `containerId`: the first ready instance's. */
  | { kind: 'running'; url: string; containerId: string; instances: InstanceSummary[] }
  /** On, with no instance: the gateway starts one on the next request. */
  | { kind: 'scaledToZero'; url: string }
  | { kind: 'exited'; exitCode: number }
  | { kind: 'failed'; message: string }
  /** Off: requests get a 503 saying so, nothing starts until Build and Run. */
  | { kind: 'stopped' }
  | { kind: 'misconfigured'; message: string }
  /** A container that runs to completion (no server): `last` is its last run. */
  | { kind: 'job'; last?: { exitCode: number; durationMs: number } }
  | { kind: 'jobRunning' };

/**
 * The state, and the last update's error while it stands: a failed rebuild leaves the previous
 * instances serving, and the failure shows beside whatever state follows until an update succeeds.
 */
export type FunctionState = ContainerState & { lastError?: string; debugging?: DebugStatus };

export type { DebugOptions, DebugStatus, DebugTarget } from './debugMode';

/** Image label by which a Dockerfile says SIGHUP reloads its code in place (the templates set it). */
export const RELOAD_LABEL = 'local-serverless.reload';

/** How a runner reaches the gateway: the registry's adapter over the gateway handle. */
export interface Routing {
  /** `http://127.0.0.1:<gateway port>`. */
  readonly origin: string;
  /** Environment every instance gets, so functions can call each other through the gateway. */
  readonly instanceEnv: Record<string, string>;
  publish(fn: GatewayFunction): void;
  startFailed(name: string, count: number, reason: string): void;
  startsDeclined(name: string, count: number): void;
  /** Resolves once the instance has no request in flight at the gateway, or after `limitMs`. */
  drained(name: string, instanceId: string, limitMs: number): Promise<void>;
}

/** The function's image as Push Image takes it: its local tag and the content digest it was built from. */
export interface PreparedImage {
  tag: string;
  /** The content digest (64 hex digits) of the build context, kept on the image as its `local-serverless.digest` label. */
  digest: string;
  /** Whether it was built now (false: the image was already current). */
  built: boolean;
}

export interface RunnerOptions {
  /** How long a new container may take to listen on its port before its start counts as failed (default 30 s). */
  readyTimeoutMs?: number;
  /** The network builds run in (the localServerless.buildNetwork setting), asked at every build. */
  buildNetwork?: () => BuildNetwork | undefined;
  /** Hears when each step of an update to saved files happened (the debug log, the benchmark). */
  onUpdateTimings?: (report: UpdateTimingsReport) => void;
}

/** One update's timings, with what changed ("handler.js", "3 files (…)") and the path it took. */
export interface UpdateTimingsReport {
  name: string;
  what: string;
  kind: 'sync' | 'rebuild';
  timings: UpdateTimings;
}

const DEFAULT_READY_TIMEOUT_MS = 30_000;
/** With the engine on another machine only a tunnel makes its ports answer here; a tunnel answers at once. */
const REMOTE_READY_TIMEOUT_MS = 5_000;

/** The image the instances run, and what has changed since it was built. */
interface BuiltImage {
  tag: string;
  reloadSignal: string | undefined;
  /** A rebuild-worthy change came while nothing ran: the next start builds first. */
  stale: boolean;
  /** Files synced into running instances since the build: copied into every new instance before it starts. */
  synced: Set<string>;
}

/**
 * Owns one function: its image and its set of instances behind the gateway. Builds, starts
 * instances when the gateway asks (scale from zero, scale out), releases idle ones, rolls a rebuild
 * (new instances ready before old ones stop taking requests; old ones drain), syncs saved files to
 * every instance, and keeps every instance's output flowing into the function's one channel. One
 * update runs at a time; a newer rebuild cancels one still building. The instances serving keep
 * serving until new ones answer.
 */
export class FunctionRunner implements Disposable {
  private readonly stateEmitter = new Emitter<FunctionState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private currentState: FunctionState = { kind: 'notBuilt' };
  private mode: FunctionMode = 'off';
  /** Why requests to a function that is off get a 503 (stopped, or its last start failed). */
  private offReason: string | undefined;
  private image: BuiltImage | undefined;
  private readonly instances = new Map<string, Instance>();
  private nextLabel = 1;
  /** The state when no instance runs and nothing builds: notBuilt, stopped, failed, exited, job. */
  private resting: ContainerState = { kind: 'notBuilt' };
  private step: 'build' | 'start' | 'job' | undefined;
  private lastErrorText: string | undefined;
  private stats: FunctionStats | undefined;
  /** The transitions our own operations cause: their events are not news. */
  private readonly own = new OwnEvents();
  /** Removals of replaced or released instances still under way: disposal waits for them. */
  private readonly retiring = new Set<Promise<unknown>>();
  /** Signals of updates cancelled by a newer rebuild (not by Stop or the caller). */
  private readonly superseded = new WeakSet<AbortSignal>();
  private inflight: { controller: AbortController; done: Promise<unknown> } | undefined;
  /** Aborted by Stop and disposal, then replaced: ends scale-ups that run beside the update queue. */
  private stopping = new AbortController();
  /** Scale-ups running beside the update queue: Stop and disposal wait for them. */
  private readonly scaling = new Set<Promise<unknown>>();
  private disposed = false;
  /** Debug Function: while on, the instances (exactly one) run with the debugger. */
  private readonly debug: DebugMode;
  /** The debugged instance changed (a rebuild rolled it, a sync restarted it, it stopped): attach again or end. */
  readonly onDidChangeDebugTarget: DebugMode['onDidChangeTarget'];
  /** Whether the debugger holds the function at a breakpoint, and when that changes: Invoke's clock follows it. */
  readonly pauses: PauseSource;
  /** A removed function's channel is closed (VS Code throws on writing to it): nothing is written once disposed. */
  private readonly sink: OutputSink = {
    append: (text) => {
      if (!this.disposed) this.openOutput().append(text);
    },
    appendLine: (text) => {
      if (!this.disposed) this.openOutput().appendLine(text);
    },
  };

  constructor(
    public spec: FunctionSpec,
    private readonly engine: ContainerEngine,
    private readonly ownerId: string,
    private readonly openOutput: () => OutputSink,
    private readonly routing: Routing,
    private readonly options: RunnerOptions = {},
  ) {
    this.debug = new DebugMode(engine);
    this.onDidChangeDebugTarget = this.debug.onDidChangeTarget;
    this.pauses = this.debug.pauses;
    this.refresh();
  }

  /** fn.json's scale, or exactly one instance while a debugger is attached (DESIGN.md: a debugged function runs one). */
  private get scale(): FunctionSpec['scale'] {
    return this.debug.scale(this.spec.scale);
  }

  /** Debug Function is on (its instance may be starting or restarting). */
  get isDebugging(): boolean {
    return this.debug.on;
  }

  /** The debugged instance, once it answers. */
  get debugTarget(): DebugTarget | undefined {
    return this.debug.target(this.instances.values());
  }

  /**
   * Debug Function: builds, then rolls the function to exactly one instance with its debugger on
   * (Node's inspector, or debugpy) and published on a free port of 127.0.0.1. Resolves once it answers.
   */
  startDebugging(options: DebugOptions, signal?: AbortSignal): Promise<DebugTarget> {
    this.assertConfigured();
    if (this.resting.kind === 'job' || this.resting.kind === 'jobRunning') throw new UserFacingError(`${this.spec.name} runs as a job (it exits without listening on a port): Debug Function attaches to functions that serve requests.`);
    const previous = this.debug.begin(options);
    return this.exclusive(true, signal, async (abort) => {
      await this.update(abort);
      const target = this.debugTarget;
      if (!target) throw new UserFacingError(`${this.spec.name} started, but its debugger did not: see its output channel.`);
      return target;
    }).catch((error: unknown) => {
      if (!this.debugTarget) this.debug.restore(options, previous);
      this.refresh();
      throw error;
    });
  }

  /**
   * The debug session ended: the function goes on running, without the debugger (rolled back to its
   * own scale). Nothing to do when it is off or already stopped.
   */
  async stopDebugging(): Promise<void> {
    if (!this.debug.end()) return;
    this.publish();
    if (this.mode !== 'on' || !this.liveInstances().some((i) => i.debug)) return;
    this.sink.appendLine(`■ debugging ${this.spec.name} ended: it runs on without the debugger`);
    await this.exclusive(true, undefined, (abort) => this.update(abort)).catch((error: unknown) => {
      if (!isCancellation(error)) this.sink.appendLine(`✖ ${this.spec.name} could not restart without the debugger: ${errorMessage(error)}`);
    });
  }

  /** The debugger stopped at a breakpoint (true) or went on (false): the gateway's clocks for this function follow. */
  setDebuggerPaused(paused: boolean): void {
    if (this.debug.setPaused(paused)) this.publish();
  }

  private get readyTimeoutMs(): number {
    return this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  }

  get state(): FunctionState {
    return this.currentState;
  }

  /** The last update's error while it stands (see FunctionState). */
  get lastError(): string | undefined {
    return this.currentState.lastError;
  }

  /** The function's stable URL on the gateway: the same across rebuilds, instances and scale to zero. */
  get url(): string {
    return `${this.routing.origin}/${this.spec.name}`;
  }

  /** The gateway's latest figures for this function. */
  get latestStats(): FunctionStats | undefined {
    return this.stats;
  }

  /** Instances in the order they started. */
  get instanceList(): InstanceSummary[] {
    return [...this.instances.values()].map((i) => {
      const live = this.stats?.instances.find((s) => s.id === i.id);
      return { id: i.id, label: i.label, state: i.state, inFlight: live?.inFlight ?? 0, served: live?.served ?? 0 };
    });
  }

  updateSpec(spec: FunctionSpec): void {
    this.spec = spec;
    this.refresh();
  }

  /** The gateway's figures arrived (about twice a second while anything changes). */
  updateStats(stats: FunctionStats): void {
    const shownBefore = shownLatency(this.stats);
    this.stats = stats;
    // Listeners (the tree) hear of it only when what they show changed: the instances' figures
    // (in the state) or the p50 as shown. A tree redrawn twice a second would close its hovers.
    this.refresh(shownLatency(stats) !== shownBefore);
  }

  /** A line from the gateway (a refused or timed-out request). */
  gatewayLog(line: string): void {
    this.sink.appendLine(`[gateway] ${line}`);
  }

  /**
   * Builds the image and brings the function to max(min, 1) instances (or as many as serve now),
   * rolling: the new ones answer before the old ones stop taking requests. Resolves with the URL.
   * A newer call cancels this one while it still builds; on failure the old instances keep serving.
   */
  buildAndRun(signal?: AbortSignal): Promise<string> {
    this.assertConfigured();
    if (this.resting.kind === 'job') return this.runJob(undefined, signal).then(() => this.url);
    return this.exclusive(true, signal, (abort) => this.update(abort));
  }

  /**
   * Builds and runs a job once more, to completion (Build and Run, or Invoke with the payload on its
   * stdin). Its output goes to the channel; its container is removed once the output is in.
   */
  runJob(payload: string | undefined, signal?: AbortSignal): Promise<JobResult> {
    this.assertConfigured();
    return this.exclusive(true, signal, async (abort) => {
      try {
        await this.buildImage(abort);
        this.step = 'job';
        this.refresh();
        const request = planJob(this.spec, this.ownerId, await this.readEnvFile());
        this.sink.appendLine(`[run] ${describeRun(request)}${payload === undefined ? '' : ` (payload of ${Buffer.byteLength(payload)} bytes on stdin)`}`);
        const result = await runJob(this.engine, request, this.sink, { payload, signal: abort });
        this.resting = { kind: 'job', last: { exitCode: result.exitCode, durationMs: result.durationMs } };
        this.sink.appendLine(`■ ${this.spec.name} ${describeJobResult(result)}`);
        this.setLastError(result.exitCode === 0 ? undefined : `${this.spec.name} ${describeJobResult(result)}`);
        return result;
      } finally {
        this.step = undefined;
        this.refresh();
      }
    });
  }

  /** The gateway needs `count` more instances (a request arrived at zero, or load grew). */
  scaleUp(count: number): void {
    if (this.mode !== 'on' || this.spec.problems.length || this.disposed) {
      this.routing.startFailed(this.spec.name, count, `${this.spec.name} is ${this.mode === 'on' ? 'misconfigured' : 'stopped'}: run Build and Run to start it`);
      return;
    }
    const liveAtRequest = this.liveInstances().length;
    const start = async (signal: AbortSignal) => {
      const live = this.liveInstances().length;
      // Instances an update started meanwhile may cover the need: the gateway asks again if not.
      const room = live > liveAtRequest ? 0 : Math.max(Math.min(count, this.scale.max - live), 0);
      if (room < count) this.routing.startsDeclined(this.spec.name, count - room);
      if (!room) return;
      if (!this.image || this.image.stale) await this.buildImage(signal);
      await this.startInstances(room, signal, 'any');
    };
    // Starting instances of a built image needs no turn: a burst scales out at once. A build, or an
    // update under way (which brings instances of its own), goes first.
    const ready = this.image && !this.image.stale && !this.inflight;
    const started = ready ? this.beside(start) : this.exclusive(false, undefined, start);
    void started.catch((error: unknown) => {
      const reason = isCancellation(error) ? `${this.spec.name} was stopped or replaced while starting` : errorMessage(error);
      this.routing.startFailed(this.spec.name, count, reason);
    });
  }

  /** The gateway found this instance idle past idleSeconds while more than `min` run. */
  release(instanceId: string): void {
    const instance = this.instances.get(instanceId);
    if (!instance || instance.state !== 'ready') return;
    const idle = Math.round(this.spec.scale.idleSeconds);
    this.sink.appendLine(`↓ ${instance.label} idle for ${idle} s: released${this.liveInstances().length <= 1 ? ' (scaled to zero: starts on the next request)' : ''}`);
    this.retire([instance]);
  }

  /** Runs a scale-up beside the update queue; Stop and disposal cancel it and wait for it. */
  private beside(work: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const running: Promise<void> = work(this.stopping.signal).finally(() => this.scaling.delete(running));
    this.scaling.add(running);
    return running;
  }

  /** Cancels the scale-ups running beside the update queue and waits for them (their instances are removed). */
  private async settleScaling(): Promise<void> {
    this.stopping.abort();
    await Promise.all([...this.scaling].map((p) => p.catch(() => undefined)));
    this.stopping = new AbortController();
  }

  /**
   * Runs one update at a time. A rebuild cancels an update still building (its build request is
   * aborted, not left to finish); a sync or a scale-up waits for the update before it.
   */
  private exclusive<T>(cancelPrevious: boolean, signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const previous = this.inflight;
    if (cancelPrevious && previous) {
      this.superseded.add(previous.controller.signal);
      previous.controller.abort();
    }
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort();
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    const done = (async () => {
      await previous?.done.catch(() => undefined);
      try {
        throwIfAborted(controller.signal);
        return await work(controller.signal);
      } finally {
        signal?.removeEventListener('abort', onOuterAbort);
        if (this.inflight?.controller === controller) this.inflight = undefined;
      }
    })();
    this.inflight = { controller, done };
    return done;
  }

  /**
   * Applies a burst of saved files: copies `sync` files into every instance and reloads them, or
   * rebuilds and rolls the instances. Logs one line saying what changed, which path it took, and how
   * long until the new code served everywhere. Never throws: a failed update leaves the last good
   * instances serving and says why. With no instance running, the next start picks the change up.
   */
  async applyChanges(changes: FileChange[], timings?: UpdateTimings): Promise<void> {
    const plan = planUpdate(changes, this.spec);
    if (!plan || this.spec.problems.length) return;
    const what = changes.length === 1 ? changes[0].path : `${changes.length} files (${changes.slice(0, 3).map((c) => c.path).join(', ')}${changes.length > 3 ? ', …' : ''})`;
    const started = performance.now();
    try {
      if (!this.liveInstances().length && this.step === undefined) {
        if (!this.image) return;
        if (plan.kind === 'sync') for (const file of plan.files) this.image.synced.add(file);
        else this.image.stale = true;
        this.sink.appendLine(`↻ ${what} changed → no instance runs: the next start ${plan.kind === 'sync' ? 'copies it in' : 'rebuilds first'}`);
        return;
      }
      if (plan.kind === 'sync') {
        const how = await this.exclusive(false, undefined, (signal) => this.syncAll(plan.files, signal, timings));
        if (timings) timings.done = epochNow();
        this.sink.appendLine(`↻ ${what} changed → sync (${how}): new code serving after ${Math.round(performance.now() - started)} ms`);
      } else {
        await this.buildAndRun();
        if (timings) timings.done = epochNow();
        this.sink.appendLine(`↻ ${what} changed → rebuild (${plan.reason}): new code serving after ${Math.round(performance.now() - started)} ms`);
      }
      this.setLastError(undefined);
      if (timings) this.options.onUpdateTimings?.({ name: this.spec.name, what, kind: plan.kind, timings });
    } catch (error) {
      if (isCancellation(error)) return;
      const left = error instanceof SyncStoppedError ? 0 : this.readyInstances().length;
      const serving = left ? `; the last good instance${left > 1 ? 's keep' : ' keeps'} serving` : '';
      this.sink.appendLine(`✖ ${what} changed → ${plan.kind} failed: ${errorMessage(error)}${serving}`);
      this.setLastError(errorMessage(error));
    }
  }

  /** Copies files into every ready instance and reloads each; new instances get them before they start. */
  private async syncAll(files: string[], signal: AbortSignal, timings?: UpdateTimings): Promise<string> {
    const targets = this.readyInstances();
    if (!targets.length || !this.image) throw new Error('the function is not running');
    for (const file of files) this.image.synced.add(file);
    const results = await Promise.allSettled(targets.map((instance) => this.sync(instance, files, signal, timings)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const how = (results[0] as PromiseFulfilledResult<string>).value;
    return targets.length > 1 ? `${how}, in ${targets.length} instances` : how;
  }

  /** Copies files into one instance and reloads its process: SIGHUP when the image says it reloads on it, else a restart. */
  private async sync(instance: Instance, files: string[], signal: AbortSignal, timings?: UpdateTimings): Promise<string> {
    const id = instance.id;
    const reloadSignal = this.image?.reloadSignal;
    // The copy and the signal go in one round trip where the image allows: the signal once the files are in.
    await this.engine.syncInto(id, this.spec.folder, files, instance.workingDir, reloadSignal);
    // Instances sync side by side: the last to finish a step sets its time.
    if (timings) timings.copied = epochNow();
    if (reloadSignal) {
      if (timings) timings.reloaded = timings.copied;
      return `${files.length} file(s) copied, reloaded by ${reloadSignal}`;
    }
    throwIfAborted(signal);
    const restart = this.own.expect(id, 'die', 'start');
    // Until it answers again, an exit is this sync's to report (it fails), not news.
    const exitBeforeAnswering = this.own.expect(id, 'die');
    // While it restarts the gateway holds its requests rather than send them to a closing port.
    instance.state = 'starting';
    this.publish();
    try {
      const restartedAt = Math.floor(Date.now() / 1000);
      await this.engine.restart(id).catch((error: unknown) => {
        restart.withdraw();
        throw error;
      });
      // The attach stream ended with the old process: follow the new one's output from the restart on.
      await instance.logs.follow(id, restartedAt);
      await this.waitUntilServing(instance.hostPort, signal, async () => (await this.engine.inspect(id))?.running ?? false);
      instance.state = 'ready';
      if (timings) timings.reloaded = epochNow();
      this.prepareSync(instance);
      if (instance.debug) instance.debug.restarts++;
      this.publish();
      if (instance.debug) this.debug.announce(this.debugTarget);
    } catch (error) {
      // Same container, new files: when the restarted process exits there is no old code to fall back on.
      const info = await this.engine.inspect(id).catch(() => undefined);
      if (!info || info.running || isCancellation(error)) {
        // Still running (slow to answer, or the sync was cancelled): the gateway may try it again.
        if (this.instances.has(id)) instance.state = 'ready';
        this.publish();
        throw error;
      }
      await instance.logs.ended(1_000); // its last words (a stack trace) reach the channel first
      this.forget(instance);
      this.resting = { kind: 'exited', exitCode: info.exitCode ?? -1 };
      if (!this.liveInstances().length) this.turnOff(`${this.spec.name} exited with code ${info.exitCode} after a sync: fix the code in VS Code, then run Build and Run`);
      void this.removeContainer(id, 0).catch(() => undefined);
      this.publish();
      throw new SyncStoppedError(`the restarted process exited with code ${info.exitCode} before it listened on port ${this.spec.port}: see its output above. Fix the code, then run Build and Run`);
    } finally {
      exitBeforeAnswering.withdraw();
    }
    return `${files.length} file(s) copied, container restarted`;
  }

  /** A function with sync rules will likely sync: its instance's receiver starts now, not at the first save. */
  private prepareSync(instance: Instance): void {
    if (this.spec.sync.length) this.engine.prepareSync(instance.id);
  }

  private async update(signal: AbortSignal): Promise<string> {
    this.mode = 'on';
    this.offReason = undefined;
    this.publish();
    const old = this.liveInstances();
    const started = performance.now();
    try {
      await this.buildImage(signal);
      const built = performance.now();
      // While debugging exactly one (the debugged one); else as many as serve now, at least max(min, 1).
      const count = this.debug.on ? 1 : Math.max(this.spec.scale.min, 1, old.filter((i) => !i.debug).length);
      this.step = 'start';
      this.refresh();
      const fresh = await this.startInstances(count, signal, 'all');
      if (!fresh.length) return this.url; // it was a job: it ran to completion
      this.retire(old);
      const labels = fresh.map((i) => i.label).join(', ');
      this.sink.appendLine(`▶ ${this.spec.name} running at ${this.url}/ (${labels}; build ${seconds(built - started)}, start ${seconds(performance.now() - built)})${this.debug.on ? `, debugger on 127.0.0.1:${fresh[0].debug?.hostPort}` : ''}`);
      this.setLastError(undefined);
      if (this.debug.on) this.debug.announce(this.debugTarget);
      return this.url;
    } catch (error) {
      const cancelled = isCancellation(error);
      if (cancelled) this.sink.appendLine('[build] cancelled (stopped, or replaced by a newer change)');
      else if (error instanceof BuildFailedError) this.sink.appendLine(`✖ ${errorMessage(error)}`);
      else this.sink.appendLine(`✖ ${this.spec.name} did not start: ${errorMessage(error)}`);
      const serving = old.filter((i) => this.instances.has(i.id));
      const keepsServing = serving.length ? `; the previous instance${serving.length > 1 ? 's keep' : ' keeps'} serving at ${this.url}/` : '';
      if (keepsServing) this.sink.appendLine(`  the previous instance${serving.length > 1 ? 's keep' : ' keeps'} serving at ${this.url}/`);
      if (cancelled) throw new CancelledError();
      const message = errorMessage(error);
      if (!serving.length && this.resting.kind !== 'exited' && this.resting.kind !== 'job') this.resting = { kind: 'failed', message };
      // Nothing serves: requests must not start it again and again (only idleness starts on a request).
      if (!serving.length && this.mode === 'on') this.turnOff(`${this.spec.name} did not start: see its output channel in VS Code, fix it, then run Build and Run`);
      this.setLastError(message);
      if (error instanceof BuildFailedError) throw new UserFacingError(`${this.spec.name}: ${message}`, error.stepOutput);
      if (error instanceof StartFailedError) throw new UserFacingError(`${this.spec.name}: ${message}${keepsServing}.${error.remedy ? ` ${error.remedy}` : ''}`);
      throw error;
    } finally {
      this.step = undefined;
      this.refresh();
    }
  }

  /**
   * The function's image, built now only when its content digest label differs from the context's
   * (the files changed since the last build, or nothing was built): what Push Image sends. Waits its
   * turn behind an update under way; a newer rebuild cancels it. Build output goes to the channel.
   */
  prepareImage(signal?: AbortSignal): Promise<PreparedImage> {
    this.assertConfigured();
    return this.exclusive(false, signal, async (abort) => {
      const context = await this.buildContext();
      const tag = imageTag(this.spec.name, this.ownerId);
      if ((await this.engine.imageLabels(tag))?.[LABEL_DIGEST] === context.digest) return { tag, digest: context.digest, built: false };
      try {
        await this.buildImage(abort, context);
      } catch (error) {
        if (isCancellation(error)) this.sink.appendLine('[build] cancelled');
        else this.sink.appendLine(`✖ ${errorMessage(error)}`);
        if (error instanceof BuildFailedError) throw new UserFacingError(`${this.spec.name}: ${errorMessage(error)}`, error.stepOutput);
        throw error;
      } finally {
        this.refresh();
      }
      return { tag, digest: context.digest, built: true };
    });
  }

  /** The files a build sends (after .dockerignore, never the env file) and their content digest. */
  private async buildContext(): Promise<{ files: string[]; digest: string }> {
    const envFile = await this.resolveEnvFile();
    const files = await listContextFiles(this.spec.folder, 'Dockerfile', envFile?.inContext ?? []);
    return { files, digest: await contentDigest({ folder: this.spec.folder, files, dockerfile: 'Dockerfile' }) };
  }

  /** Builds the function's image; the instances running keep serving meanwhile. */
  private async buildImage(signal: AbortSignal, context?: { files: string[]; digest: string }): Promise<void> {
    this.step = 'build';
    this.refresh();
    const started = performance.now();
    try {
      const { files, digest } = context ?? await this.buildContext();
      const build = planBuild(this.spec, this.ownerId, files, digest, this.options.buildNetwork?.());
      this.sink.appendLine(`[build] ${this.spec.name}: building ${build.tag} (${files.length} files in context${build.network ? ', host network' : ''})`);
      const prefixed = linePrefixer('[build] ');
      await this.engine.build(build, (text) => this.sink.append(prefixed(text)), signal);
      this.sink.appendLine(`[build] done in ${seconds(performance.now() - started)}`);
      throwIfAborted(signal);
      const reload = (await this.engine.imageLabels(build.tag))?.[RELOAD_LABEL];
      this.image = { tag: build.tag, reloadSignal: reload === 'sighup' ? 'SIGHUP' : undefined, stale: false, synced: new Set() };
    } finally {
      this.step = undefined;
    }
  }

  /**
   * Starts `count` instances at once. `all`: every one must answer, or the ones that did are removed
   * again and the error thrown (a rolling update keeps the old ones then). `any`: the ones that answer
   * stay, the others are reported to the gateway (a scale-up).
   */
  private async startInstances(count: number, signal: AbortSignal, need: 'all' | 'any'): Promise<Instance[]> {
    const envFileValues = await this.readEnvFile();
    const results = await Promise.allSettled(Array.from({ length: count }, () => this.startInstance(envFileValues, signal)));
    const fresh = results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed && need === 'all') {
      this.retire(fresh, false);
      throw failed.reason;
    }
    if (failed) {
      this.routing.startFailed(this.spec.name, results.length - fresh.length, errorMessage(failed.reason));
      this.setLastError(errorMessage(failed.reason));
    }
    return fresh;
  }

  /**
   * Creates and starts one instance on a free port of 127.0.0.1 and waits until it answers. An
   * instance that exits first is removed once its output is in the channel; one that exits at
   * start with no port declared anywhere is a job (returns undefined, see runAsJob).
   */
  private async startInstance(envFileValues: Record<string, string>, signal: AbortSignal): Promise<Instance | undefined> {
    const hostPort = await findFreePort();
    const label = `${this.spec.name}-${this.nextLabel++}`;
    const request = planRun(this.spec, this.ownerId, hostPort, { ...this.routing.instanceEnv, ...envFileValues });
    request.labels[LABEL_INSTANCE] = label;
    const debug = await this.debug.planInstance(request, this.spec);
    throwIfAborted(signal);
    this.sink.appendLine(`[run] ${label}: ${describeRun(request)}`);
    const id = await this.engine.create(request);
    const instance = new Instance(id, hostPort, label, this.engine, this.sink);
    if (debug && request.debugPort) instance.debug = { hostPort: request.debugPort.hostPort, restarts: 0 };
    this.instances.set(id, instance);
    this.publish();
    const exitBeforeAnswering = this.own.expect(id, 'die');
    let startedAt = performance.now();
    try {
      instance.workingDir = (await this.engine.inspect(id))?.workingDir ?? '/';
      // Files synced since the image was built: a new instance must serve what the others serve.
      const synced = [...(this.image?.synced ?? [])];
      if (synced.length) await this.engine.copyInto(id, this.spec.folder, synced, instance.workingDir);
      if (debug) await this.engine.putFiles(id, debug.files);
      this.own.expect(id, 'start');
      await instance.logs.follow(id);
      startedAt = performance.now();
      await this.engine.start(id);
      const address = this.engine.remote ? undefined : (await this.engine.inspect(id))?.ipAddress;
      await this.waitUntilServing(hostPort, signal, async () => (await this.engine.inspect(id))?.running ?? false, address ? { host: address, port: this.spec.port } : undefined);
      exitBeforeAnswering.withdraw();
      instance.state = 'ready';
      this.resting = { kind: 'stopped' };
      this.publish();
      this.prepareSync(instance);
      return instance;
    } catch (error) {
      exitBeforeAnswering.withdraw();
      const info = await this.engine.inspect(id).catch(() => undefined);
      const failure = explainStartFailure(info, error, `${label}`, this.spec.port, this.readyTimeoutMs);
      if (failure.exited) await instance.logs.ended(1_000); // its last words (a stack trace) reach the channel first
      this.forget(instance);
      this.publish();
      await this.removeContainer(id, 0).catch(() => undefined);
      if (failure.exited && this.isJobShaped()) return this.recordJob(failure.exitCode ?? -1, performance.now() - startedAt);
      if (failure.exited && this.resting.kind !== 'job') this.resting = { kind: 'exited', exitCode: failure.exitCode ?? -1 };
      if (isCancellation(error)) throw error;
      throw new StartFailedError(failure.message, failure.remedy);
    }
  }

  /** No EXPOSE and no port in fn.json, and its container exited at start: a job, not a broken server. */
  private isJobShaped(): boolean {
    return mayBeJob(this.spec) && this.liveInstances().length === 0;
  }

  private recordJob(exitCode: number, durationMs: number): undefined {
    this.mode = 'off';
    const last = { exitCode, durationMs };
    this.resting = { kind: 'job', last };
    this.sink.appendLine(`■ ${this.spec.name} ran as a job (no EXPOSE and no "port" in fn.json): ${describeJobResult(last)}. Invoke runs it again with the payload on its stdin.`);
    if (exitCode !== 0) throw new UserFacingError(`${this.spec.name} ${describeJobResult(last)}: see its output in the function's output channel.`);
    return undefined;
  }

  /**
   * Takes instances out of rotation: marked draining (the gateway sends them nothing new), their
   * in-flight requests finish (bounded by timeoutSeconds), then they are removed in the background.
   */
  private retire(instances: Instance[], drain = true): void {
    if (!instances.length) return;
    for (const instance of instances) instance.state = 'draining';
    this.publish();
    for (const instance of instances) {
      const removal = (async () => {
        if (drain) await this.routing.drained(this.spec.name, instance.id, this.spec.timeoutSeconds * 1000 + 1_000);
        instance.logs.detach();
        await this.removeContainer(instance.id, 2);
      })()
        .catch((error: unknown) => this.sink.appendLine(`[run] could not remove ${instance.label} (${instance.id.slice(0, 12)}): ${errorMessage(error)}`))
        .finally(() => {
          this.forget(instance);
          this.retiring.delete(removal);
          this.publish();
        });
      this.retiring.add(removal);
    }
  }

  /** Waits for the container's server on 127.0.0.1:hostPort; with a remote engine, says how to reach it. */
  private async waitUntilServing(hostPort: number, signal: AbortSignal | undefined, isAlive?: () => Promise<boolean>, inContainer?: { host: string; port: number }): Promise<void> {
    const remote = this.engine.remote;
    if (!remote) return waitForPort(hostPort, this.readyTimeoutMs, signal, isAlive, inContainer);
    const notice = remotePublishNotice(remote, hostPort);
    this.sink.appendLine(`[run] ${notice}`);
    try {
      await waitForPort(hostPort, REMOTE_READY_TIMEOUT_MS, signal, isAlive);
    } catch (error) {
      if (isCancellation(error) || signal?.aborted || (isAlive && !(await isAlive()))) throw error;
      throw new UserFacingError(`started on ${remote.hostname}, but nothing answers on 127.0.0.1:${hostPort} of this machine. ${notice}`);
    }
  }

  /** Checked again at every use, not only at discovery: a link can be swapped in between. */
  private async resolveEnvFile(): Promise<{ file: string; inContext: string[] } | undefined> {
    if (!this.spec.envFile) return undefined;
    const resolved = await resolveEnvFile(this.spec.folder, this.spec.envFile, this.spec.workspaceFolder ?? this.spec.folder);
    if (!resolved.ok) throw new UserFacingError(`${this.spec.name}: ${resolved.message}`);
    return resolved;
  }

  private async readEnvFile(): Promise<Record<string, string>> {
    const envFile = await this.resolveEnvFile();
    if (!envFile) return {};
    try {
      return parseEnvFile(await fs.readFile(envFile.file, 'utf8'));
    } catch {
      throw new UserFacingError(`${this.spec.name}: the env file "${this.spec.envFile}" named in fn.json cannot be read: check its permissions, or remove "envFile".`);
    }
  }

  /**
   * Adopts a container of this function found by its labels (after a reload or a crash): a running
   * one becomes an instance again, a stopped one is removed (its output was in the old channel).
   */
  async adopt(info: ContainerInfo): Promise<void> {
    if (this.instances.has(info.id)) return;
    // A job's container (the host went while it ran) or a stopped instance: its output is gone with the old channel.
    // A debugged instance's session ended with the window that started it: its debugger is not left open.
    if (!info.running || !info.hostPort || info.labels[LABEL_KIND] === 'job' || info.labels[LABEL_DEBUG_PORT]) {
      await this.removeContainer(info.id, 0).catch(() => undefined);
      return;
    }
    const label = info.labels[LABEL_INSTANCE] ?? `${this.spec.name}-${this.nextLabel}`;
    const number = Number(/-(\d+)$/.exec(label)?.[1] ?? 0);
    this.nextLabel = Math.max(this.nextLabel, number + 1);
    const instance = new Instance(info.id, info.hostPort, label, this.engine, this.sink);
    instance.workingDir = (await this.engine.inspect(info.id))?.workingDir ?? '/';
    instance.state = 'ready';
    this.instances.set(info.id, instance);
    this.prepareSync(instance);
    if (!this.image) {
      const reload = (await this.engine.imageLabels(info.image))?.[RELOAD_LABEL];
      this.image = { tag: info.image, reloadSignal: reload === 'sighup' ? 'SIGHUP' : undefined, stale: false, synced: new Set() };
    }
    this.mode = 'on';
    this.sink.appendLine(`↺ found ${label} already running (container ${info.id.slice(0, 12)}): serving at ${this.url}/`);
    this.publish();
    await instance.logs.follow(info.id, Math.floor(Date.now() / 1000));
  }

  /** Reacts to Docker's event stream: an instance that exits or is removed outside VS Code leaves the set. */
  handleEvent(event: EngineEvent): void {
    // Our own starts, stops, restarts and removals announce themselves too: those are not news.
    if (this.own.claim(event)) return;
    const instance = this.instances.get(event.containerId);
    if (!instance) return;
    if (event.action === 'die') {
      this.sink.appendLine(`■ ${instance.label} exited with code ${event.exitCode ?? '?'}`);
      instance.state = 'draining'; // the gateway sends it nothing more
      this.publish();
      // Removed once its last words are in the channel: no stopped container stays behind. One
      // removed outside VS Code meanwhile (docker rm -f: die, then destroy) is already gone.
      void instance.logs.ended(1_000).then(async () => {
        if (!this.instances.has(instance.id)) return;
        // `docker rm -f` outside VS Code also kills first; its removal may not have been announced yet.
        const info = await this.engine.inspect(instance.id).catch(() => undefined);
        if (!this.instances.has(instance.id)) return;
        if (!info || info.state === 'removing') return this.removedOutside(instance);
        this.forget(instance);
        if (!this.liveInstances().length) {
          this.resting = { kind: 'exited', exitCode: event.exitCode ?? -1 };
          // Its last instance crashed: a request must not start it again and again (a crash loop).
          this.turnOff(`${this.spec.name} exited with code ${event.exitCode ?? '?'}: see its output channel in VS Code, fix it, then run Build and Run`);
        }
        this.publish();
        // Forgotten first: the destroy this announces finds no instance, so it needs no expectation.
        await this.engine.remove(instance.id, 0);
      }).catch(() => undefined);
    } else if (event.action === 'destroy') {
      this.removedOutside(instance);
    }
  }

  /** Removed outside VS Code: nothing starts it again until the user asks. */
  private removedOutside(instance: Instance): void {
    this.forget(instance);
    if (!this.liveInstances().length) {
      this.turnOff(`${this.spec.name} was removed outside VS Code: run Build and Run to start it again`);
      this.resting = { kind: 'stopped' };
    }
    this.publish();
  }

  /** After Clean Up removed its image. */
  markNotBuilt(): void {
    this.image = undefined;
    this.resting = { kind: 'notBuilt' };
    this.refresh();
  }

  /** Turns the function off and removes its instances; the image stays for a fast next start. */
  async stop(): Promise<void> {
    const wasOn = this.mode === 'on' || this.instances.size > 0;
    this.turnOff(`${this.spec.name} is stopped: run Build and Run in VS Code to start it`);
    // Stop ends a debug session too (its listener stops the session).
    this.debug.end();
    this.publish();
    this.inflight?.controller.abort();
    await this.inflight?.done.catch(() => undefined);
    await this.settleScaling();
    const all = [...this.instances.values()];
    await Promise.all(all.map(async (instance) => {
      instance.logs.detach();
      await this.removeContainer(instance.id, 3).catch(() => undefined);
      this.forget(instance);
    }));
    await Promise.all(this.retiring);
    if (this.resting.kind !== 'notBuilt' || wasOn) this.resting = { kind: 'stopped' };
    if (wasOn) this.sink.appendLine(`■ ${this.spec.name} stopped`);
    this.publish();
  }

  private async removeContainer(id: string, graceSeconds: number): Promise<void> {
    // A running container dies first; a stopped one is only destroyed.
    const removal = this.own.expect(id, 'die', 'destroy');
    try {
      await this.engine.remove(id, graceSeconds);
    } catch (error) {
      removal.withdraw();
      throw error;
    }
  }

  /** Throws, saying what to fix, when fn.json has problems: nothing runs with half a config. */
  assertConfigured(): void {
    if (this.spec.problems.length) {
      throw new UserFacingError(`${this.spec.name} is misconfigured: ${this.spec.problems[0].message} Fix fn.json, then try again.`);
    }
  }

  private liveInstances(): Instance[] {
    return [...this.instances.values()].filter((i) => i.state !== 'draining');
  }

  private readyInstances(): Instance[] {
    return [...this.instances.values()].filter((i) => i.state === 'ready');
  }

  private forget(instance: Instance): void {
    instance.logs.detach();
    this.instances.delete(instance.id);
    if (instance.debug && !this.disposed) this.debug.announce(this.debugTarget);
  }

  /** Off until Build and Run: requests get a 503 with `reason`. */
  private turnOff(reason: string): void {
    this.mode = 'off';
    this.offReason = reason;
  }

  /** Tells the gateway what it routes to now, and the view what it shows. */
  private publish(): void {
    if (!this.disposed) {
      this.routing.publish({
        name: this.spec.name,
        mode: this.spec.problems.length ? 'off' : this.mode,
        offReason: this.spec.problems.length ? `${this.spec.name} is misconfigured: fix fn.json` : this.offReason ?? `${this.spec.name} is stopped: run Build and Run in VS Code to start it`,
        scale: this.scale,
        timeoutSeconds: this.spec.timeoutSeconds,
        paused: this.debug.isPaused,
        instances: [...this.instances.values()].map((i) => ({ id: i.id, hostPort: i.hostPort, state: i.state, label: i.label })),
      });
    }
    this.refresh();
  }

  /** Works out the state from the mode, the instances and what is under way; tells listeners when it changed. */
  private refresh(force = false): void {
    const next = this.computeState();
    const withError: FunctionState = this.lastErrorText === undefined ? next : { ...next, lastError: this.lastErrorText };
    const debugging = next.kind === 'running' ? this.debug.status : undefined;
    const state: FunctionState = debugging ? { ...withError, debugging } : withError;
    if (!force && JSON.stringify(state) === JSON.stringify(this.currentState)) return;
    this.currentState = state;
    if (!this.disposed) this.stateEmitter.fire(state);
  }

  private computeState(): ContainerState {
    if (this.spec.problems.length) return { kind: 'misconfigured', message: this.spec.problems[0].message };
    if (this.step === 'job') return { kind: 'jobRunning' };
    if (this.step === 'build') return { kind: 'building', step: 'build' };
    const ready = this.readyInstances();
    if (ready.length) return { kind: 'running', url: this.url, containerId: ready[0].id, instances: this.instanceList };
    if (this.step === 'start' || this.liveInstances().length) return { kind: 'building', step: 'start' };
    if (this.mode === 'on' && this.resting.kind !== 'exited' && this.resting.kind !== 'failed') return { kind: 'scaledToZero', url: this.url };
    return this.resting;
  }

  /** Records how the last update went, in the state listeners see. */
  private setLastError(lastError: string | undefined): void {
    this.lastErrorText = lastError;
    this.refresh();
  }

  /**
   * Removes every instance at once (VS Code closes, or the function is gone: nothing is left running).
   * An update in flight is cancelled and waited for first, so a container it was creating is removed too.
   */
  async disposeAsync(): Promise<void> {
    this.mode = 'off';
    this.publish();
    this.disposed = true;
    this.inflight?.controller.abort();
    this.stateEmitter.dispose();
    this.debug.dispose();
    await this.inflight?.done.catch(() => undefined);
    await this.settleScaling();
    await Promise.all([...this.instances.values()].map(async (instance) => {
      instance.logs.detach();
      await this.removeContainer(instance.id, 0).catch(() => undefined);
    }));
    this.instances.clear();
    await Promise.all(this.retiring);
  }

  dispose(): void {
    void this.disposeAsync();
  }
}

/** The p50 as the tree shows it. */
function shownLatency(stats: FunctionStats | undefined): string | undefined {
  return stats?.p50Ms === undefined ? undefined : formatMs(stats.p50Ms);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A sync restarted the container and its process exited: nothing serves until the next Build and Run. */
class SyncStoppedError extends UserFacingError {}
