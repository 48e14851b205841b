import type autocannon from 'autocannon';
import { CancelledError } from '../core/errors';
import type { LoadRequest, LoadRun } from '../core/loadTest';

/**
 * autocannon compiles hdr-histogram-js's WebAssembly as it loads (~0.1 s): load it on the first load
 * test, not while VS Code activates the extension.
 */
function loadAutocannon(): typeof autocannon {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('autocannon') as typeof autocannon;
}

export interface LoadProgress {
  /** Replies plus requests that failed without one. */
  completed: number;
  total: number;
}

/**
 * How often autocannon looks at its clock: it notices the end of a run, a stop and a cancel only
 * then (its default, 1 s, added up to a second to every run). Its per-sample figures go unused.
 */
const SAMPLE_MS = 100;

/**
 * Sends `request.options.amount` requests with autocannon (in this thread: no workers, which would
 * load a file beside autocannon's own that the bundle does not have). `onProgress` hears each
 * whole percent. A cancelled `signal`, or the time limit, stops autocannon (`instance.stop()`): the
 * run then resolves with what it got so far and says why it stopped. A signal cancelled before the
 * start rejects with CancelledError.
 */
export function runLoad(request: LoadRequest, onProgress?: (progress: LoadProgress) => void, signal?: AbortSignal): Promise<LoadRun> {
  const total = request.options.amount;
  return new Promise<LoadRun>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CancelledError());
      return;
    }
    const latencies = new Float64Array(total);
    let replies = 0;
    let completed = 0;
    let reportedPercent = -1;
    let stoppedBy: LoadRun['stoppedBy'];
    const started = performance.now();
    let lastAt = started;
    let instance: autocannon.Instance | undefined;

    const stop = (reason: NonNullable<LoadRun['stoppedBy']>) => {
      if (completed < total) stoppedBy ??= reason;
      instance?.stop();
    };
    const onAbort = () => stop('cancel');
    const limit = setTimeout(() => stop('timeLimit'), request.timeLimitSeconds * 1000);
    signal?.addEventListener('abort', onAbort, { once: true });
    const cleanUp = () => {
      clearTimeout(limit);
      signal?.removeEventListener('abort', onAbort);
    };
    const progressed = () => {
      completed++;
      lastAt = performance.now();
      const percent = Math.floor((completed / total) * 100);
      if (percent !== reportedPercent) {
        reportedPercent = percent;
        onProgress?.({ completed, total });
      }
    };

    try {
      instance = loadAutocannon()({ ...request.options, sampleInt: SAMPLE_MS }, (error: unknown, result: autocannon.Result) => {
        cleanUp();
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve({ counts: result, latenciesMs: latencies.subarray(0, replies), activeMs: lastAt - started, completed, stoppedBy });
      });
    } catch (error) {
      cleanUp();
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
      if (replies < total) latencies[replies++] = responseTimeMs;
      progressed();
    });
    instance.on('reqError', progressed);
  });
}
