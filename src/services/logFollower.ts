import { errorMessage } from '../core/errors';
import type { ContainerEngine } from '../engine/engine';

/** Where a function's build output and container logs go: a vscode.OutputChannel fits this shape. */
export interface OutputSink {
  append(text: string): void;
  appendLine(text: string): void;
}

/**
 * Follows one container's output into a sink at a time. Following another container, or the same
 * one again after a restart (its attach stream ends with the old process), detaches the previous stream.
 */
export class LogFollower {
  private controller: AbortController | undefined;
  /** Settles when the followed stream ends (the container stopped) or is detached. */
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly engine: ContainerEngine, private readonly sink: OutputSink) {}

  /**
   * Streams the container's output into the sink until the container goes or we detach. Attaching
   * (no `sinceUnixSeconds`: before a start) resolves once attached, so nothing printed at start is
   * missed. Following from a time on (a running container, after a restart) resolves at once: the
   * time already covers what comes meanwhile, and Podman sends no answer to a log follow until the
   * container prints something, so waiting for it could wait forever on a quiet function.
   */
  async follow(containerId: string, sinceUnixSeconds?: number): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const opening = this.engine.attach(containerId, controller.signal, sinceUnixSeconds);
    if (sinceUnixSeconds === undefined) await opening; // a failure to attach is the caller's, as before
    this.done = (async () => {
      try {
        for await (const chunk of await opening) this.sink.append(chunk.text);
      } catch (error) {
        if (!controller.signal.aborted) this.sink.appendLine(`[logs] detached: ${errorMessage(error)}`);
      }
    })();
  }

  /** Waits, at most `limitMs`, for the followed container's output to end. */
  async ended(limitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.done, new Promise((r) => { timer = setTimeout(r, limitMs); })]);
    clearTimeout(timer);
  }

  /** Stops following (the container is being removed, or the function goes). */
  detach(): void {
    this.controller?.abort();
  }
}
