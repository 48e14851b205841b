/**
 * When each step of one update of a running function happened, in milliseconds since the Unix epoch
 * with sub-millisecond precision: one clock for the extension host and a benchmark in another process.
 * Written at debug level to the extension's log (never to the function's channel), one line per update.
 */
export interface UpdateTimings {
  /** What reported the first change of the update: VS Code's save event or the folder watcher. */
  seenBy: 'save' | 'watcher';
  /** What handed the update over: the write known to be complete (at once), or the end of the quiet time after the last change. */
  startedBy: 'complete' | 'quiet';
  /** The first change of the update reached the extension. */
  seen: number;
  /** The update was handed to the function. */
  started: number;
  /** The files were in every instance. */
  copied?: number;
  /** Every instance was told to reload (signal sent), or restarted and answering again. */
  reloaded?: number;
  /** The new code served everywhere: when the function's channel says so. */
  done?: number;
}

/** Now, in milliseconds since the Unix epoch, to the microsecond. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

const STEPS = ['started', 'copied', 'reloaded', 'done'] as const;

const SOURCES = { save: 'the save event', watcher: 'the watcher', quiet: 'the quiet time', complete: 'the complete write' } as const;

/**
 * "update timings: hello-node handler.js (sync; seen by the watcher at 1733076799123.4, started by the
 * complete write): started +0.3, copied +6.1, reloaded +7.0, done +7.2 ms". Steps an update did not take
 * (a rebuild copies nothing) are left out.
 */
export function describeTimings(name: string, what: string, kind: string, t: UpdateTimings): string {
  const steps = STEPS.filter((step) => t[step] !== undefined).map((step) => `${step} +${(t[step]! - t.seen).toFixed(1)}`);
  return `update timings: ${name} ${what} (${kind}; seen by ${SOURCES[t.seenBy]} at ${t.seen.toFixed(1)}, started by ${SOURCES[t.startedBy]}): ${steps.join(', ')} ms`;
}

/** Reads back a line `describeTimings` wrote (the benchmark reads them from VS Code's log file). */
export function parseTimings(line: string): { name: string; what: string; kind: string; timings: UpdateTimings } | undefined {
  // The first lines with timings had no "started by": the quiet time started every update then.
  const match = /update timings: (\S+) (.+) \((\w+); seen by the (save event|watcher) at ([\d.]+)(?:, started by the (complete write|quiet time))?\): (.*) ms$/.exec(line.trimEnd());
  if (!match) return undefined;
  const seen = Number(match[5]);
  const timings: UpdateTimings = { seenBy: match[4] === 'save event' ? 'save' : 'watcher', startedBy: match[6] === 'complete write' ? 'complete' : 'quiet', seen, started: seen };
  for (const step of match[7].split(', ')) {
    const [key, offset] = step.split(' +');
    if ((STEPS as readonly string[]).includes(key)) timings[key as typeof STEPS[number]] = seen + Number(offset);
  }
  return { name: match[1], what: match[2], kind: match[3], timings };
}

/** "save event: /ws/hello-node/handler.js at 1733076799123.4": when VS Code's save event reached the extension. */
export function describeSaveEvent(file: string, at: number): string {
  return `save event: ${file} at ${at.toFixed(1)}`;
}

/** Reads back a line `describeSaveEvent` wrote. */
export function parseSaveEvent(line: string): { file: string; at: number } | undefined {
  const match = /save event: (.+) at ([\d.]+)$/.exec(line.trimEnd());
  return match ? { file: match[1], at: Number(match[2]) } : undefined;
}
