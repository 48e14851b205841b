import { errorMessage, UserFacingError } from '../core/errors';
import type { ContainerInfo } from '../engine/engine';

/** A serving container stopped to free its port for a new one, and what the runner knew of it. */
export interface PreviousContainer {
  id: string;
  hostPort: number;
  workingDir: string;
  reloadSignal: string | undefined;
}

/**
 * The containers a replacement leaves behind: previous ones stopped while a new one starts on their
 * port (kept to start again should it fail), the one parked by an update a newer rebuild cancelled,
 * and removals of replaced ones still under way. Whatever it holds is removed on disposal.
 */
export class PreviousContainers {
  private readonly standingBy = new Set<string>();
  /** Removals of replaced containers still under way. */
  private readonly retiring = new Set<Promise<unknown>>();
  /**
   * The previous container, stopped, when a newer rebuild cancelled an update while its new
   * container started: the newer one replaces it as it stands, rather than starting it again first.
   */
  private parkedContainer: PreviousContainer | undefined;

  constructor(
    private readonly remove: (id: string) => Promise<void>,
    private readonly onRemoveFailed: (id: string, error: unknown) => void,
  ) {}

  get parked(): PreviousContainer | undefined {
    return this.parkedContainer;
  }

  /** A serving container is being stopped so a new one can take its port. */
  standBy(previous: PreviousContainer): void {
    this.standingBy.add(previous.id);
  }

  park(previous: PreviousContainer): void {
    this.parkedContainer = previous;
  }

  /** The parked container, which the caller now replaces or starts again. */
  takeParked(): PreviousContainer | undefined {
    const parked = this.parkedContainer;
    this.parkedContainer = undefined;
    return parked;
  }

  /** Started again (or tried to): it is the runner's current container once more. */
  restored(id: string): void {
    this.standingBy.delete(id);
  }

  /** Removes a replaced container without holding up the new one; disposal still waits for it. */
  retire(id: string): void {
    const removal = this.remove(id)
      .catch((error: unknown) => this.onRemoveFailed(id, error))
      .finally(() => {
        this.standingBy.delete(id);
        this.retiring.delete(removal);
      });
    this.retiring.add(removal);
  }

  /** Stop: waits for removals under way and leaves the parked container (the current one) to the caller. */
  async settleForStop(): Promise<void> {
    await Promise.all(this.retiring);
    const parked = this.takeParked();
    if (parked) this.standingBy.delete(parked.id);
  }

  /** A previous container stopped while a new one starts would otherwise stay behind, stopped. */
  async removeAll(): Promise<void> {
    for (const id of this.standingBy) await this.remove(id).catch(() => undefined);
    await Promise.all(this.retiring);
  }
}

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
