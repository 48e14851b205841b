import type autocannon from 'autocannon';
import { liveInstances, formatMs, formatRate, type FunctionFigures } from './activitySeries';
import { UserFacingError } from './errors';
import type { CloudEventMessage } from './cloudEvents';
import { buildInvokeRequest, INVOKE_GRACE_SECONDS } from './invoke';

/**
 * Load Test Function, the pure parts: what a user may ask for, the load as data (autocannon's
 * options), and the summary made from autocannon's result, the latencies the runner recorded and
 * the gateway's figures during the run. The runner (src/services/loadRunner.ts) and the command
 * (src/ui/commands/loadTest.ts) do the I/O.
 */

export const LOAD_COUNT = { min: 1, max: 100_000, default: 200 } as const;
export const LOAD_CONCURRENCY = { min: 1, max: 1000, default: 10 } as const;
/** A whole run stops after this long, whatever is left: 100 000 requests to a slow function must not run for hours. */
export const LOAD_TIME_LIMIT_SECONDS = 600;

/** For an input box's `validateInput`: why `text` is not a request count, or undefined. */
export function countProblem(text: string): string | undefined {
  return wholeNumberProblem(text, LOAD_COUNT, 'requests to send');
}

/** For an input box's `validateInput`: why `text` is not a concurrency, or undefined. */
export function concurrencyProblem(text: string): string | undefined {
  return wholeNumberProblem(text, LOAD_CONCURRENCY, 'requests in flight at once');
}

/** A validated input box's value as a number (digits and `_`/`,` thousands separators). */
export function parseWholeNumber(text: string): number {
  return Number(text.trim().replace(/[_,]/g, ''));
}

function wholeNumberProblem(text: string, limits: { min: number; max: number }, what: string): string | undefined {
  const cleaned = text.trim().replace(/[_,]/g, '');
  const value = Number(cleaned);
  if (/^\d+$/.test(cleaned) && value >= limits.min && value <= limits.max) return undefined;
  return `Enter a whole number from ${limits.min} to ${limits.max} (${what}).`;
}

/** One load: autocannon's options (only data, so tests can check them) and the bound on the whole run. */
export interface LoadRequest {
  options: Pick<autocannon.Options, 'url' | 'method' | 'headers' | 'body' | 'amount' | 'connections' | 'timeout'> & { url: string; amount: number; connections: number; timeout: number };
  /** The whole run stops after this long, answered or not. */
  timeLimitSeconds: number;
}

export interface LoadSpec {
  /** The function's gateway URL, `http://127.0.0.1:GW/<name>/`. */
  functionUrl: string;
  invoke: { method: string; path: string };
  timeoutSeconds: number;
}

/**
 * The load for a function: the invoke method and path, relative to its gateway URL (so the
 * `/<name>/` prefix stays), the event's body with the headers Invoke sends (a CloudEvent's for a
 * function that takes them: the same event, one id, for every request), `count` requests over
 * `concurrency` connections. Each request may take what Invoke allows (timeoutSeconds + 2 s: the
 * gateway answers 503/504 itself at timeoutSeconds).
 */
export function buildLoadRequest(spec: LoadSpec, payload: string | CloudEventMessage, count: number, concurrency: number, timeLimitSeconds = LOAD_TIME_LIMIT_SECONDS): LoadRequest {
  // autocannon's HTTP parser waits for a body after a HEAD reply's headers, so every HEAD request would end as a timeout.
  if (spec.invoke.method === 'HEAD') throw new UserFacingError('A load test cannot send HEAD requests (its HTTP client waits for a body a HEAD reply never has). Set "invoke.method" in fn.json to GET for the load test.');
  const base = spec.functionUrl.endsWith('/') ? spec.functionUrl : `${spec.functionUrl}/`;
  const request = buildInvokeRequest(spec.functionUrl, spec.invoke, payload, spec.timeoutSeconds);
  const target = new URL(request.url);
  const prefix = new URL(base);
  if (target.origin !== prefix.origin || !target.pathname.startsWith(prefix.pathname)) {
    throw new UserFacingError(`The invoke path ${spec.invoke.path} leads out of the function's URL ${base}: fix "invoke.path" in fn.json.`);
  }
  const amount = Math.round(count);
  return {
    options: {
      url: request.url,
      method: request.method as autocannon.Options['method'],
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      amount,
      // autocannon refuses more connections than requests.
      connections: Math.min(Math.round(concurrency), amount),
      timeout: spec.timeoutSeconds + INVOKE_GRACE_SECONDS,
    },
    timeLimitSeconds,
  };
}

/** The part of autocannon's result the summary reads. */
export type LoadCounts = Pick<autocannon.Result, 'errors' | 'timeouts' | 'non2xx' | '2xx' | 'statusCodeStats' | 'duration'>;

/** What the runner hands back: autocannon's counts and what it measured itself. */
export interface LoadRun {
  counts: LoadCounts;
  /**
   * Every reply's latency, ms, as measured by autocannon's client (its own histogram keeps whole
   * milliseconds, which reads 0 for a local function, and has no p95).
   */
  latenciesMs: ArrayLike<number>;
  /** From the start to the last reply or error. */
  activeMs: number;
  /** Replies (any status) plus requests that failed without one. */
  completed: number;
  stoppedBy?: 'cancel' | 'timeLimit';
}

/**
 * The gateway's figures about one function during a load test: the peak of instances ready or
 * starting, and cold starts from the counter's growth since the figures from before the run (the
 * gateway counts since it started). Without those, growth from the first figures of the run is a
 * lower bound.
 */
export class RunFigures {
  private first: FunctionFigures | undefined;
  private last: FunctionFigures | undefined;
  private peak: number | undefined;

  constructor(private readonly functionName: string, private readonly before?: FunctionFigures) {
    if (before) this.peak = liveInstances(before);
  }

  add(all: readonly FunctionFigures[]): boolean {
    let added = false;
    for (const figures of all) {
      if (figures.name !== this.functionName) continue;
      this.first ??= figures;
      this.last = figures;
      this.peak = Math.max(this.peak ?? 0, liveInstances(figures));
      added = true;
    }
    return added;
  }

  get peakInstances(): number | undefined {
    return this.peak;
  }

  /** Undefined: the gateway sent nothing about the function during the run. */
  get coldStarts(): { count: number; exact: boolean } | undefined {
    if (!this.last) return undefined;
    const from = this.before ?? this.first!;
    // A smaller counter: the gateway started again and counts from zero.
    const count = this.last.coldStarts >= from.coldStarts ? this.last.coldStarts - from.coldStarts : this.last.coldStarts;
    return { count, exact: this.before !== undefined };
  }
}

export interface LoadSummary {
  functionName: string;
  method: string;
  url: string;
  /** "events/order.json", "empty body". */
  eventLabel: string;
  requested: number;
  connections: number;
  completed: number;
  replies: number;
  ok: number;
  non2xx: number;
  /** Status codes other than 2xx with their counts, most frequent first. */
  otherStatuses: Array<{ status: string; count: number }>;
  errors: number;
  timeouts: number;
  seconds: number;
  repliesPerSecond: number;
  latencyMs?: { p50: number; p95: number; p99: number; max: number };
  coldStarts?: { count: number; exact: boolean };
  peakInstances?: number;
  stoppedBy?: 'cancel' | 'timeLimit';
}

/** The value at or under which `p` percent of the values lie (nearest rank). `sorted` ascending, not empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
}

export function summarizeLoad(functionName: string, request: LoadRequest, eventLabel: string, run: LoadRun, figures: RunFigures): LoadSummary {
  const sorted = Float64Array.from(run.latenciesMs).sort();
  const replies = run.counts['2xx'] + run.counts.non2xx;
  const seconds = (run.activeMs > 0 ? run.activeMs : run.counts.duration * 1000) / 1000;
  const otherStatuses = Object.entries(run.counts.statusCodeStats ?? {})
    .filter(([status]) => !status.startsWith('2'))
    .map(([status, stat]) => ({ status, count: (stat as { count?: number }).count ?? 0 }))
    .sort((a, b) => b.count - a.count || a.status.localeCompare(b.status));
  return {
    functionName,
    method: request.options.method ?? 'GET',
    url: request.options.url,
    eventLabel,
    requested: request.options.amount,
    connections: request.options.connections,
    completed: run.completed,
    replies,
    ok: run.counts['2xx'],
    non2xx: run.counts.non2xx,
    otherStatuses,
    errors: run.counts.errors,
    timeouts: run.counts.timeouts,
    seconds,
    repliesPerSecond: seconds > 0 ? replies / seconds : 0,
    latencyMs: sorted.length ? { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] } : undefined,
    coldStarts: figures.coldStarts,
    peakInstances: figures.peakInstances,
    stoppedBy: run.stoppedBy,
  };
}

function ending(s: LoadSummary): string {
  if (s.stoppedBy === 'cancel') return `cancelled after ${s.completed} of ${s.requested} requests`;
  if (s.stoppedBy === 'timeLimit') return `stopped at the time limit after ${s.completed} of ${s.requested} requests`;
  return `${s.completed} requests`;
}

const coldStartText = (c: LoadSummary['coldStarts']) => (c === undefined ? 'cold starts –' : `${c.exact ? '' : '≥'}${c.count} cold ${c.count === 1 ? 'start' : 'starts'}`);
const peakText = (peak: number | undefined) => (peak === undefined ? 'peak instances –' : `peak ${peak} ${peak === 1 ? 'instance' : 'instances'}`);

/** One line for the function's output channel. */
export function formatLoadLine(s: LoadSummary): string {
  const latency = s.latencyMs ? `p50 ${formatMs(s.latencyMs.p50)}, p95 ${formatMs(s.latencyMs.p95)}, p99 ${formatMs(s.latencyMs.p99)}` : 'no replies';
  return `load test ${s.method} ${new URL(s.url).pathname} × ${s.requested} (concurrency ${s.connections}, ${s.eventLabel}) → ${ending(s)} in ${s.seconds.toFixed(1)} s, `
    + `${formatRate(s.repliesPerSecond)} req/s, ${latency}, ${s.non2xx} non-2xx, ${s.errors} errors, ${coldStartText(s.coldStarts)}, ${peakText(s.peakInstances)}`;
}

/** The summary shown beside the chart: plain text, one figure a line. */
export function formatLoadReport(s: LoadSummary): string {
  const statuses = s.otherStatuses.length ? ` (${s.otherStatuses.map((o) => `${o.status} ×${o.count}`).join(', ')})` : '';
  const latency = s.latencyMs
    ? `p50 ${formatMs(s.latencyMs.p50)}   p95 ${formatMs(s.latencyMs.p95)}   p99 ${formatMs(s.latencyMs.p99)}   max ${formatMs(s.latencyMs.max)}`
    : 'no replies';
  const coldStarts = s.coldStarts === undefined
    ? 'no figures from the gateway during the run'
    : `${s.coldStarts.exact ? '' : 'at least '}${s.coldStarts.count} (requests that waited for an instance to start)`;
  return [
    `Load test of ${s.functionName}`,
    `${s.method} ${s.url}`,
    `payload      ${s.eventLabel}`,
    `requests     ${ending(s)}, concurrency ${s.connections}, ${s.seconds.toFixed(2)} s`,
    `throughput   ${formatRate(s.repliesPerSecond)} req/s`,
    `latency      ${latency}`,
    `replies      ${s.replies}: 2xx ${s.ok}, non-2xx ${s.non2xx}${statuses}`,
    `errors       ${s.errors} without a reply (timeouts ${s.timeouts})`,
    `cold starts  ${coldStarts}`,
    `instances    ${s.peakInstances === undefined ? 'no figures from the gateway during the run' : `peak ${s.peakInstances} (ready or starting)`}`,
    '',
  ].join('\n');
}
