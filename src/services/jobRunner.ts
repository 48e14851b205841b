import { CancelledError, errorMessage, throwIfAborted } from '../core/errors';
import { linePrefixer, TextTail } from '../core/outputText';
import type { JobRequest, RunRequest } from '../core/plan';
import type { ContainerEngine, LogChunk } from '../engine/engine';
import type { OutputSink } from './logFollower';

/** How much of a job's output its result keeps (the channel gets all of it): the last 64 Ki characters. */
export const JOB_OUTPUT_LIMIT = 64 * 1024;
/**
 * How long, after the job exited, its output may take to reach the sink before the container is
 * removed anyway. Docker ends the attach stream as the container stops, so this is only a safety net.
 */
const DRAIN_LIMIT_MS = 2_000;

export interface JobOptions {
  /**
   * The event for the job (Invoke): written to its stdin, which is then closed, so the process reads
   * the payload and then end of file. Without a payload stdin is closed from the start (reads as
   * empty), so a job that reads it never waits.
   *
   * Why stdin and not an environment variable: it has no size limit (Linux caps one variable at
   * 128 KiB, and dockerode would also put it in the create request's URL), it does not show in
   * `docker inspect` or in the container's environment for its whole life, and it is how a job
   * takes its input on the command line (`echo '{}' | docker run -i image`).
   */
  payload?: Buffer | string;
  /** Cancels the job: its container is removed at once (killed, not stopped) and runJob throws CancelledError. */
  signal?: AbortSignal;
  /** Put before every line the job prints in the sink (e.g. "[hello-1] "); the result's output has none. */
  prefix?: string;
}

export interface JobResult {
  exitCode: number;
  /** From the start request to the exit. */
  durationMs: number;
  /** The last JOB_OUTPUT_LIMIT characters of stdout and stderr, as the sink got them (without the prefix). */
  output: string;
  /** Whether `output` leaves out the start of a longer output. */
  outputTruncated: boolean;
}

/**
 * Runs a one-shot job to completion: creates its container (no port published, whatever the
 * request says), follows its output into `sink` from before the start (nothing printed is lost),
 * starts it, waits for the exit, lets the output drain, and removes the container. The container
 * never stays behind: it is removed after success, failure, an engine error and cancellation alike.
 *
 * A non-zero exit is a result, not an error: the caller says "failed (exit 3)". Errors are the
 * engine's (no image, the engine gone) and CancelledError.
 */
export async function runJob(engine: ContainerEngine, request: JobRequest | RunRequest, sink: OutputSink, options: JobOptions = {}): Promise<JobResult> {
  const { signal } = options;
  throwIfAborted(signal);
  const input = options.payload === undefined ? undefined : typeof options.payload === 'string' ? Buffer.from(options.payload, 'utf8') : options.payload;
  const id = await engine.create({ ...withoutPort(request), stdin: input !== undefined });
  const output = new AbortController();
  const stopOutput = () => output.abort();
  signal?.addEventListener('abort', stopOutput, { once: true });
  const tail = new TextTail(JOB_OUTPUT_LIMIT);
  try {
    throwIfAborted(signal);
    const stream = input ? await engine.attachWithInput(id, input, output.signal) : await engine.attach(id, output.signal);
    const drained = copyOutput(stream, sink, tail, options.prefix ?? '', output.signal);
    throwIfAborted(signal);
    const started = performance.now();
    await engine.start(id);
    const exitCode = await engine.wait(id, signal);
    const durationMs = performance.now() - started;
    await within(drained, DRAIN_LIMIT_MS);
    throwIfAborted(signal);
    return { exitCode, durationMs, output: tail.toString(), outputTruncated: tail.truncated };
  } catch (error) {
    throw signal?.aborted ? new CancelledError() : error;
  } finally {
    signal?.removeEventListener('abort', stopOutput);
    output.abort();
    // Killed and removed at once: on cancel that is the point; after the exit there is nothing left to stop.
    await engine.remove(id, 0).catch((error: unknown) => sink.appendLine(`[job] could not remove the job's container ${id.slice(0, 12)}: ${errorMessage(error)}`));
  }
}

/** A service's request run as a job publishes nothing: a job listens on no port. */
function withoutPort(request: JobRequest | RunRequest): JobRequest {
  const { containerPort: _containerPort, hostIp: _hostIp, hostPort: _hostPort, ...job } = request as Partial<RunRequest> & JobRequest;
  return job;
}

/** Resolves when the output ends (the container stopped) or is detached; never rejects. */
async function copyOutput(stream: AsyncIterable<LogChunk>, sink: OutputSink, tail: TextTail, prefix: string, detached: AbortSignal): Promise<void> {
  const prefixed = linePrefixer(prefix);
  let endsLine = true;
  try {
    for await (const chunk of stream) {
      tail.append(chunk.text);
      sink.append(prefixed(chunk.text));
      endsLine = chunk.text.endsWith('\n');
    }
  } catch (error) {
    if (!detached.aborted) sink.appendLine(`[logs] detached: ${errorMessage(error)}`);
  }
  // A last line with no newline would run into the next line the caller writes.
  if (!endsLine) sink.append('\n');
}

async function within(promise: Promise<void>, limitMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => { timer = setTimeout(resolve, limitMs); })]);
  clearTimeout(timer);
}
