import { planDebugInstance, type DebugInstancePlan, type DebugMount, type DebugRuntime } from '../core/debug';
import { Emitter, type Disposable } from '../core/emitter';
import { UserFacingError } from '../core/errors';
import type { FunctionSpec } from '../core/functionSpec';
import type { PauseSource } from '../core/invoke';
import { LABEL_DEBUG_PORT } from '../core/names';
import type { RunRequest } from '../core/plan';
import { findFreePort } from '../core/ports';
import type { ScaleConfig } from '../core/scaling';
import type { ContainerEngine } from '../engine/engine';
import type { Instance } from './instance';

/** Debug Function is on: one instance, its debugger published on 127.0.0.1. */
export interface DebugStatus {
  runtime: DebugRuntime;
  /** The debugger holds the function at a breakpoint: request deadlines stand still. */
  paused: boolean;
}

/** What Debug Function asks of a function. */
export interface DebugOptions {
  runtime: DebugRuntime;
  /** A host's debugpy, mounted read-only into a Python instance (see core/debug.ts debugpyMountFor). */
  debugpyMounts: DebugMount[];
}

/** Where a debugger attaches: the debugged instance, its debugger's port on 127.0.0.1 and its working directory. */
export interface DebugTarget {
  runtime: DebugRuntime;
  instanceId: string;
  hostPort: number;
  workingDir: string;
  /** Counts the debugged process's restarts (a sync of an image that does not reload on SIGHUP). */
  restarts: number;
}

/**
 * One function's Debug Function state, apart from the runner that rolls its instances: whether it is
 * on and for which runtime, whether the debugger holds it at a breakpoint (the clocks follow), what a
 * debugged instance adds to its container, and the news of the debugged instance changing.
 */
export class DebugMode implements Disposable {
  private options: DebugOptions | undefined;
  private paused = false;
  private readonly pauseEmitter = new Emitter<boolean>();
  private readonly targetEmitter = new Emitter<DebugTarget | undefined>();
  /** The debugged instance changed (a rebuild rolled it, a sync restarted it, it stopped): attach again or end. */
  readonly onDidChangeTarget = this.targetEmitter.event;
  /** Whether the debugger holds the function at a breakpoint, and when that changes: Invoke's clock follows it. */
  readonly pauses: PauseSource;

  constructor(private readonly engine: ContainerEngine) {
    const isPaused = () => this.isPaused;
    this.pauses = {
      get paused() {
        return isPaused();
      },
      onDidChange: (listener) => {
        const subscription = this.pauseEmitter.event(listener);
        return () => subscription.dispose();
      },
    };
  }

  get on(): boolean {
    return this.options !== undefined;
  }

  /** Stopped at a breakpoint while on. */
  get isPaused(): boolean {
    return this.on && this.paused;
  }

  get status(): DebugStatus | undefined {
    return this.options ? { runtime: this.options.runtime, paused: this.paused } : undefined;
  }

  /** Turns it on (the next instances run with the debugger); returns what was on before, to go back to on failure. */
  begin(options: DebugOptions): DebugOptions | undefined {
    const previous = this.options;
    this.options = options;
    return previous;
  }

  /** Puts back what begin replaced, unless something else began since. */
  restore(began: DebugOptions, previous: DebugOptions | undefined): void {
    if (this.options === began) this.options = previous;
  }

  /** Turns it off; false when it was off. Listeners hear that there is no debugged instance. */
  end(): boolean {
    if (!this.options) return false;
    this.options = undefined;
    this.setPaused(false);
    this.targetEmitter.fire(undefined);
    return true;
  }

  /** The debugger stopped (true) or went on (false); false when nothing changed. */
  setPaused(paused: boolean): boolean {
    const next = this.on && paused;
    if (next === this.paused) return false;
    this.paused = next;
    this.pauseEmitter.fire(next);
    return true;
  }

  /** fn.json's scale, or exactly one instance while on (a debugged function runs one). */
  scale(scale: ScaleConfig): ScaleConfig {
    return this.options ? { ...scale, min: 1, max: 1 } : scale;
  }

  /** The debugged instance among `instances`, once it answers. */
  target(instances: Iterable<Instance>): DebugTarget | undefined {
    if (!this.options) return undefined;
    for (const instance of instances) {
      if (instance.debug && instance.state === 'ready') {
        return { runtime: this.options.runtime, instanceId: instance.id, hostPort: instance.debug.hostPort, workingDir: instance.workingDir, restarts: instance.debug.restarts };
      }
    }
    return undefined;
  }

  /** Tells listeners where the debugged instance is now (undefined: none answers at the moment). */
  announce(target: DebugTarget | undefined): void {
    this.targetEmitter.fire(target);
  }

  /**
   * While on: adds the debugger to an instance's request (its env, its port on 127.0.0.1, debugpy's
   * mount) and returns the files to write into the container before it starts. Off: undefined.
   */
  async planInstance(request: RunRequest, spec: FunctionSpec): Promise<DebugInstancePlan | undefined> {
    const options = this.options;
    if (!options) return undefined;
    if (options.runtime === 'python' && this.engine.remote) {
      throw new UserFacingError(`Debugging a Python function needs the engine on this machine (debugpy is mounted from here), and ${spec.name}'s engine is on ${this.engine.remote.hostname}.`);
    }
    const plan = planDebugInstance(options.runtime, (await this.engine.imageEnv(request.image)) ?? {}, spec.env, options.debugpyMounts);
    request.env = { ...request.env, ...plan.env };
    request.debugPort = { containerPort: plan.containerPort, hostPort: await findFreePort() };
    request.readOnlyMounts = plan.mounts;
    request.labels[LABEL_DEBUG_PORT] = String(plan.containerPort);
    return plan;
  }

  dispose(): void {
    this.pauseEmitter.dispose();
    this.targetEmitter.dispose();
  }
}
