import * as fs from 'node:fs/promises';
import { listContextFiles } from '../core/buildContext';
import { Emitter, type Disposable } from '../core/emitter';
import { CancelledError, errorMessage, isCancellation, throwIfAborted, UserFacingError } from '../core/errors';
import { resolveEnvFile } from '../core/envFile';
import { parseEnvFile } from '../core/fnConfig';
import type { FunctionSpec } from '../core/functionSpec';
import { describeRun, planBuild, planRun } from '../core/plan';
import { planUpdate, type FileChange } from '../core/updatePlan';
import { findFreePort, isPortFree, waitForPort } from '../core/ports';
import { remotePublishNotice } from '../engine/endpoint';
import { LogFollower, type OutputSink } from './logFollower';
import { OwnEvents, type Expected } from './ownEvents';
import { explainStartFailure, PreviousContainers, StartFailedError, type PreviousContainer } from './replacement';
import { BuildFailedError, type ContainerEngine, type ContainerInfo, type EngineEvent, PortInUseError } from '../engine/engine';

export type { OutputSink } from './logFollower';

/** What the function's container is doing. */
export type ContainerState =
  | { kind: 'notBuilt' }
  | { kind: 'building'; step: 'build' | 'start' }
  | { kind: 'running'; url: string; containerId: string; hostPort: number }
  | { kind: 'exited'; exitCode: number; containerId: string }
  | { kind: 'failed'; message: string }
  | { kind: 'stopped' }
  | { kind: 'misconfigured'; message: string };

/**
 * The container's state, and the last update's error while it stands: a failed rebuild leaves the
 * previous container running, and the failure shows beside whatever state follows until an update succeeds.
 */
export type FunctionState = ContainerState & { lastError?: string };

/** Image label by which a Dockerfile says SIGHUP reloads its code in place (the templates set it). */
export const RELOAD_LABEL = 'local-serverless.reload';

export interface RunnerOptions {
  /** How long a new container may take to listen on its port before its start counts as failed (default 30 s). */
  readyTimeoutMs?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 30_000;
/**
 * A replaced container gets this long to exit on SIGTERM before SIGKILL. The templates exit at once,
 * and with `Init: true` a process with no SIGTERM handler of its own dies at once too.
 */
const STOP_GRACE_SECONDS = 2;
/**
 * With the engine on another machine the port is published there; only a tunnel makes it answer
 * here, and a tunnel to a listening server answers at once, so waiting longer tells nothing more.
 */
const REMOTE_READY_TIMEOUT_MS = 5_000;

/**
 * Owns one function's container: builds, replaces, adopts, stops it, and keeps its logs flowing
 * into one output sink across restarts. One update runs at a time; a newer one cancels an older
 * build still running. The last good container keeps serving until a new one has been built.
 */
export class FunctionRunner implements Disposable {
  private readonly stateEmitter = new Emitter<FunctionState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private currentState: FunctionState = { kind: 'notBuilt' };
  /** A container of ours is up and answering (also while a rebuild is under way). */
  private serving = false;
  private containerId: string | undefined;
  private hostPort: number | undefined;
  /** The transitions our own operations cause: their events are not news. */
  private readonly own = new OwnEvents();
  /** Containers a replacement left stopped, parked or being removed. */
  private readonly previous = new PreviousContainers(
    (id) => this.removeContainer(id, 0),
    (id, error) => this.output().appendLine(`[run] could not remove the previous container ${id.slice(0, 12)}: ${errorMessage(error)}`),
  );
  /** Signals of updates cancelled by a newer rebuild (not by Stop or the caller). */
  private readonly superseded = new WeakSet<AbortSignal>();
  /** Stop is under way: a cancelled update leaves a stopped previous container to it, rather than starting it again. */
  private stopping = false;
  /** Where the function folder lives in the container (its WORKDIR), for syncs. */
  private workingDir = '/';
  /** Signal that reloads the process in place, from the image label `local-serverless.reload`. */
  private reloadSignal: string | undefined;
  private inflight: { controller: AbortController; done: Promise<unknown> } | undefined;
  private disposed = false;
  /**
   * Where every line goes: the function's sink until the runner is disposed, then nowhere. A
   * removed function's channel is closed (VS Code throws on writing to it) while a cancelled build
   * or the log follower may still have a line to write.
   */
  private readonly sink: OutputSink = {
    append: (text) => {
      if (!this.disposed) this.openOutput().append(text);
    },
    appendLine: (text) => {
      if (!this.disposed) this.openOutput().appendLine(text);
    },
  };
  private readonly logs: LogFollower;

  constructor(
    public spec: FunctionSpec,
    private readonly engine: ContainerEngine,
    private readonly ownerId: string,
    private readonly openOutput: () => OutputSink,
    private readonly options: RunnerOptions = {},
  ) {
    this.logs = new LogFollower(engine, this.sink);
    if (spec.problems.length) this.currentState = { kind: 'misconfigured', message: spec.problems[0].message };
  }

  private output(): OutputSink {
    return this.sink;
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

  get url(): string | undefined {
    return this.currentState.kind === 'running' ? this.currentState.url : undefined;
  }

  updateSpec(spec: FunctionSpec): void {
    this.spec = spec;
    if (spec.problems.length) this.setState({ kind: 'misconfigured', message: spec.problems[0].message });
    else if (this.currentState.kind === 'misconfigured') this.setState(this.containerId ? this.currentState : { kind: 'notBuilt' });
  }

  /**
   * Builds the image and replaces the container. Resolves with the function's URL. A newer call
   * cancels this one while it is still building; the older container keeps serving on failure.
   */
  buildAndRun(signal?: AbortSignal): Promise<string> {
    this.assertConfigured();
    return this.exclusive(true, signal, (abort) => this.update(abort));
  }

  /**
   * Runs one update at a time. A rebuild cancels an update still building (its build request is
   * aborted, not left to finish); a sync waits for the update before it.
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
   * Applies a burst of saved files to the running function: copies `sync` files into the container
   * and reloads the process, or rebuilds and replaces the container. Logs one line saying what
   * changed, which path it took, and how long until the new code served. Never throws: a failed
   * update leaves the last good container serving and says why.
   */
  async applyChanges(changes: FileChange[]): Promise<void> {
    const plan = planUpdate(changes, this.spec);
    if (!plan || this.spec.problems.length) return;
    const out = this.output();
    const what = changes.length === 1 ? changes[0].path : `${changes.length} files (${changes.slice(0, 3).map((c) => c.path).join(', ')}${changes.length > 3 ? ', …' : ''})`;
    const started = performance.now();
    try {
      if (plan.kind === 'sync') {
        const how = await this.exclusive(false, undefined, (signal) => this.sync(plan.files, signal));
        out.appendLine(`↻ ${what} changed → sync (${how}): new code serving after ${Math.round(performance.now() - started)} ms`);
      } else {
        await this.buildAndRun();
        out.appendLine(`↻ ${what} changed → rebuild (${plan.reason}): new code serving after ${Math.round(performance.now() - started)} ms`);
      }
      this.setLastError(undefined);
    } catch (error) {
      if (isCancellation(error)) return;
      const serving = error instanceof SyncStoppedError ? '' : '; the last good container keeps serving';
      out.appendLine(`✖ ${what} changed → ${plan.kind} failed: ${errorMessage(error)}${serving}`);
      this.setLastError(errorMessage(error));
    }
  }

  /** Copies files into the running container and reloads its process: SIGHUP when the image says it reloads on it, else a restart. */
  private async sync(files: string[], signal: AbortSignal): Promise<string> {
    const id = this.containerId;
    if (!id || this.currentState.kind !== 'running' || !this.hostPort) throw new Error('the function is not running');
    await this.engine.copyInto(id, this.spec.folder, files, this.workingDir);
    throwIfAborted(signal);
    if (this.previous.parked) throw new CancelledError(); // a rebuild is next, and its image holds these files
    if (this.reloadSignal) {
      await this.engine.signal(id, this.reloadSignal);
      return `${files.length} file(s) copied, reloaded by ${this.reloadSignal}`;
    }
    const restart = this.own.expect(id, 'die', 'start');
    // Until it answers again, an exit is this sync's to report (it fails), not news.
    const exitBeforeAnswering = this.own.expect(id, 'die');
    try {
      const restartedAt = Math.floor(Date.now() / 1000);
      await this.engine.restart(id).catch((error: unknown) => {
        restart.withdraw();
        throw error;
      });
      // The attach stream ended with the old process: follow the new one's output from the restart on.
      await this.logs.follow(id, restartedAt);
      await this.waitUntilServing(this.hostPort, signal, async () => (await this.engine.inspect(id))?.running ?? false);
    } catch (error) {
      // Same container, new files: when the restarted process exits there is no old code to fall back on.
      const info = await this.engine.inspect(id).catch(() => undefined);
      if (!info || info.running || isCancellation(error)) throw error;
      await this.logs.ended(1_000); // its last words (a stack trace) reach the channel first
      this.setState({ kind: 'exited', exitCode: info.exitCode ?? -1, containerId: id });
      throw new SyncStoppedError(`the restarted process exited with code ${info.exitCode} before it listened on port ${this.spec.port}: see its output above. Fix the code, then run Build and Run`);
    } finally {
      exitBeforeAnswering.withdraw();
    }
    return `${files.length} file(s) copied, container restarted`;
  }

  private async update(signal: AbortSignal): Promise<string> {
    const out = this.output();
    const hadContainer = this.serving;
    const previousReloadSignal = this.reloadSignal;
    const started = performance.now();
    this.setState({ kind: 'building', step: 'build' });
    try {
      const envFile = await this.resolveEnvFile();
      const files = await listContextFiles(this.spec.folder, 'Dockerfile', envFile?.inContext ? [envFile.inContext] : []);
      const build = planBuild(this.spec, this.ownerId, files);
      out.appendLine(`[build] ${this.spec.name}: building ${build.tag} (${files.length} files in context)`);
      await this.engine.build(build, (text) => out.append(prefixLines(text, '[build] ')), signal);
      const built = performance.now();
      out.appendLine(`[build] done in ${seconds(built - started)}`);
      throwIfAborted(signal);
      const reload = (await this.engine.imageLabels(build.tag))?.[RELOAD_LABEL];
      this.reloadSignal = reload === 'sighup' ? 'SIGHUP' : undefined;

      this.setState({ kind: 'building', step: 'start' });
      const url = await this.replaceContainer(signal, previousReloadSignal);
      out.appendLine(`▶ ${this.spec.name} running at ${url} (build ${seconds(built - started)}, start ${seconds(performance.now() - built)})`);
      this.setLastError(undefined);
      return url;
    } catch (error) {
      const cancelled = isCancellation(error);
      if (cancelled) out.appendLine('[build] cancelled (stopped, or replaced by a newer change)');
      else if (error instanceof BuildFailedError) out.appendLine(`✖ ${errorMessage(error)}`);
      else out.appendLine(`✖ ${this.spec.name} did not start: ${errorMessage(error)}`);
      // A failed start has set the state itself: the previous container serving again, or the
      // new one shown as exited with its code (a one-shot job, a crash at start), or failed.
      let stateSet = error instanceof StartFailedError;
      if (!stateSet) this.reloadSignal = previousReloadSignal;
      // A previous container parked by an update a newer rebuild cancelled serves again, unless
      // this update too gives way to a newer rebuild.
      const parked = this.previous.parked;
      if (parked && !(cancelled && (this.superseded.has(signal) || this.stopping))) {
        this.previous.takeParked();
        if (!(await this.restorePrevious(parked))) stateSet = true;
      }
      if (cancelled) {
        if (!stateSet) this.restoreStateAfterFailure(hadContainer);
        throw new CancelledError();
      }
      const message = errorMessage(error);
      if (stateSet) this.setLastError(message);
      else this.restoreStateAfterFailure(hadContainer, message);
      const keepsServing = hadContainer && this.currentState.kind === 'running' ? this.currentState.url : undefined;
      if (keepsServing) out.appendLine(`  the previous container keeps serving at ${keepsServing}`);
      if (error instanceof BuildFailedError) throw new UserFacingError(`${this.spec.name}: ${message}`, error.stepOutput);
      if (error instanceof StartFailedError) {
        const serving = keepsServing ? `; the previous container keeps serving at ${keepsServing}` : '';
        throw new UserFacingError(`${this.spec.name}: ${message}${serving}.${error.remedy ? ` ${error.remedy}` : ''}`);
      }
      throw error;
    }
  }

  /** After a failed update (`message`) or a cancelled one (none: the last error stays as it was). */
  private restoreStateAfterFailure(hadContainer: boolean, message?: string): void {
    const lastError = message === undefined ? {} : { lastError: message };
    if (hadContainer && this.containerId && this.hostPort) {
      this.setState({ kind: 'running', url: urlFor(this.hostPort), containerId: this.containerId, hostPort: this.hostPort, ...lastError });
    } else if (message) {
      this.setState({ kind: 'failed', message, ...lastError });
    } else {
      this.setState(this.containerId ? this.currentState : { kind: 'notBuilt' });
    }
  }

  /**
   * Starts the new container on the function's host port, so its URL stays the same. A serving
   * container is stopped to free the port, not removed: should the new one fail to start, exit, or
   * not answer within the ready timeout, the new one is removed and the previous one started
   * again. Once the new one answers, the previous one is removed in the background.
   */
  private async replaceContainer(signal: AbortSignal, previousReloadSignal: string | undefined): Promise<string> {
    const out = this.output();
    const hostPort = await this.chooseHostPort();
    const envFileValues = await this.readEnvFile();
    const request = planRun(this.spec, this.ownerId, hostPort, envFileValues);
    throwIfAborted(signal);
    const old = this.containerId;
    const parked = this.previous.takeParked();
    const previous: PreviousContainer | undefined = parked ?? (old && this.serving && this.hostPort
      ? { id: old, hostPort: this.hostPort, workingDir: this.workingDir, reloadSignal: previousReloadSignal }
      : undefined);
    // The old container holds the host port until it stops; creating the new one needs no port,
    // so both happen at once. One that no longer serves is not worth keeping.
    if (previous) this.previous.standBy(previous);
    const freeing = parked || !old ? Promise.resolve() : previous ? this.stopContainer(previous.id) : this.removeContainer(old, 0);
    out.appendLine(`[run] ${describeRun(request)}`);
    let id: string | undefined;
    /** Until the new container answers, an exit is this method's to report, not news. */
    let exitBeforeAnswering: Expected | undefined;
    try {
      try {
        id = await this.engine.create(request);
      } finally {
        await freeing;
      }
      this.containerId = id;
      this.hostPort = hostPort;
      this.own.expect(id, 'start');
      exitBeforeAnswering = this.own.expect(id, 'die');
      await this.logs.follow(id);
      await this.engine.start(id).catch((error: unknown) => {
        if (error instanceof PortInUseError) throw new UserFacingError(`${error.message} Stop what uses it, or change "hostPort" in fn.json.`);
        throw error;
      });
      await this.waitUntilAnswering(id, hostPort, signal);
      exitBeforeAnswering.withdraw();
      this.workingDir = (await this.engine.inspect(id))?.workingDir ?? '/';
    } catch (error) {
      const info = id ? await this.engine.inspect(id).catch(() => undefined) : undefined;
      const failure = explainStartFailure(info, error, previous ? 'the new container' : 'the container', this.spec.port, this.readyTimeoutMs);
      if (failure.exited) await this.logs.ended(1_000); // its last words (a stack trace) reach the channel first
      if (id && (previous || !failure.exited)) await this.removeContainer(id, 0);
      if (previous && isCancellation(error) && (this.superseded.has(signal) || this.stopping)) {
        // A newer rebuild comes next and would stop the previous container again at once, or Stop removes it.
        this.parkPrevious(previous);
      } else if (previous) {
        await this.restorePrevious(previous);
      } else if (id && failure.exited) {
        // Nothing served before: keep the container, so its exit code and output stay to see.
        this.setState({ kind: 'exited', exitCode: failure.exitCode ?? -1, containerId: id });
      } else {
        this.containerId = undefined;
        if (!isCancellation(error)) this.setState({ kind: 'failed', message: failure.message });
      }
      if (isCancellation(error) || (!id && !previous)) throw error;
      throw new StartFailedError(failure.message, failure.remedy);
    }
    if (previous) this.previous.retire(previous.id);
    const url = urlFor(hostPort);
    this.setState({ kind: 'running', url, containerId: id, hostPort });
    return url;
  }

  /**
   * Waits for the container's server on 127.0.0.1:hostPort. With a remote engine that address is
   * the other machine's: say so before waiting, wait briefly (a tunnel may exist), then say how to reach it.
   */
  private async waitUntilServing(hostPort: number, signal: AbortSignal | undefined, isAlive?: () => Promise<boolean>): Promise<void> {
    const remote = this.engine.remote;
    if (!remote) return waitForPort(hostPort, this.readyTimeoutMs, signal, isAlive);
    const notice = `${remotePublishNotice(remote, hostPort)} Pin the port with "hostPort" in fn.json so the tunnel keeps working.`;
    this.output().appendLine(`[run] ${notice}`);
    try {
      await waitForPort(hostPort, REMOTE_READY_TIMEOUT_MS, signal, isAlive);
    } catch (error) {
      if (isCancellation(error) || signal?.aborted || (isAlive && !(await isAlive()))) throw error;
      throw new UserFacingError(`started on ${remote.hostname}, but nothing answers on 127.0.0.1:${hostPort} of this machine. ${notice}`);
    }
  }

  /** Resolves once the container answers on its port; rejects when it exits first or the ready timeout passes. */
  private async waitUntilAnswering(id: string, hostPort: number, signal?: AbortSignal): Promise<void> {
    await this.waitUntilServing(hostPort, signal, async () => (await this.engine.inspect(id))?.running ?? false);
  }

  private parkPrevious(previous: PreviousContainer): void {
    this.previous.park(previous);
    this.containerId = previous.id;
    this.hostPort = previous.hostPort;
    this.workingDir = previous.workingDir;
    this.reloadSignal = previous.reloadSignal;
  }

  /** Starts the container a failed replacement stopped, on its port, and waits until it answers again. */
  private async restorePrevious(previous: PreviousContainer): Promise<boolean> {
    this.containerId = previous.id;
    this.hostPort = previous.hostPort;
    this.workingDir = previous.workingDir;
    this.reloadSignal = previous.reloadSignal;
    this.own.expect(previous.id, 'start');
    // Until it answers, an exit is this method's to report, not news.
    const exitBeforeAnswering = this.own.expect(previous.id, 'die');
    this.output().appendLine(`↺ starting the previous container (${previous.id.slice(0, 12)}) again`);
    try {
      await this.logs.follow(previous.id);
      await this.engine.start(previous.id);
      // Not cancellable: whatever runs next (a retry, a sync) must find it serving.
      await this.waitUntilAnswering(previous.id, previous.hostPort);
      exitBeforeAnswering.withdraw();
      this.setState({ kind: 'running', url: urlFor(previous.hostPort), containerId: previous.id, hostPort: previous.hostPort });
      return true;
    } catch (error) {
      const info = await this.engine.inspect(previous.id).catch(() => undefined);
      this.output().appendLine(`✖ the previous container did not start again either: ${errorMessage(error)}`);
      if (info && !info.running) this.setState({ kind: 'exited', exitCode: info.exitCode ?? -1, containerId: previous.id });
      else this.setState({ kind: 'failed', message: errorMessage(error) });
      return false;
    } finally {
      this.previous.restored(previous.id);
    }
  }

  private async chooseHostPort(): Promise<number> {
    if (this.spec.hostPort) {
      if (this.hostPort !== this.spec.hostPort || !this.containerId) {
        if (!(await isPortFree(this.spec.hostPort))) {
          throw new UserFacingError(`Port ${this.spec.hostPort} on 127.0.0.1 (hostPort in fn.json) is already in use: stop what uses it, or pick another hostPort.`);
        }
      }
      return this.spec.hostPort;
    }
    return this.hostPort ?? findFreePort();
  }

  /** Checked again at every use, not only at discovery: a link can be swapped in between. */
  private async resolveEnvFile(): Promise<{ file: string; inContext: string | undefined } | undefined> {
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

  /** Adopts a container of this function found by its labels (after a reload or a crash). */
  async adopt(info: ContainerInfo): Promise<void> {
    if (this.containerId === info.id) return;
    this.containerId = info.id;
    this.hostPort = info.hostPort;
    this.workingDir = (await this.engine.inspect(info.id))?.workingDir ?? '/';
    this.reloadSignal = (await this.engine.imageLabels(info.image))?.[RELOAD_LABEL] === 'sighup' ? 'SIGHUP' : undefined;
    if (info.running && info.hostPort) {
      this.setState({ kind: 'running', url: urlFor(info.hostPort), containerId: info.id, hostPort: info.hostPort });
      this.output().appendLine(`↺ found ${this.spec.name} already running at ${urlFor(info.hostPort)} (container ${info.id.slice(0, 12)})`);
      await this.logs.follow(info.id, Math.floor(Date.now() / 1000));
    } else {
      this.setState({ kind: 'exited', exitCode: info.exitCode ?? -1, containerId: info.id });
    }
  }

  /** Reacts to Docker's event stream: a container stopped or removed outside VS Code shows as such. */
  handleEvent(event: EngineEvent): void {
    // Our own starts, stops, restarts and removals announce themselves too: those are not news.
    if (this.own.claim(event) || event.containerId !== this.containerId) return;
    if (event.action === 'die') {
      this.output().appendLine(`■ ${this.spec.name} exited with code ${event.exitCode ?? '?'}`);
      this.setState({ kind: 'exited', exitCode: event.exitCode ?? -1, containerId: event.containerId });
    } else if (event.action === 'destroy') {
      this.containerId = undefined;
      this.logs.detach();
      if (this.currentState.kind !== 'building') this.setState({ kind: 'stopped' });
    } else if (event.action === 'start' && this.hostPort) {
      this.setState({ kind: 'running', url: urlFor(this.hostPort), containerId: event.containerId, hostPort: this.hostPort });
      // Restarted (by a sync, or outside VS Code): follow its output again from the restart on.
      void this.logs.follow(event.containerId, event.time ?? Math.floor(Date.now() / 1000)).catch(() => undefined);
    }
  }

  /** After Clean Up removed its image. */
  markNotBuilt(): void {
    if (!this.spec.problems.length) this.setState({ kind: 'notBuilt' });
  }

  /** Stops and removes the container; the image stays for a fast next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    try {
      this.inflight?.controller.abort();
      await this.inflight?.done.catch(() => undefined);
      const id = this.containerId;
      await this.previous.settleForStop();
      if (!id) return; // nothing runs: a function that was never built stays "not built"
      await this.removeContainer(id, 3);
      this.output().appendLine(`■ ${this.spec.name} stopped`);
      this.containerId = undefined;
      this.setState({ kind: 'stopped' });
    } finally {
      this.stopping = false;
    }
  }

  private async removeContainer(id: string, graceSeconds: number): Promise<void> {
    // A running container dies first; a stopped one is only destroyed.
    const removal = this.own.expect(id, 'die', 'destroy');
    try {
      if (this.containerId === id) this.logs.detach();
      await this.engine.remove(id, graceSeconds);
    } catch (error) {
      removal.withdraw();
      throw error;
    }
  }

  /** Stops a container we keep (a previous one, freeing its port for a new one). */
  private async stopContainer(id: string): Promise<void> {
    const stopping = this.own.expect(id, 'die');
    await this.engine.stop(id, STOP_GRACE_SECONDS).catch((error: unknown) => {
      stopping.withdraw();
      throw error;
    });
  }

  /** Throws, saying what to fix, when fn.json has problems: nothing runs with half a config. */
  assertConfigured(): void {
    if (this.spec.problems.length) {
      throw new UserFacingError(`${this.spec.name} is misconfigured: ${this.spec.problems[0].message} Fix fn.json, then try again.`);
    }
  }

  /** Changes state; the last error carries over unless `state` says otherwise. */
  private setState(state: FunctionState): void {
    // `building` keeps whatever container was serving before it.
    if (state.kind !== 'building') this.serving = state.kind === 'running';
    const lastError = 'lastError' in state ? state.lastError : this.currentState.lastError;
    const { lastError: _previous, ...container } = state;
    this.currentState = lastError === undefined ? container as ContainerState : { ...container as ContainerState, lastError };
    this.stateEmitter.fire(this.currentState);
  }

  /** Records how the last update went, in the state listeners see. */
  private setLastError(lastError: string | undefined): void {
    this.setState({ ...this.currentState, lastError });
  }

  /**
   * Removes the container at once (VS Code closes, or the function is gone: nothing is left running).
   * An update in flight is cancelled and waited for first, so a container it was creating is removed too.
   */
  async disposeAsync(): Promise<void> {
    this.disposed = true;
    this.inflight?.controller.abort();
    this.logs.detach();
    this.stateEmitter.dispose();
    await this.inflight?.done.catch(() => undefined);
    this.logs.detach();
    if (this.containerId) await this.removeContainer(this.containerId, 0).catch(() => undefined);
    await this.previous.removeAll();
    this.containerId = undefined;
  }

  dispose(): void {
    void this.disposeAsync();
  }
}

export function urlFor(hostPort: number): string {
  return `http://127.0.0.1:${hostPort}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function prefixLines(text: string, prefix: string): string {
  return text.replace(/^(?=.)/gm, prefix);
}

/** A sync restarted the container and its process exited: nothing serves until the next Build and Run. */
class SyncStoppedError extends UserFacingError {}
