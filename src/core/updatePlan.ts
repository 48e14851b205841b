import picomatch from 'picomatch';
import { epochNow } from './updateTimings';

/** What a burst of file changes asks of a running function. */
export type UpdatePlan =
  | { kind: 'sync'; files: string[] }
  | { kind: 'rebuild'; reason: string };

export interface FileChange {
  /** Path relative to the function folder, with forward slashes. */
  path: string;
  kind: 'add' | 'change' | 'unlink';
}

/**
 * A change to a file matching `rebuild` rebuilds; a burst whose every file matches `sync` (and still
 * exists) is copied into the running container; anything else rebuilds, since only a rebuild is
 * sure to carry it (DESIGN: "anything when no sync applies").
 */
export function planUpdate(changes: FileChange[], rules: { sync: string[]; rebuild: string[] }): UpdatePlan | undefined {
  if (changes.length === 0) return undefined;
  const isRebuild = picomatch(rules.rebuild.length ? rules.rebuild : ['Dockerfile'], { dot: true, basename: false });
  const isSync = rules.sync.length ? picomatch(rules.sync, { dot: true }) : () => false;
  const rebuildHit = changes.find((c) => isRebuild(c.path) || isRebuild(basename(c.path)));
  if (rebuildHit) return { kind: 'rebuild', reason: `${rebuildHit.path} matches "rebuild"` };
  const notSyncable = changes.find((c) => !isSync(c.path) || c.kind === 'unlink');
  if (notSyncable) {
    return { kind: 'rebuild', reason: notSyncable.kind === 'unlink' ? `${notSyncable.path} was deleted` : `${notSyncable.path} matches no "sync" rule` };
  }
  return { kind: 'sync', files: [...new Set(changes.map((c) => c.path))].sort() };
}

function basename(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

/** What reported a change: VS Code's save event for a file saved in the editor, or the folder watcher. */
export type ChangeSource = 'save' | 'watcher';

/** About one handed-over batch, for its update's timings. */
export interface Batch {
  /** When its first change arrived (ms since the epoch), and what reported it. */
  seen: number;
  seenBy: ChangeSource;
  /** `complete`: handed over at once, its write known to be complete; `quiet`: when the quiet time after its last change ended. */
  startedBy: 'complete' | 'quiet';
}

/**
 * Collects file changes and hands them over as one update per burst of saves. The first change
 * after a quiet spell is handed over once `firstQuietMs` pass without another (long enough for the
 * write to finish, short enough not to be felt); changes that keep coming are handed over once
 * `burstQuietMs` pass without one. So a single save updates almost at once, and a burst of saves
 * gives at most two updates: its start and its end. Keeps the latest kind per path.
 *
 * A change known to be completely written (`addComplete`: VS Code's save event, or a file whose
 * content is now the editor's text) is handed over at once when it is alone, rather than after the
 * quiet time.
 */
export class ChangeCoalescer {
  private pending = new Map<string, FileChange>();
  private timer: NodeJS.Timeout | undefined;
  private lastChangeAt = -Infinity;
  /** How long nothing had changed when the first change now pending came: a burst when short. */
  private quietBeforeBatch = Infinity;
  /** When the first change now pending arrived (ms since the epoch) and what reported it, for the update's timings. */
  private first: { seen: number; seenBy: ChangeSource } = { seen: 0, seenBy: 'watcher' };

  constructor(private readonly firstQuietMs: number, private readonly burstQuietMs: number, private readonly flush: (changes: FileChange[], batch: Batch) => void) {}

  /** A change the watcher reported: the write may still be going on. */
  add(change: FileChange, now = performance.now()): void {
    this.collect(change, 'watcher', now);
    this.waitForQuiet(now);
  }

  /**
   * A change whose write is known to be complete. Handed over at once when nothing else is pending
   * (an earlier report of this same write may be) and nothing had changed for the burst quiet time
   * before; else it joins the burst like any change, so Save All, or saves in quick succession, still
   * give at most two updates.
   */
  addComplete(change: FileChange, source: ChangeSource, now = performance.now()): void {
    const atOnce = this.wouldHandOverAtOnce(change.path);
    this.collect(change, source, now);
    if (!atOnce) return this.waitForQuiet(now);
    this.lastChangeAt = now;
    clearTimeout(this.timer);
    this.handOver('complete');
  }

  /**
   * Whether a complete change to `path` would be handed over at once: nothing else waits, and nothing
   * had changed for the burst quiet time before what waits now.
   */
  wouldHandOverAtOnce(path: string): boolean {
    return [...this.pending.keys()].every((pending) => pending === path) && (this.pending.size ? this.quietBeforeBatch : performance.now() - this.lastChangeAt) >= this.burstQuietMs;
  }

  /** Whether a change to `path` waits to be handed over. */
  isPending(path: string): boolean {
    return this.pending.has(path);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.pending.clear();
  }

  private waitForQuiet(now: number): void {
    const inBurst = now - this.lastChangeAt < this.burstQuietMs;
    this.lastChangeAt = now;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.handOver('quiet'), inBurst ? this.burstQuietMs : this.firstQuietMs);
  }

  private collect(change: FileChange, source: ChangeSource, now: number): void {
    if (!this.pending.size) {
      this.first = { seen: epochNow(), seenBy: source };
      this.quietBeforeBatch = now - this.lastChangeAt;
    }
    const previous = this.pending.get(change.path);
    // add + change stays an add: the file is still new to the container.
    this.pending.set(change.path, previous?.kind === 'add' && change.kind === 'change' ? previous : change);
  }

  private handOver(startedBy: Batch['startedBy']): void {
    this.timer = undefined;
    const changes = [...this.pending.values()];
    this.pending = new Map();
    if (changes.length) this.flush(changes, { ...this.first, startedBy });
  }
}
