import { Emitter, type Disposable } from '../core/emitter';
import { errorMessage } from '../core/errors';
import type { FunctionSpec } from '../core/functionSpec';
import { LABEL_FUNCTION, LABEL_OWNER, LEGACY_LABEL_WORKSPACE } from '../core/names';
import { EngineUnavailableError, InvalidEngineAddressError, type ContainerEngine } from '../engine/engine';
import { FunctionRunner, type OutputSink, type RunnerOptions } from './functionRunner';
import type { GatewayHandle } from './gatewayTypes';
import { GatewayRouting } from './routing';

export interface RegistryOptions {
  log?: (message: string) => void;
  /** Called when a function is gone from the workspace: its output (a VS Code channel) may be closed. */
  releaseOutput?: (name: string) => void;
  /** The folder-only id older versions labelled containers with (workspaceId), to find and mention them. */
  legacyWorkspaceId?: string;
  /** Environment every instance gets (the gateway address its container reaches). */
  instanceEnv?: Record<string, string>;
  runner?: RunnerOptions;
}

export type EngineStatus =
  | { kind: 'unknown' }
  | { kind: 'available' }
  /** `invalidAddress`: the configured address itself is wrong (nothing was dialled), with where it is set. */
  | { kind: 'unavailable'; message: string; reason: EngineUnavailableError['reason']; invalidAddress?: { address: string; source: string } };

/**
 * The workspace's functions and their runners. Watches Docker's event stream (not a poll) so
 * containers changed outside VS Code show as such, and adopts this instance's containers found by
 * their owner label after a reload or a crash. Another VS Code instance on the same folder has
 * another owner id: its containers are never adopted, replaced or cleaned up here.
 */
export class FunctionRegistry implements Disposable {
  private readonly runners = new Map<string, FunctionRunner>();
  private readonly changeEmitter = new Emitter<void>();
  readonly onDidChange = this.changeEmitter.event;
  private status: EngineStatus = { kind: 'unknown' };
  private events: AbortController | undefined;
  private disposed = false;
  /** Containers of older versions already mentioned in the log: said once, not at every reconnect. */
  private readonly legacyMentioned = new Set<string>();

  private readonly log: (message: string) => void;
  private readonly releaseOutput: (name: string) => void;
  private readonly legacyWorkspaceId: string | undefined;
  /** The gateway's side in this host: runners publish their instances through it. */
  readonly routing: GatewayRouting;
  private readonly runnerOptions: RunnerOptions;

  constructor(
    private readonly engine: ContainerEngine,
    /** See ownerId: this VS Code instance on this folder. */
    readonly ownerId: string,
    private readonly outputFor: (name: string) => OutputSink,
    /** Through which every function is reached: one per window. */
    gateway: GatewayHandle,
    options: RegistryOptions = {},
  ) {
    this.log = options.log ?? (() => undefined);
    this.releaseOutput = options.releaseOutput ?? (() => undefined);
    this.legacyWorkspaceId = options.legacyWorkspaceId;
    this.runnerOptions = options.runner ?? {};
    this.routing = new GatewayRouting(gateway, (name) => this.runners.get(name), options.instanceEnv);
  }

  get engineStatus(): EngineStatus {
    return this.status;
  }

  get functions(): FunctionRunner[] {
    return [...this.runners.values()].sort((a, b) => a.spec.name.localeCompare(b.spec.name));
  }

  get(name: string): FunctionRunner | undefined {
    return this.runners.get(name);
  }

  /** The function whose folder holds `file`, the innermost when folders nest. */
  findByFile(file: string): FunctionRunner | undefined {
    return this.functions
      .filter((r) => file === r.spec.folder || file.startsWith(r.spec.folder + '/') || file.startsWith(r.spec.folder + '\\'))
      .sort((a, b) => b.spec.folder.length - a.spec.folder.length)[0];
  }

  /**
   * Replaces the set of known functions with a fresh discovery result. A function that is gone (its
   * folder deleted, or renamed in fn.json) has its container removed and its output channel closed;
   * listeners (AutoReload) hear the change and stop its watcher.
   */
  setSpecs(specs: FunctionSpec[]): void {
    const names = new Set(specs.map((s) => s.name));
    for (const [name, runner] of this.runners) {
      if (!names.has(name)) {
        // The runner writes nothing once disposed, so its channel can be closed at once.
        runner.dispose();
        this.runners.delete(name);
        this.releaseOutput(name);
        this.routing.remove(name);
      }
    }
    for (const spec of specs) {
      const existing = this.runners.get(spec.name);
      if (existing) {
        existing.updateSpec(spec);
        continue;
      }
      const runner = new FunctionRunner(spec, this.engine, this.ownerId, () => this.outputFor(spec.name), this.routing, this.runnerOptions);
      runner.onDidChangeState(() => this.changeEmitter.fire());
      this.runners.set(spec.name, runner);
    }
    this.changeEmitter.fire();
  }

  /**
   * Checks the engine, adopts this workspace's containers and (re)starts the event stream.
   * Never throws: an unreachable engine becomes the `unavailable` status the view shows.
   */
  async connect(): Promise<EngineStatus> {
    try {
      await this.engine.ping();
      await this.adoptContainers();
      await this.mentionLegacyContainers();
      this.startEvents();
      this.setStatus({ kind: 'available' });
    } catch (error) {
      const invalidAddress = error instanceof InvalidEngineAddressError ? { address: error.address, source: error.source } : undefined;
      const reason = error instanceof EngineUnavailableError ? error.reason : 'unreachable';
      this.setStatus({ kind: 'unavailable', message: errorMessage(error), reason, invalidAddress });
    }
    return this.status;
  }

  private async adoptContainers(): Promise<void> {
    for (const info of await this.engine.list({ [LABEL_OWNER]: this.ownerId })) {
      const runner = this.runners.get(info.labels[LABEL_FUNCTION]);
      if (runner) await runner.adopt(info);
    }
  }

  /**
   * Containers an older version made for this folder carry only the folder's id, not which VS Code
   * instance made them: adopting them could take another instance's. They are left alone, and the
   * log says how to remove them.
   */
  private async mentionLegacyContainers(): Promise<void> {
    if (!this.legacyWorkspaceId) return;
    const found = (await this.engine.list({ [LEGACY_LABEL_WORKSPACE]: this.legacyWorkspaceId }))
      .filter((c) => !c.labels[LABEL_OWNER] && !this.legacyMentioned.has(c.id));
    if (!found.length) return;
    for (const c of found) this.legacyMentioned.add(c.id);
    const ids = found.map((c) => c.id.slice(0, 12));
    const names = found.map((c) => `${c.labels[LABEL_FUNCTION] ?? '?'} (${c.id.slice(0, 12)}, ${c.running ? 'running' : c.state})`);
    this.log(`${found.length} container(s) made for this folder by an older version of Local Serverless are left alone (they do not say which VS Code made them): ` +
      `${names.join(', ')}. Remove them with: docker rm -f ${ids.join(' ')}`);
  }

  private startEvents(): void {
    this.events?.abort();
    const controller = new AbortController();
    this.events = controller;
    void (async () => {
      try {
        for await (const event of this.engine.events({ [LABEL_OWNER]: this.ownerId }, controller.signal)) {
          this.runners.get(event.labels[LABEL_FUNCTION])?.handleEvent(event);
        }
      } catch (error) {
        if (!controller.signal.aborted) this.log(`Docker event stream failed: ${errorMessage(error)}`);
      }
      if (controller.signal.aborted || this.disposed) return;
      // The stream ended by itself: the engine went away. Say so, and look for it again.
      this.setStatus({ kind: 'unavailable', message: new EngineUnavailableError(this.engine.endpoint, 'the connection closed').message, reason: 'unreachable' });
      this.scheduleReconnect();
    })();
  }

  private reconnectTimer: NodeJS.Timeout | undefined;

  /** While the engine is away, try again every few seconds so the view recovers on its own. */
  private scheduleReconnect(): void {
    if (this.disposed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      // connect() schedules the next attempt itself while the engine stays away.
      void this.connect();
    }, 2_000);
  }

  private setStatus(status: EngineStatus): void {
    const changed = status.kind !== this.status.kind || (status.kind === 'unavailable' && this.status.kind === 'unavailable' && status.message !== this.status.message);
    this.status = status;
    // Retrying a wrong address cannot help: the next try comes with a settings change or Retry.
    if (status.kind === 'unavailable' && !status.invalidAddress) this.scheduleReconnect();
    if (changed) this.changeEmitter.fire();
  }

  /**
   * Clean Up: removes every container of this owner (found by label, so also ones no function
   * owns any more) and every image tag it built; another instance's on the same folder stay.
   * Returns what it removed.
   */
  async cleanUp(): Promise<{ containers: number; images: number }> {
    const containers = await this.engine.list({ [LABEL_OWNER]: this.ownerId });
    await Promise.all(this.functions.map((r) => r.stop()));
    await Promise.all(containers.map((c) => this.engine.remove(c.id)));
    // Image tags carry the owner id (see imageTag), which also finds images of renamed or deleted functions.
    const ours = (tag: string) => tag.startsWith('local-serverless/') && tag.endsWith(`-${this.ownerId}:dev`);
    const tags = [...new Set((await this.engine.listImageTags(`local-serverless/*-${this.ownerId}`)).filter(ours))];
    for (const tag of tags) await this.engine.removeImage(tag);
    const images = tags.length;
    for (const runner of this.functions) runner.markNotBuilt();
    return { containers: containers.length, images };
  }

  /** Removes every container of this owner (used on shutdown): nothing is left running. */
  async disposeAsync(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.reconnectTimer);
    this.events?.abort();
    await Promise.all([...this.runners.values()].map((r) => r.disposeAsync()));
    this.runners.clear();
    this.routing.dispose();
    this.changeEmitter.dispose();
  }

  dispose(): void {
    void this.disposeAsync();
  }
}
