/**
 * The live figures of one function's answered requests: how many ended in the last second, and
 * their latency percentiles over the last ten. Pure: the clock is an argument.
 */

const RATE_WINDOW_MS = 1_000;
const LATENCY_WINDOW_MS = 10_000;
/**
 * Under a load test thousands of requests end each second; the percentiles of the most recent ones
 * describe "now" as well, and keep each figure's cost (a sort, twice a second) small.
 */
const MAX_SAMPLES = 5_000;

interface Sample {
  endedAt: number;
  durationMs: number;
}

export class RecentRequests {
  private samples: Sample[] = [];

  record(endedAt: number, durationMs: number): void {
    this.samples.push({ endedAt, durationMs });
    if (this.samples.length > MAX_SAMPLES * 2) this.samples = this.samples.slice(-MAX_SAMPLES);
  }

  /** Requests that ended in the second before `now`. */
  perSecond(now: number): number {
    this.forget(now);
    let count = 0;
    for (let i = this.samples.length - 1; i >= 0 && now - this.samples[i].endedAt < RATE_WINDOW_MS; i--) count++;
    return count;
  }

  /** Nearest-rank percentiles (0–100) of the last ten seconds' durations, in ms; undefined when none ended. */
  percentiles(now: number, ranks: readonly number[]): (number | undefined)[] {
    this.forget(now);
    const sorted = this.samples.slice(-MAX_SAMPLES).map((s) => s.durationMs).sort((a, b) => a - b);
    return ranks.map((rank) => (sorted.length === 0 ? undefined : sorted[Math.max(Math.ceil((rank / 100) * sorted.length) - 1, 0)]));
  }

  private forget(now: number): void {
    const firstKept = this.samples.findIndex((s) => now - s.endedAt < LATENCY_WINDOW_MS);
    if (firstKept !== 0) this.samples = firstKept === -1 ? [] : this.samples.slice(firstKept);
  }
}
