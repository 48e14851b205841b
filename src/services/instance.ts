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
  readonly logs: LogFollower;

  constructor(readonly id: string, readonly hostPort: number, readonly label: string, engine: ContainerEngine, sink: OutputSink) {
    this.logs = new LogFollower(engine, prefixedSink(sink, `[${label}] `));
  }
}

/**
 * Prefixes every line written through it. Output arrives in chunks that may end mid-line: the
 * prefix goes before the first character of each line, once.
 */
export function prefixedSink(sink: OutputSink, prefix: string): OutputSink {
  let atLineStart = true;
  const append = (text: string) => {
    if (!text) return;
    const prefixed = (atLineStart ? prefix : '') + text.replace(/\n(?=.)/gs, `\n${prefix}`);
    atLineStart = text.endsWith('\n');
    sink.append(prefixed);
  };
  return { append, appendLine: (text) => append(`${text}\n`) };
}
