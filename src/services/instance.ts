import { linePrefixer } from '../core/outputText';
import type { ContainerEngine } from '../engine/engine';
import { LogFollower, type OutputSink } from './logFollower';

/**
 * One instance of a function: a container whose port is published on 127.0.0.1, and the stream of
 * its output into the function's channel, each line prefixed with the instance's label.
 */
export class Instance {
  state: 'starting' | 'ready' | 'draining' = 'starting';
  /** Where the function folder lives in the container (its WORKDIR), for syncs. */
  workingDir = '/';
  /** A debugged instance: its debugger's port on 127.0.0.1, and how often its process restarted (syncs). */
  debug?: { hostPort: number; restarts: number };
  readonly logs: LogFollower;

  constructor(readonly id: string, readonly hostPort: number, readonly label: string, engine: ContainerEngine, sink: OutputSink) {
    this.logs = new LogFollower(engine, prefixedSink(sink, `[${label}] `));
  }
}

/** Prefixes every line written through it, once, also when output arrives in chunks that end mid-line. */
export function prefixedSink(sink: OutputSink, prefix: string): OutputSink {
  const prefixed = linePrefixer(prefix);
  return { append: (text) => sink.append(prefixed(text)), appendLine: (text) => sink.append(prefixed(`${text}\n`)) };
}
