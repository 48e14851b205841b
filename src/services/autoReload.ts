import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Disposable } from '../core/emitter';
import { ChangeCoalescer, type Batch, type ChangeSource, type FileChange } from '../core/updatePlan';
import { describeSaveEvent, epochNow, type UpdateTimings } from '../core/updateTimings';
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
/**
 * For this long after a file's update was handed over, a report of it whose content is what was
 * handed over is the same write reported again (the watcher after the save event, or the other way
 * round), not a change: it is dropped rather than applied twice.
 */
export const SAME_WRITE_MS = 2_000;
/** When a file handed over after the quiet time is looked at again: chokidar's 50 ms of silence about it are over. */
export const LOOK_AGAIN_MS = 50;
/** Files of one update looked at again, at most (a checkout of thousands rebuilds anyway). */
const LOOK_AGAIN_LIMIT = 100;
/** Files up to this size are compared by content; bigger ones by size, inode and times. */
const DIGEST_LIMIT = 1024 * 1024;

interface Watch {
  folder: string;
  watcher: Promise<FolderWatcher>;
  coalescer: ChangeCoalescer;
  /** What each path held when its last update was handed over (a promise: read as the update starts). */
  handedOver: Map<string, { at: number; content: Promise<string> }>;
  /** Reports are taken in the order they came, though checking one may read the file. */
  intake: Promise<void>;
  /** Second looks at files handed over after a quiet time (see lookAgain). */
  looks: Set<NodeJS.Timeout>;
}

export interface AutoReloadOptions {
  log?: (message: string) => void;
  /** Debug-level lines: when each save event came (`describeSaveEvent`), for where an update's time went. */
  debug?: (message: string) => void;
  /**
   * The text of `file` when it is open in the editor with changes not saved yet: what VS Code writes
   * when it saves. Undefined otherwise; in particular for a document VS Code reloaded from disk, whose
   * text may be a write still under way outside the editor.
   */
  unsavedText?: (file: string) => string | undefined;
}

/**
 * Watches the folder of each running function whose auto-reload is on, and hands bursts of saved
 * files to its runner (sync or rebuild). Watchers exist only while their function runs.
 *
 * A change the watcher reports waits out a quiet time in case the write is still going on, unless
 * it is known to be complete: the file is open in the editor with unsaved changes and now holds the
 * editor's text (VS Code is saving it), or VS Code's save event for it came (`saved`). Then it is
 * handed over at once. The watcher still reports every change made outside the editor, and a write
 * reported by both is applied once.
 */
export class AutoReload implements Disposable {
  private readonly watches = new Map<string, Watch>();
  private readonly subscription: Disposable;
  private readonly log: (message: string) => void;
  private readonly debug: (message: string) => void;
  private readonly unsavedText: (file: string) => string | undefined;

  constructor(private readonly registry: FunctionRegistry, private readonly isEnabled: (name: string) => boolean, options: AutoReloadOptions = {}) {
    this.log = options.log ?? (() => undefined);
    this.debug = options.debug ?? (() => undefined);
    this.unsavedText = options.unsavedText ?? (() => undefined);
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
      if (!this.watches.has(name)) this.watches.set(name, this.watch(runner));
    }
  }

  private watch(runner: FunctionRunner): Watch {
    const folder = runner.spec.folder;
    const watch: Watch = {
      folder,
      coalescer: new ChangeCoalescer(FIRST_QUIET_MS, BURST_QUIET_MS, (changes, batch) => {
        const at = performance.now();
        for (const change of changes) watch.handedOver.set(change.path, { at, content: contentOf(path.join(folder, change.path)) });
        if (batch.startedBy === 'quiet') this.lookAgain(watch, changes);
        void runner.applyChanges(changes, timingsOf(batch));
      }),
      handedOver: new Map(),
      intake: Promise.resolve(),
      looks: new Set(),
      watcher: watchFolder(folder, (change) => this.report(watch, change, 'watcher')),
    };
    watch.watcher.catch((error) => this.log(`cannot watch ${folder}: ${String(error)}`));
    return watch;
  }

  /**
   * chokidar reports a write as it begins and then nothing about that file for 50 ms: a write still
   * going on when the quiet time ended (a slow writer, a busy machine) would leave its start in the
   * container. So each file handed over after a quiet time is looked at once more after that window,
   * and reported again if it has changed since (applied once more) rather than left half-written.
   */
  private lookAgain(watch: Watch, changes: FileChange[]): void {
    const timer = setTimeout(() => {
      watch.looks.delete(timer);
      for (const change of changes.slice(0, LOOK_AGAIN_LIMIT)) {
        // A file deleted since is the watcher's to report (it does, unthrottled).
        if (change.kind !== 'unlink') void fs.stat(path.join(watch.folder, change.path)).then(() => this.report(watch, { path: change.path, kind: 'change' }, 'watcher'), () => undefined);
      }
    }, LOOK_AGAIN_MS);
    watch.looks.add(timer);
  }

  /** VS Code saved `file` (its save event): the update of a running, watched function starts at once. */
  saved(file: string): void {
    this.debug(describeSaveEvent(file, epochNow()));
    const watch = [...this.watches.values()]
      .filter((w) => file.startsWith(w.folder + path.sep))
      .sort((a, b) => b.folder.length - a.folder.length)[0];
    if (!watch) return;
    void watch.watcher.then(async (watcher) => {
      // Only what the watcher itself would report: not ignored, not through a link that leaves the folder.
      const reported = await watcher.reportedPath(file);
      if (reported && [...this.watches.values()].includes(watch)) this.report(watch, { path: reported, kind: 'change' }, 'save');
    }, () => undefined);
  }

  /** Resolves when the watcher of `name` reports changes (used by tests and the benchmark). */
  async ready(name: string): Promise<void> {
    await (await this.watches.get(name)?.watcher)?.ready;
  }

  isWatching(name: string): boolean {
    return this.watches.has(name);
  }

  /**
   * Takes one report into the coalescer, in order, unless it is a write already handed over: a path
   * not waiting now, handed over moments ago, whose content has not changed since.
   */
  private report(watch: Watch, change: FileChange, source: ChangeSource): void {
    watch.intake = watch.intake.then(async () => {
      const file = path.join(watch.folder, change.path);
      const last = watch.handedOver.get(change.path);
      if (last && change.kind !== 'unlink' && !watch.coalescer.isPending(change.path) && performance.now() - last.at < SAME_WRITE_MS) {
        if ((await contentOf(file)) === (await last.content)) return;
      }
      if (source === 'save') return watch.coalescer.addComplete(change, 'save');
      const open = change.kind !== 'unlink' && this.unsavedText(file) !== undefined;
      if (open && await this.holdsUnsavedText(file)) return watch.coalescer.addComplete(change, 'watcher');
      watch.coalescer.add(change);
      if (open) void this.awaitUnsavedText(watch, change, file);
    }).catch(() => undefined);
  }

  /**
   * The watcher reports a write as it begins (VS Code's truncates the file first) and then nothing for
   * 50 ms: for a file VS Code is saving, the write is over once the file holds the editor's text.
   * Looks every millisecond or so, for at most the quiet time, and hands the change over then.
   */
  private async awaitUnsavedText(watch: Watch, change: FileChange, file: string): Promise<void> {
    const until = performance.now() + FIRST_QUIET_MS;
    while (performance.now() < until && watch.coalescer.isPending(change.path)) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (!watch.coalescer.isPending(change.path)) return;
      if (await this.holdsUnsavedText(file)) {
        // Within a burst it keeps waiting with the rest: the end of this write is no new change.
        if (watch.coalescer.isPending(change.path) && watch.coalescer.wouldHandOverAtOnce(change.path)) watch.coalescer.addComplete(change, 'watcher');
        return;
      }
    }
  }

  /** Whether `file` is open in the editor with unsaved changes and holds exactly its text: VS Code has written it all. */
  private async holdsUnsavedText(file: string): Promise<boolean> {
    const text = this.unsavedText(file);
    if (text === undefined) return false;
    const stat = await fs.stat(file).catch(() => undefined);
    // Cheap first: UTF-8 takes 1 to 3 bytes per UTF-16 unit.
    if (!stat || stat.size > text.length * 3 || stat.size < text.length) return false;
    return (await fs.readFile(file, 'utf8').catch(() => undefined)) === text;
  }

  private stop(name: string): void {
    const watch = this.watches.get(name);
    if (!watch) return;
    this.watches.delete(name);
    watch.coalescer.dispose();
    for (const timer of watch.looks) clearTimeout(timer);
    void watch.watcher.then((w) => w.dispose(), () => undefined);
  }

  dispose(): void {
    this.subscription.dispose();
    for (const name of [...this.watches.keys()]) this.stop(name);
  }
}

function timingsOf(batch: Batch): UpdateTimings {
  return { seenBy: batch.seenBy, startedBy: batch.startedBy, seen: batch.seen, started: epochNow() };
}

/** What a file holds, to tell one write reported twice from two writes: its digest, or for a big file its size, inode and times. */
async function contentOf(file: string): Promise<string> {
  try {
    const stat = await fs.lstat(file, { bigint: true });
    if (!stat.isFile() || stat.size > DIGEST_LIMIT) return `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
    return createHash('sha1').update(await fs.readFile(file)).digest('hex');
  } catch {
    return 'gone';
  }
}
