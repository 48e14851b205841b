import type { Disposable } from '../core/emitter';
import { ChangeCoalescer } from '../core/updatePlan';
import { epochNow } from '../core/updateTimings';
import { watchFolder, type FolderWatcher } from '../watch/folderWatcher';
import type { FunctionRegistry } from './functionRegistry';
import type { FunctionRunner } from './functionRunner';

/** Quiet time after a lone save before its update starts: the write has long finished by then. */
export const FIRST_QUIET_MS = 15;
/**
 * Quiet time that ends a burst of saves. chokidar reports changes to one file at most every
 * ~55 ms, so anything shorter would split a continuous burst into one update per report.
 */
export const BURST_QUIET_MS = 90;

interface Watch {
  folder: string;
  watcher: Promise<FolderWatcher>;
  coalescer: ChangeCoalescer;
}

/**
 * Watches the folder of each running function whose auto-reload is on, and hands bursts of saved
 * files to its runner (sync or rebuild). Watchers exist only while their function runs.
 */
export class AutoReload implements Disposable {
  private readonly watches = new Map<string, Watch>();
  private readonly subscription: Disposable;

  constructor(private readonly registry: FunctionRegistry, private readonly isEnabled: (name: string) => boolean, private readonly log: (message: string) => void = () => undefined) {
    this.subscription = registry.onDidChange(() => this.reconcile());
  }

  /** Starts and stops watchers to match which functions run and have auto-reload on. */
  reconcile(): void {
    const wanted = new Map<string, FunctionRunner>();
    for (const runner of this.registry.functions) {
      const live = runner.state.kind === 'running' || runner.state.kind === 'building' || runner.state.kind === 'scaledToZero';
      if (live && this.isEnabled(runner.spec.name)) wanted.set(runner.spec.name, runner);
    }
    for (const [name, watch] of this.watches) {
      const runner = wanted.get(name);
      if (!runner || runner.spec.folder !== watch.folder) this.stop(name);
    }
    for (const [name, runner] of wanted) {
      if (this.watches.has(name)) continue;
      const coalescer = new ChangeCoalescer(FIRST_QUIET_MS, BURST_QUIET_MS, (changes, seen) => void runner.applyChanges(changes, { source: 'watcher', seen, started: epochNow() }));
      const watcher = watchFolder(runner.spec.folder, (change) => coalescer.add(change));
      watcher.catch((error) => this.log(`cannot watch ${runner.spec.folder}: ${String(error)}`));
      this.watches.set(name, { folder: runner.spec.folder, watcher, coalescer });
    }
  }

  /** Resolves when the watcher of `name` reports changes (used by tests and the benchmark). */
  async ready(name: string): Promise<void> {
    await (await this.watches.get(name)?.watcher)?.ready;
  }

  isWatching(name: string): boolean {
    return this.watches.has(name);
  }

  private stop(name: string): void {
    const watch = this.watches.get(name);
    if (!watch) return;
    this.watches.delete(name);
    watch.coalescer.dispose();
    void watch.watcher.then((w) => w.dispose(), () => undefined);
  }

  dispose(): void {
    this.subscription.dispose();
    for (const name of [...this.watches.keys()]) this.stop(name);
  }
}
