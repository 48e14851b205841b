import * as fs from 'node:fs/promises';
import { listContextFiles } from '../core/buildContext';
import { Emitter, type Disposable } from '../core/emitter';
import { CancelledError, errorMessage, isCancellation, UserFacingError } from '../core/errors';
import { resolveEnvFile } from '../core/envFile';
import { parseEnvFile } from '../core/fnConfig';
import type { FunctionSpec } from '../core/functionSpec';
import { describeRun, planBuild, planRun } from '../core/plan';
import { planUpdate, type FileChange } from '../core/updatePlan';
import { findFreePort, isPortFree, waitForPort } from '../core/ports';
import { remotePublishNotice } from '../engine/endpoint';
import { BuildFailedError, type ContainerEngine, type ContainerInfo, type EngineEvent, PortInUseError } from '../engine/engine';

/** Where a function's build output and container logs go: a vscode.OutputChannel fits this shape. */
export interface OutputSink {
  append(text: string): void;
  appendLine(text: string): void;
}

export type FunctionState =
  | { kind: 'notBuilt' }
  | { kind: 'building'; step: 'build' | 'start' }
  | { kind: 'running'; url: string; containerId: string; hostPort: number }
  | { kind: 'exited'; exitCode: number; containerId: string }
  | { kind: 'failed'; message: string }
  | { kind: 'stopped' }
  | { kind: 'misconfigured'; message: string };

/** Image label by which a Dockerfile says SIGHUP reloads its code in place (the templates set it). */
export const RELOAD_LABEL = 'local-serverless.reload';

/** How long a new container may take to listen on its port before we call the start failed. */
const READY_TIMEOUT_MS = 30_000;
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
  /** Set when the latest build failed while an older container still serves. */
  lastError: string | undefined;
  private containerId: string | undefined;
  private hostPort: number | undefined;
  /** Containers we are removing on purpose: their `die`/`destroy` events are not news. */
  private readonly removing = new Set<string>();
  /** Containers restarted by a sync: their die/start events are expected. */
  private readonly restarting = new Set<string>();
  /** Containers we are starting: their start event is expected. */
  private readonly starting = new Set<string>();
  /** Where the function folder lives in the container (its WORKDIR), for syncs. */
  private workingDir = '/';
  /** Signal that reloads the process in place, from the image label `local-serverless.reload`. */
  private reloadSignal: string | undefined;
  private logs: AbortController | undefined;
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

  constructor(
    public spec: FunctionSpec,
    private readonly engine: ContainerEngine,
    private readonly ownerId: string,
    private readonly openOutput: () => OutputSink,
  ) {
    if (spec.problems.length) this.currentState = { kind: 'misconfigured', message: spec.problems[0].message };
  }

  private output(): OutputSink {
    return this.sink;
  }

  get state(): FunctionState {
    return this.currentState;
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
    if (cancelPrevious) previous?.controller.abort();
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort();
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    const done = (async () => {
      await previous?.done.catch(() => undefined);
      try {
        if (controller.signal.aborted) throw new CancelledError();
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
      this.lastError = undefined;
      this.setState(this.currentState);
    } catch (error) {
      if (isCancellation(error)) return;
      out.appendLine(`✖ ${what} changed → ${plan.kind} failed: ${errorMessage(error)}; the last good container keeps serving`);
      this.lastError = errorMessage(error);
      this.setState(this.currentState);
    }
  }

  /** Copies files into the running container and reloads its process: SIGHUP when the image says it reloads on it, else a restart. */
  private async sync(files: string[], signal: AbortSignal): Promise<string> {
    const id = this.containerId;
    if (!id || this.currentState.kind !== 'running' || !this.hostPort) throw new Error('the function is not running');
    await this.engine.copyInto(id, this.spec.folder, files, this.workingDir);
    if (signal.aborted) throw new CancelledError();
    if (this.reloadSignal) {
      await this.engine.signal(id, this.reloadSignal);
      return `${files.length} file(s) copied, reloaded by ${this.reloadSignal}`;
    }
    this.restarting.add(id);
    try {
      const restartedAt = Math.floor(Date.now() / 1000);
      await this.engine.restart(id);
      // The attach stream ended with the old process: follow the new one's output from the restart on.
      await this.attachLogs(id, restartedAt);
      await this.waitUntilServing(this.hostPort, signal);
    } finally {
      this.restarting.delete(id);
    }
    return `${files.length} file(s) copied, container restarted`;
  }

  private async update(signal: AbortSignal): Promise<string> {
    const out = this.output();
    const hadContainer = this.serving;
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
      if (signal.aborted) throw new CancelledError();
      const reload = (await this.engine.imageLabels(build.tag))?.[RELOAD_LABEL];
      this.reloadSignal = reload === 'sighup' ? 'SIGHUP' : undefined;

      this.setState({ kind: 'building', step: 'start' });
      const url = await this.replaceContainer(signal);
      out.appendLine(`▶ ${this.spec.name} running at ${url} (build ${seconds(built - started)}, start ${seconds(performance.now() - built)})`);
      this.lastError = undefined;
      this.setState(this.currentState); // refresh listeners: lastError cleared
      return url;
    } catch (error) {
      if (isCancellation(error)) {
        out.appendLine('[build] cancelled (stopped, or replaced by a newer change)');
        this.restoreStateAfterFailure(hadContainer);
        throw new CancelledError();
      }
      const message = errorMessage(error);
      if (error instanceof BuildFailedError) {
        out.appendLine(`✖ ${message}`);
      } else {
        out.appendLine(`✖ ${this.spec.name} did not start: ${message}`);
      }
      if (hadContainer && this.containerId) {
        out.appendLine(`  the previous container keeps serving at ${this.url ?? `http://127.0.0.1:${this.hostPort}`}`);
      }
      this.lastError = message;
      // A container that exited by itself (a one-shot job, a crash at start) shows as exited with its code.
      if (!(error instanceof ContainerExitedError)) this.restoreStateAfterFailure(hadContainer, message);
      throw error instanceof BuildFailedError ? new UserFacingError(`${this.spec.name}: ${message}`, error.stepOutput) : error;
    }
  }

  private restoreStateAfterFailure(hadContainer: boolean, message?: string): void {
    if (hadContainer && this.containerId && this.hostPort) {
      this.setState({ kind: 'running', url: urlFor(this.hostPort), containerId: this.containerId, hostPort: this.hostPort });
    } else if (message) {
      this.setState({ kind: 'failed', message });
    } else {
      this.setState(this.containerId ? this.currentState : { kind: 'notBuilt' });
    }
  }

  /** Removes the old container (the host port stays the same across rebuilds) and starts the new one. */
  private async replaceContainer(signal: AbortSignal): Promise<string> {
    const out = this.output();
    const hostPort = await this.chooseHostPort();
    const envFileValues = await this.readEnvFile();
    const request = planRun(this.spec, this.ownerId, hostPort, envFileValues);
    if (signal.aborted) throw new CancelledError();
    // The old container holds the host port until it is gone; creating and attaching to the new
    // one needs no port, so both happen while the old one is being removed.
    const old = this.containerId;
    const removal = old ? this.removeContainer(old, 0) : Promise.resolve();
    out.appendLine(`[run] ${describeRun(request)}`);
    let id: string;
    try {
      id = await this.engine.create(request);
    } finally {
      await removal;
    }
    this.containerId = id;
    this.hostPort = hostPort;
    this.starting.add(id);
    try {
      await this.attachLogs(id);
      await this.engine.start(id).catch((error: unknown) => {
        if (error instanceof PortInUseError) throw new UserFacingError(`${error.message} Stop what uses it, or change "hostPort" in fn.json.`);
        throw error;
      });
      await this.waitUntilServing(hostPort, signal, async () => (await this.engine.inspect(id))?.running ?? false);
      this.workingDir = (await this.engine.inspect(id))?.workingDir ?? '/';
    } catch (error) {
      const info = await this.engine.inspect(id);
      if (info && !info.running) {
        this.setState({ kind: 'exited', exitCode: info.exitCode ?? -1, containerId: id });
        throw new ContainerExitedError(`the container exited with code ${info.exitCode} before it listened on port ${this.spec.port}: see its output above`);
      }
      await this.removeContainer(id, 0);
      this.containerId = undefined;
      throw error;
    } finally {
      // The start event may arrive after start() returns; keep treating it as ours for a moment.
      setTimeout(() => this.starting.delete(id), 2_000).unref();
    }
    const url = urlFor(hostPort);
    this.setState({ kind: 'running', url, containerId: id, hostPort });
    return url;
  }

  /**
   * Waits for the container's server on 127.0.0.1:hostPort. With a remote engine that address is
   * the other machine's: say so before waiting, wait briefly (a tunnel may exist), then say how to reach it.
   */
  private async waitUntilServing(hostPort: number, signal: AbortSignal, isAlive?: () => Promise<boolean>): Promise<void> {
    const remote = this.engine.remote;
    if (!remote) return waitForPort(hostPort, READY_TIMEOUT_MS, signal, isAlive);
    const notice = `${remotePublishNotice(remote, hostPort)} Pin the port with "hostPort" in fn.json so the tunnel keeps working.`;
    this.output().appendLine(`[run] ${notice}`);
    try {
      await waitForPort(hostPort, REMOTE_READY_TIMEOUT_MS, signal, isAlive);
    } catch (error) {
      if (isCancellation(error) || signal.aborted || (isAlive && !(await isAlive()))) throw error;
      throw new UserFacingError(`${this.spec.name} started on ${remote.hostname}, but nothing answers on 127.0.0.1:${hostPort} of this machine. ${notice}`);
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

  /** Streams the container's output into the function's sink until the container goes or we detach. */
  private async attachLogs(containerId: string, sinceUnixSeconds?: number): Promise<void> {
    this.logs?.abort();
    const controller = new AbortController();
    this.logs = controller;
    const out = this.output();
    const chunks = await this.engine.attach(containerId, controller.signal, sinceUnixSeconds);
    void (async () => {
      try {
        for await (const chunk of chunks) out.append(chunk.text);
      } catch (error) {
        if (!controller.signal.aborted) out.appendLine(`[logs] detached: ${errorMessage(error)}`);
      }
    })();
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
      await this.attachLogs(info.id, Math.floor(Date.now() / 1000));
    } else {
      this.setState({ kind: 'exited', exitCode: info.exitCode ?? -1, containerId: info.id });
    }
  }

  /** Reacts to Docker's event stream: a container stopped or removed outside VS Code shows as such. */
  handleEvent(event: EngineEvent): void {
    if (event.containerId !== this.containerId || this.removing.has(event.containerId)) return;
    // Our own starts and sync restarts announce themselves too: those are not news.
    if (this.restarting.has(event.containerId) && (event.action === 'die' || event.action === 'start')) return;
    if (this.starting.has(event.containerId) && event.action === 'start') return;
    if (event.action === 'die') {
      this.output().appendLine(`■ ${this.spec.name} exited with code ${event.exitCode ?? '?'}`);
      this.setState({ kind: 'exited', exitCode: event.exitCode ?? -1, containerId: event.containerId });
    } else if (event.action === 'destroy') {
      this.containerId = undefined;
      this.logs?.abort();
      if (this.currentState.kind !== 'building') this.setState({ kind: 'stopped' });
    } else if (event.action === 'start' && this.hostPort) {
      this.setState({ kind: 'running', url: urlFor(this.hostPort), containerId: event.containerId, hostPort: this.hostPort });
      // Restarted (by a sync, or outside VS Code): follow its output again from the restart on.
      void this.attachLogs(event.containerId, event.time ?? Math.floor(Date.now() / 1000)).catch(() => undefined);
    }
  }

  /** After Clean Up removed its image. */
  markNotBuilt(): void {
    if (!this.spec.problems.length) this.setState({ kind: 'notBuilt' });
  }

  /** Stops and removes the container; the image stays for a fast next start. */
  async stop(): Promise<void> {
    this.inflight?.controller.abort();
    await this.inflight?.done.catch(() => undefined);
    const id = this.containerId;
    if (!id) return; // nothing runs: a function that was never built stays "not built"
    await this.removeContainer(id, 3);
    this.output().appendLine(`■ ${this.spec.name} stopped`);
    this.containerId = undefined;
    this.setState({ kind: 'stopped' });
  }

  private async removeContainer(id: string, graceSeconds: number): Promise<void> {
    this.removing.add(id);
    try {
      if (this.containerId === id) this.logs?.abort();
      await this.engine.remove(id, graceSeconds);
    } finally {
      // Events for this container may still be in flight; keep ignoring them for a moment.
      setTimeout(() => this.removing.delete(id), 5_000).unref();
    }
  }

  /** Throws, saying what to fix, when fn.json has problems: nothing runs with half a config. */
  assertConfigured(): void {
    if (this.spec.problems.length) {
      throw new UserFacingError(`${this.spec.name} is misconfigured: ${this.spec.problems[0].message} Fix fn.json, then try again.`);
    }
  }

  private setState(state: FunctionState): void {
    // `building` keeps whatever container was serving before it.
    if (state.kind !== 'building') this.serving = state.kind === 'running';
    this.currentState = state;
    this.stateEmitter.fire(state);
  }

  /**
   * Removes the container at once (VS Code closes, or the function is gone: nothing is left running).
   * An update in flight is cancelled and waited for first, so a container it was creating is removed too.
   */
  async disposeAsync(): Promise<void> {
    this.disposed = true;
    this.inflight?.controller.abort();
    this.logs?.abort();
    this.stateEmitter.dispose();
    await this.inflight?.done.catch(() => undefined);
    this.logs?.abort();
    if (this.containerId) await this.removeContainer(this.containerId, 0).catch(() => undefined);
    this.containerId = undefined;
  }

  dispose(): void {
    void this.disposeAsync();
  }
}

class ContainerExitedError extends UserFacingError {}

export function urlFor(hostPort: number): string {
  return `http://127.0.0.1:${hostPort}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function prefixLines(text: string, prefix: string): string {
  return text.replace(/^(?=.)/gm, prefix);
}
