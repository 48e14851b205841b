import { errorMessage, UserFacingError } from '../core/errors';
import type { ContainerInfo } from '../engine/engine';

/** A new container did not come up; `remedy` says what to do. The runner has already set its state. */
export class StartFailedError extends UserFacingError {
  constructor(message: string, readonly remedy: string) {
    super(message);
  }
}

export interface StartFailure {
  exited: boolean;
  exitCode?: number;
  message: string;
  remedy: string;
}

/** Says why a new container (`info`, as inspected after the failure) did not come up, and what to do about it. */
export function explainStartFailure(info: ContainerInfo | undefined, error: unknown, which: string, port: number, readyTimeoutMs: number): StartFailure {
  // Already says what happened and what to do (a taken port, a remote engine's unreachable port).
  if (error instanceof UserFacingError && !(info && !info.running && info.state !== 'created')) {
    return { exited: false, message: error.message.replace(/\.$/, ''), remedy: '' };
  }
  if (info && !info.running && info.state !== 'created') {
    return {
      exited: true,
      exitCode: info.exitCode,
      message: `${which} exited with code ${info.exitCode} before it listened on port ${port}: see its output in the function's output channel`,
      remedy: 'Fix what its output shows, then save again or run Build and Run.',
    };
  }
  if (info?.running) {
    return {
      exited: false,
      message: `${which} did not answer on port ${port} within ${Math.round(readyTimeoutMs / 1000)} s`,
      remedy: `Make its server listen on 0.0.0.0 at $PORT (${port}, the "port" in fn.json or the Dockerfile's EXPOSE), then save again or run Build and Run.`,
    };
  }
  return { exited: false, message: errorMessage(error), remedy: 'Save again or run Build and Run to retry.' };
}
