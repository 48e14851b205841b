/**
 * A one-shot timer whose clock can stop and go on: while a debugger holds the function at a
 * breakpoint, a request's deadline does not run (DESIGN.md "Timeouts").
 */
export class PausableTimer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private remainingMs: number;
  private startedAt = 0;
  private state: 'running' | 'paused' | 'done' = 'paused';

  constructor(ms: number, private readonly fire: () => void, private readonly now: () => number = () => performance.now()) {
    this.remainingMs = Math.max(ms, 0);
    this.resume();
  }

  /** Stops the clock; the time left is kept. */
  pause(): void {
    if (this.state !== 'running') return;
    clearTimeout(this.timer);
    this.remainingMs = Math.max(this.remainingMs - (this.now() - this.startedAt), 0);
    this.state = 'paused';
  }

  /** Runs the clock again for the time that was left. */
  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'running';
    this.startedAt = this.now();
    this.timer = setTimeout(() => {
      this.state = 'done';
      this.fire();
    }, this.remainingMs);
  }

  clear(): void {
    clearTimeout(this.timer);
    this.state = 'done';
  }

  get paused(): boolean {
    return this.state === 'paused';
  }
}
