/**
 * The Function Activity view's data: a bounded window of each function's live figures, and the one
 * message the extension posts to the webview. Pure and free of `vscode` and of the DOM, so the webview
 * bundle (src/webview/activity.ts) validates what it receives with the same code the unit tests check.
 */

/**
 * The part of the gateway's `FunctionStats` (src/services/gatewayTypes.ts) these figures read. The core
 * may not import from services, so it is restated here; FunctionStats fits it (a unit test checks that).
 */
export interface FunctionFigures {
  name: string;
  /** Milliseconds since the epoch, on the gateway's clock. */
  time: number;
  instances: ReadonlyArray<{ state: 'starting' | 'ready' | 'draining' }>;
  /** Requests that ended in the last second. */
  requestsPerSecond: number;
  p50Ms?: number;
  p95Ms?: number;
  /** Requests that waited for an instance to start, since the gateway started. */
  coldStarts: number;
}

/** Instances that serve or are about to: ready or starting (a draining one is on its way out). */
export function liveInstances(figures: FunctionFigures): number {
  return figures.instances.filter((i) => i.state !== 'draining').length;
}

/** What the chart shows: the last two minutes. */
export const ACTIVITY_WINDOW_MS = 120_000;
/** At most this many samples per function, whatever the gateway's pace (it sends about two a second). */
export const ACTIVITY_MAX_SAMPLES = 600;

export interface ActivitySample {
  time: number;
  requestsPerSecond: number;
  p50Ms: number | null;
  p95Ms: number | null;
  instances: number;
  /** Requests that waited for a start since the sample before (0 for the first sample seen). */
  coldStarts: number;
}

/** The extension's one message to the webview: the whole window, columnar (uPlot's data shape). */
export interface ActivitySnapshot {
  kind: 'snapshot';
  name: string;
  /** The host's clock when sent: the webview moves the time axis on from it, not from its own clock (a remote window's browser may differ). */
  hostNow: number;
  windowMs: number;
  times: number[];
  requestsPerSecond: number[];
  p50Ms: Array<number | null>;
  p95Ms: Array<number | null>;
  instances: number[];
  coldStarts: number[];
}

/** The webview's one message to the extension: it has loaded and wants the current window. */
export interface ActivityReady {
  kind: 'ready';
}

/** One function's samples: at most ACTIVITY_MAX_SAMPLES, none older than the window behind the newest. */
export class ActivitySeries {
  private samples: ActivitySample[] = [];
  private lastColdStarts: number | undefined;

  constructor(readonly name: string, private readonly windowMs = ACTIVITY_WINDOW_MS, private readonly maxSamples = ACTIVITY_MAX_SAMPLES) {}

  add(figures: FunctionFigures): void {
    const newest = this.samples.at(-1);
    // Out of order (a late message): the window is in time order, and the counter moves on from the newest.
    if (newest && figures.time < newest.time) return;
    // The counter counts since the gateway started: a smaller value means it started again, counting from zero.
    const coldStarts = this.lastColdStarts === undefined ? 0 : figures.coldStarts >= this.lastColdStarts ? figures.coldStarts - this.lastColdStarts : figures.coldStarts;
    this.lastColdStarts = figures.coldStarts;
    this.samples.push({
      time: figures.time,
      requestsPerSecond: figures.requestsPerSecond,
      p50Ms: figures.p50Ms ?? null,
      p95Ms: figures.p95Ms ?? null,
      instances: liveInstances(figures),
      coldStarts,
    });
    const oldest = figures.time - this.windowMs;
    let drop = Math.max(this.samples.length - this.maxSamples, 0);
    while (drop < this.samples.length && this.samples[drop].time < oldest) drop++;
    if (drop > 0) this.samples = this.samples.slice(drop);
  }

  get size(): number {
    return this.samples.length;
  }

  get latest(): ActivitySample | undefined {
    return this.samples.at(-1);
  }

  snapshot(hostNow: number): ActivitySnapshot {
    const s = this.samples;
    return {
      kind: 'snapshot',
      name: this.name,
      hostNow,
      windowMs: this.windowMs,
      times: s.map((x) => x.time),
      requestsPerSecond: s.map((x) => x.requestsPerSecond),
      p50Ms: s.map((x) => x.p50Ms),
      p95Ms: s.map((x) => x.p95Ms),
      instances: s.map((x) => x.instances),
      coldStarts: s.map((x) => x.coldStarts),
    };
  }
}

/**
 * Every function's window, fed by every stats message from the activation on, so a panel opened
 * later (or a load test starting) has the minutes before. Also keeps each function's last figures
 * whole: a load test counts cold starts from them.
 */
export class ActivityHistory {
  private readonly series = new Map<string, ActivitySeries>();
  private readonly last = new Map<string, FunctionFigures>();

  constructor(private readonly windowMs = ACTIVITY_WINDOW_MS, private readonly maxSamples = ACTIVITY_MAX_SAMPLES) {}

  /** Adds a stats message; returns the names it brought figures for. */
  add(all: readonly FunctionFigures[]): string[] {
    const names: string[] = [];
    for (const figures of all) {
      let series = this.series.get(figures.name);
      if (!series) this.series.set(figures.name, (series = new ActivitySeries(figures.name, this.windowMs, this.maxSamples)));
      series.add(figures);
      this.last.set(figures.name, figures);
      names.push(figures.name);
    }
    return names;
  }

  latest(name: string): FunctionFigures | undefined {
    return this.last.get(name);
  }

  /** The function's window; empty when the gateway has sent nothing about it yet. */
  snapshot(name: string, hostNow: number): ActivitySnapshot {
    return (this.series.get(name) ?? new ActivitySeries(name, this.windowMs, this.maxSamples)).snapshot(hostNow);
  }

  /** The function left the workspace. */
  forget(name: string): void {
    this.series.delete(name);
    this.last.delete(name);
  }
}

/** The header line's figures: the newest sample's, or nothing yet. */
export function currentFigures(snapshot: ActivitySnapshot): { instances: number; requestsPerSecond: number; p50Ms: number | null } | undefined {
  const i = snapshot.times.length - 1;
  if (i < 0) return undefined;
  return { instances: snapshot.instances[i], requestsPerSecond: snapshot.requestsPerSecond[i], p50Ms: snapshot.p50Ms[i] };
}

/** The header under the panel's title, e.g. "hello: 3 instances · 42 req/s · p50 12 ms". Plain text (the webview sets it as textContent). */
export function activityHeader(snapshot: ActivitySnapshot): string {
  const now = currentFigures(snapshot);
  if (!now) return `${snapshot.name}: no requests through the gateway yet`;
  const p50 = now.p50Ms === null ? 'p50 –' : `p50 ${formatMs(now.p50Ms)}`;
  return `${snapshot.name}: ${now.instances} ${now.instances === 1 ? 'instance' : 'instances'} · ${formatRate(now.requestsPerSecond)} req/s · ${p50}`;
}

export function formatMs(ms: number): string {
  return ms >= 100 ? `${Math.round(ms)} ms` : `${Number(ms.toFixed(1))} ms`;
}

export function formatRate(perSecond: number): string {
  return perSecond >= 100 ? String(Math.round(perSecond)) : String(Number(perSecond.toFixed(1)));
}

/**
 * The chart's columns with one more point at `at` holding the newest values (the gateway sends
 * nothing while nothing changes, so the last figures still stand), and cold starts as points on the
 * instance line (null where none happened): uPlot's `[x, ...ys]`, x in seconds.
 */
export function chartColumns(snapshot: ActivitySnapshot, at: number): { x: number[]; rps: number[]; p50: Array<number | null>; p95: Array<number | null>; instances: number[]; coldStartMarks: Array<number | null> } {
  const { times, requestsPerSecond, p50Ms, p95Ms, instances, coldStarts } = snapshot;
  const x = times.map((t) => t / 1000);
  const columns = {
    x,
    rps: [...requestsPerSecond],
    p50: [...p50Ms],
    p95: [...p95Ms],
    instances: [...instances],
    coldStartMarks: coldStarts.map((n, i) => (n > 0 ? instances[i] : null)),
  };
  const last = times.length - 1;
  if (last >= 0 && at > times[last]) {
    columns.x.push(at / 1000);
    columns.rps.push(requestsPerSecond[last]);
    columns.p50.push(p50Ms[last]);
    columns.p95.push(p95Ms[last]);
    columns.instances.push(instances[last]);
    columns.coldStartMarks.push(null);
  }
  return columns;
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumberOrNull = (v: unknown): v is number | null => v === null || isFiniteNumber(v);

/** Whether a message is a well-formed snapshot (the webview checks what it is sent before drawing it). */
export function isActivitySnapshot(value: unknown): value is ActivitySnapshot {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  if (m.kind !== 'snapshot' || typeof m.name !== 'string' || !isFiniteNumber(m.hostNow) || !isFiniteNumber(m.windowMs)) return false;
  const columns = [m.times, m.requestsPerSecond, m.p50Ms, m.p95Ms, m.instances, m.coldStarts];
  if (!columns.every((c) => Array.isArray(c) && c.length === (m.times as unknown[]).length && c.length <= ACTIVITY_MAX_SAMPLES)) return false;
  return [m.times, m.requestsPerSecond, m.instances, m.coldStarts].every((c) => (c as unknown[]).every(isFiniteNumber))
    && [m.p50Ms, m.p95Ms].every((c) => (c as unknown[]).every(isNumberOrNull));
}

/** Whether a message from the webview is the one it may send. */
export function isActivityReady(value: unknown): value is ActivityReady {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>).kind === 'ready';
}
