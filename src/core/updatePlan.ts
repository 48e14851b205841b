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

/**
 * Collects file changes and hands them over as one update per burst of saves. The first change
 * after a quiet spell is handed over once `firstQuietMs` pass without another (long enough for the
 * write to finish, short enough not to be felt); changes that keep coming are handed over once
 * `burstQuietMs` pass without one. So a single save updates almost at once, and a burst of saves
 * gives at most two updates: its start and its end. Keeps the latest kind per path.
 */
export class ChangeCoalescer {
  private pending = new Map<string, FileChange>();
  private timer: NodeJS.Timeout | undefined;
  private lastChangeAt = -Infinity;
  /** When the first change now pending arrived (ms since the epoch), for the update's timings. */
  private firstSeen = 0;

  constructor(private readonly firstQuietMs: number, private readonly burstQuietMs: number, private readonly flush: (changes: FileChange[], firstSeen: number) => void) {}

  add(change: FileChange, now = performance.now()): void {
    if (!this.pending.size) this.firstSeen = epochNow();
    const previous = this.pending.get(change.path);
    // add + change stays an add: the file is still new to the container.
    this.pending.set(change.path, previous?.kind === 'add' && change.kind === 'change' ? previous : change);
    const inBurst = now - this.lastChangeAt < this.burstQuietMs;
    this.lastChangeAt = now;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const changes = [...this.pending.values()];
      this.pending = new Map();
      this.flush(changes, this.firstSeen);
    }, inBurst ? this.burstQuietMs : this.firstQuietMs);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.pending.clear();
  }
}
