import { spawn, type ChildProcess } from 'node:child_process';
import type { Disposable } from '../core/emitter';
import type { FunctionRegistry } from './functionRegistry';

/** What the helper process needs to know: passed as one JSON argument. */
export interface ReaperOptions {
  /** The engine endpoint, as `EngineEndpoint.host` (unix:///var/run/docker.sock, tcp://…). */
  engineHost: string;
  /** Containers carrying `local-serverless.workspace=<wsId>` are this workspace's. */
  wsId: string;
  /** VS Code's process, the extension host's parent: the desktop app, or code-server. */
  vscodePid: number;
}

/**
 * Keeps a small detached helper (dist/reaper.js) beside the extension host while functions run.
 * deactivate() removes the workspace's containers when VS Code closes normally; when VS Code goes
 * without deactivating (code-server stopped with Ctrl+C, a crash, a kill), the helper sees VS Code's
 * process gone and removes them, so no container is left running and no port stays bound.
 * An extension host that dies alone (VS Code still open) leaves them to the next host to adopt.
 *
 * dispose() only stops following the registry; the helper itself is stopped by `stopHelper()` once
 * deactivate has removed the containers, since VS Code disposes subscriptions while deactivate runs.
 */
export class OrphanReaper implements Disposable {
  private child: ChildProcess | undefined;
  private readonly subscription: Disposable;

  constructor(
    private readonly script: string,
    private readonly registry: FunctionRegistry,
    private readonly engineHost: () => string,
    private readonly log: (message: string) => void = () => undefined,
    /** VS Code's process: the extension host's parent. */
    private readonly vscodePid = process.ppid,
  ) {
    this.subscription = registry.onDidChange(() => {
      if (registry.functions.some((r) => r.state.kind === 'running')) this.ensureHelper();
    });
  }

  /** Starts the helper, or restarts it when the engine endpoint changed since it started. */
  private ensureHelper(): void {
    const options: ReaperOptions = { engineHost: this.engineHost(), wsId: this.registry.wsId, vscodePid: this.vscodePid };
    const arg = JSON.stringify(options);
    if (this.child && this.child.exitCode === null && this.child.spawnargs.at(-1) === arg) return;
    this.stopHelper();
    // Its own session: Ctrl+C in the terminal that runs code-server signals VS Code's process group, not the helper.
    const child = spawn(process.execPath, [this.script, arg], {
      detached: true,
      windowsHide: true,
      stdio: 'ignore',
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    child.on('error', (error) => this.log(`container clean-up helper did not start: ${error.message}`));
    child.unref();
    this.child = child;
  }

  /** The containers are gone (deactivate removed them): the helper has nothing left to do. */
  stopHelper(): void {
    if (this.child && this.child.exitCode === null) this.child.kill();
    this.child = undefined;
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

export interface ReapLoop {
  isAlive: (pid: number) => boolean;
  reap: () => Promise<number>;
  intervalMs: number;
}

/**
 * The helper's loop: waits until VS Code's process is gone, then removes the workspace's containers.
 * Resolves with how many it removed.
 */
export async function reapWhenGone(vscodePid: number, loop: ReapLoop): Promise<number> {
  while (loop.isAlive(vscodePid)) await new Promise((r) => setTimeout(r, loop.intervalMs));
  return loop.reap();
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
